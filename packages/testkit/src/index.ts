/**
 * @att/testkit: the scripted transport and `scriptedAtt` for unit tests of manager semantics under `TestClock`
 * (with its time helpers), and `startHttpUpstream`, a real MCP SDK server on loopback for tests over sockets.
 */
export * from "./ScriptedTransport.js"
export * from "./TestAtt.js"
export * from "./Upstream.js"
