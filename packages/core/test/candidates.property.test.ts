import type { ServerRecord } from "@att/core"
import { chooseServer, eligibleCandidates, orderCandidates } from "../src/Candidates.js"
import { freshRecord } from "../src/StatusMachine.js"
import { describe, expect, it } from "@effect/vitest"
import { DateTime, FastCheck as fc } from "effect"

const NOW = DateTime.unsafeMake("2026-01-01T00:00:10Z")
const names = fc.uniqueArray(fc.constantFrom("a", "b", "c", "d", "e", "f", "g"), { maxLength: 7 })
const records = names.chain((list) =>
  fc.tuple(
    ...list.map((name) =>
      fc
        .record({
          status: fc.constantFrom<ServerRecord["status"]>("healthy", "degraded", "unreachable"),
          window: fc.integer({ min: -5, max: 5 })
        })
        .map(
          ({ status, window }): ServerRecord => ({
            ...freshRecord(name, `http://${name}.local/`, "streamable-http"),
            status,
            next_retry_at: status === "healthy" ? null : DateTime.add(NOW, { seconds: window })
          })
        )
    )
  )
)
const preferred = fc.option(fc.array(fc.constantFrom("a", "b", "c", "x", "y"), { maxLength: 6 }), { nil: null })

describe("candidate ordering properties (spec §7.1–§7.2, §3)", () => {
  it.prop(
    "the order is a permutation: preferred known names first, once, then the rest by name",
    [records, preferred],
    ([list, prefer]) => {
      const ordered = orderCandidates(list, prefer).map((r) => r.name)
      expect([...ordered].sort()).toEqual(list.map((r) => r.name).sort())
      const known = new Set(list.map((r) => r.name))
      const head = [...new Set((prefer ?? []).filter((name) => known.has(name)))]
      expect(ordered.slice(0, head.length)).toEqual(head)
      const rest = ordered.slice(head.length)
      expect(rest).toEqual([...rest].sort())
    }
  )

  it.prop(
    "eligibility: healthy, then open-window degraded, then open-window unreachable, order kept",
    [records, preferred],
    ([list, prefer]) => {
      const ordered = orderCandidates(list, prefer)
      const eligible = eligibleCandidates(ordered, NOW)
      const open = (r: ServerRecord) => r.next_retry_at === null || DateTime.greaterThanOrEqualTo(NOW, r.next_retry_at)
      const expected = [
        ...ordered.filter((r) => r.status === "healthy"),
        ...ordered.filter((r) => r.status === "degraded" && open(r)),
        ...ordered.filter((r) => r.status === "unreachable" && open(r))
      ]
      expect(eligible.map((r) => r.name)).toEqual(expected.map((r) => r.name))
      for (const r of eligible) if (r.status !== "healthy") expect(open(r)).toBe(true)
    }
  )

  it.prop(
    "chooseServer: first healthy, else first degraded, never unreachable",
    [records, preferred],
    ([list, prefer]) => {
      const chosen = chooseServer(list, prefer)
      const ordered = orderCandidates(list, prefer)
      const expected = ordered.find((r) => r.status === "healthy") ?? ordered.find((r) => r.status === "degraded")
      expect(chosen?.name).toBe(expected?.name)
      if (chosen !== undefined) expect(chosen.status).not.toBe("unreachable")
    }
  )
})
