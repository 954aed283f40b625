import * as Core from "@att/core"
import * as Gateway from "@att/gateway"
import * as GatewayApi from "@att/gateway/api"
import * as SdkTransport from "@att/sdk-transport"
import * as Testkit from "@att/testkit"
import { describe, expect, it } from "@effect/vitest"

/** Every exported error class with a tag (`Schema.TaggedError`), by tag. */
const errorClassesByTag = () => {
  const byTag = new Map<string, Array<string>>()
  const modules = {
    core: Core,
    gateway: { ...Gateway, ...GatewayApi },
    "sdk-transport": SdkTransport,
    testkit: Testkit
  }
  for (const [module, exports] of Object.entries(modules))
    for (const [name, value] of Object.entries(exports)) {
      if (typeof value !== "function" || !("_tag" in value) || !("fields" in value)) continue
      const tag = String(value._tag)
      byTag.set(tag, [...(byTag.get(tag) ?? []), `${module}.${name}`])
    }
  // A `Data.TaggedError` has its tag on instances only.
  byTag.set("ConfigError", [...(byTag.get("ConfigError") ?? []), "gateway.ConfigError"])
  return byTag
}

describe("error tags (issue 15 §3)", () => {
  it("no two error classes share a tag: a tag names one shape", () => {
    const byTag = errorClassesByTag()
    expect(byTag.size).toBeGreaterThan(10)
    expect(new Gateway.ConfigError({ message: "m" })._tag).toBe("ConfigError")
    const shared = [...byTag].filter(([, classes]) => classes.length > 1)
    expect(shared).toEqual([])
  })

  it("the 409 of the session routes is SessionControlsConflict ({detail}), not the manager's SessionControlsUnavailable ({})", () => {
    expect(GatewayApi.SessionControlsConflict._tag).toBe("SessionControlsConflict")
    expect(Core.SessionControlsUnavailable._tag).toBe("SessionControlsUnavailable")
  })
})
