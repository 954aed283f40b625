import { describe, expect, it } from "@effect/vitest"
import { CallSignal } from "../src/CallSignal.js"

describe("CallSignal (the abort signal att hands the SDK per request)", () => {
  it("runs each abort listener once, with the reason readable, and throws it afterwards", () => {
    const signal = new CallSignal()
    const seen: Array<unknown> = []
    signal.addEventListener("abort", () => seen.push(signal.reason))
    signal.addEventListener("other", () => seen.push("wrong event"))
    expect(() => signal.throwIfAborted()).not.toThrow()
    const reason = new Error("interrupted")
    signal.abort(reason)
    signal.abort(new Error("again"))
    expect(seen).toEqual([reason])
    expect(signal.aborted).toBe(true)
    expect(() => signal.throwIfAborted()).toThrow(reason)
  })

  it("does not run a removed listener", () => {
    const signal = new CallSignal()
    let calls = 0
    const listener = () => {
      calls += 1
    }
    signal.addEventListener("abort", listener)
    signal.removeEventListener("abort", listener)
    signal.abort("stop")
    expect(calls).toBe(0)
  })
})
