export * from "./Categorize.js"
export * from "./SdkTransport.js"
