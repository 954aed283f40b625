import { Manager, httpUpstream } from "@att/core"
import { scriptedAtt } from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger, Queue } from "effect"

const register = (manager: Manager, name: string) => manager.register(name, httpUpstream(`http://${name}.local`))

describe("the Manager announces each registration (what follows them off their path)", () => {
  it.scoped("every register and replace, in order; an unregister is not one", () =>
    Effect.gen(function* () {
      const manager = yield* Manager
      const registrations = yield* manager.subscribeRegistrations
      yield* register(manager, "P")
      yield* register(manager, "B")
      yield* manager.unregister("B")
      yield* register(manager, "P")
      expect([...(yield* Queue.takeAll(registrations))]).toEqual(["P", "B", "P"])
    }).pipe(Effect.provide(scriptedAtt()))
  )

  it.scoped("a reader 4096 behind loses the next ones, counted in a log line; once it reads, they come again", () => {
    const lines: Array<string> = []
    const capture = Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ message }) => lines.push(String(Array.isArray(message) ? message[0] : message)))
    )
    return Effect.gen(function* () {
      const manager = yield* Manager
      const registrations = yield* manager.subscribeRegistrations
      for (let i = 0; i < 4098; i++) yield* register(manager, `s${i}`)
      const dropped = lines.filter((line) => line.startsWith("registration of"))
      expect(dropped).toEqual([
        "registration of s4096 not announced: 1 dropped (a reader fell behind)",
        "registration of s4097 not announced: 2 dropped (a reader fell behind)"
      ])
      const kept = [...(yield* Queue.takeAll(registrations))]
      expect(kept).toHaveLength(4096)
      expect([kept[0], kept.at(-1)]).toEqual(["s0", "s4095"])
      yield* register(manager, "later")
      expect([...(yield* Queue.takeAll(registrations))]).toEqual(["later"])
    }).pipe(Effect.provide(Layer.merge(scriptedAtt(), capture)))
  })
})
