export * from "./AddressGuard.js"
export * from "./Categorize.js"
export * from "./SdkTransport.js"
export * from "./StatefulHttp.js"
