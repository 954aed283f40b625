export * from "./ScriptedTransport.js"
export * from "./TestAtt.js"
