export * from "./ScriptedTransport.js"
export * from "./TestAtt.js"
export * from "./Upstream.js"
