import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"

/**
 * Each package's public surface, by name: what a user can import from the entry (and the named subpaths). A name
 * added to or dropped from an entry shows here, so it is a decision, not an accident. Internals stay behind
 * relative imports (tests) or `@att/core/internal` (att's own packages).
 */
const ROOT = join(import.meta.dirname, "..")
const namesOf = async (specifier: string) => Object.keys((await import(specifier)) as object).sort()

interface Manifest {
  readonly name: string
  readonly private?: boolean
  readonly license?: string
  readonly files?: ReadonlyArray<string>
  readonly exports: Record<string, Record<string, string>>
  readonly bin?: Record<string, string>
  readonly dependencies?: Record<string, string>
  readonly peerDependencies?: Record<string, string>
}
const manifestOf = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(ROOT, "packages", dir, "package.json"), "utf8")) as Manifest

describe("package surfaces (issue 15 §2)", () => {
  it("@att/core exports the manager, its config, registry, diagnostics, transport, probe and the domain", async () => {
    expect(await namesOf("@att/core")).toMatchInlineSnapshot(`
      [
        "AdapterSessionDiagnostics",
        "AdapterSessionStatus",
        "CLIENT_METHODS",
        "CapabilityEvent",
        "CapabilityEventKind",
        "CapabilitySnapshot",
        "ConnectionEvent",
        "Diagnostics",
        "ErrorCategory",
        "EventJournal",
        "Fleet",
        "Freshness",
        "HttpUpstream",
        "InvocationAttempt",
        "InvocationError",
        "InvocationEvent",
        "InvocationMethod",
        "InvocationPhase",
        "InvocationResult",
        "JsonValue",
        "LOG_LEVELS",
        "ListKind",
        "MANAGER_DEFAULTS",
        "Manager",
        "ManagerConfig",
        "Probe",
        "Registry",
        "RejectedItem",
        "RelayRefused",
        "ServerNotFound",
        "ServerRecord",
        "ServerStatus",
        "ServerStore",
        "SessionBudget",
        "SessionControlsUnavailable",
        "SessionDiagnostics",
        "SessionMode",
        "SnapshotStore",
        "StdioUpstream",
        "StoreUnavailable",
        "StoredServer",
        "StoredSnapshot",
        "Transport",
        "TransportError",
        "UPSTREAM_REQUEST_METHODS",
        "Upstream",
        "UpstreamRejected",
        "displayUrl",
        "httpUpstream",
        "journalSchemas",
        "slotOf",
      ]
    `)
  })

  it("@att/sdk-transport exports the SDK transport; stateful-http the SDK server handler", async () => {
    expect(await namesOf("@att/sdk-transport")).toMatchInlineSnapshot(`
      [
        "SDK_TRANSPORT_DEFAULTS",
        "SdkTransport",
      ]
    `)
    expect(await namesOf("@att/sdk-transport/stateful-http")).toMatchInlineSnapshot(`
      [
        "readJsonBody",
        "statefulMcpHandler",
      ]
    `)
  })

  it("@att/testkit exports the scripted transport, scriptedAtt, the TestClock helpers and the upstream helper", async () => {
    expect(await namesOf("@att/testkit")).toMatchInlineSnapshot(`
      [
        "ScriptedTransport",
        "T0",
        "advanceSeconds",
        "atT0",
        "invocationError",
        "rpcErrorAnswer",
        "scriptedAtt",
        "startHttpUpstream",
        "staticProbe",
      ]
    `)
  })

  it("@att/gateway exports the layers, the config decoding, the options and the API definition", async () => {
    expect(await namesOf("@att/gateway")).toMatchInlineSnapshot(`
      [
        "AttApi",
        "AttRoutes",
        "ConfigError",
        "ConfigFile",
        "ConfigWatch",
        "DashboardRoutes",
        "DeclaredServers",
        "DrainGuard",
        "GatewayOptions",
        "HostResolver",
        "HttpLive",
        "Lifecycle",
        "PROMETHEUS_CONTENT_TYPE",
        "PrometheusMetrics",
        "applyServers",
        "decodeConfig",
        "defaultGatewaySettings",
        "everythingServerCommand",
        "exportRegistry",
        "exportServers",
        "gatewayRoutes",
        "gatewaySettings",
        "importRegistry",
        "loadConfig",
        "loggerLayer",
        "makeNodeServer",
        "managerOptions",
        "serviceCore",
        "tracingLayer",
        "tracingRequested",
        "transportOptions",
      ]
    `)
  })

  it("@att/gateway/api exports the HttpApi definition, its schemas and errors, and makeClient", async () => {
    expect(await namesOf("@att/gateway/api")).toMatchInlineSnapshot(`
      [
        "AdapterSessionsQuery",
        "AdapterSessionsResponse",
        "AttApi",
        "Authorization",
        "BadRequest",
        "CapabilityCounts",
        "CapabilityEventsQuery",
        "CapabilityEventsResponse",
        "ConfiguredServerConflict",
        "ConnectionEventsQuery",
        "ConnectionEventsResponse",
        "Cursor",
        "EventStreamBody",
        "EventStreamQuery",
        "HealthGroup",
        "HealthResponse",
        "HttpUrl",
        "InitializeQuery",
        "InvocationErrorDetail",
        "InvocationEventsQuery",
        "InvocationEventsResponse",
        "InvocationFailed",
        "InvocationResponse",
        "InvokeToolRequest",
        "Limit",
        "McpEndpointGroup",
        "McpGroup",
        "MisdirectedRequest",
        "NamePath",
        "NotReady",
        "OriginRefused",
        "PayloadTooLarge",
        "ReadResourceRequest",
        "ReadyResponse",
        "RegisterRequest",
        "ResourceDescriptor",
        "RoutePlanResponse",
        "RouteToolRequest",
        "ServerName",
        "ServerNotFoundError",
        "ServerResponse",
        "ServersBusy",
        "ServersResponse",
        "SessionControlsConflict",
        "StoreUnavailableError",
        "ToolDescriptor",
        "Unauthorized",
        "UnsupportedMediaType",
        "UpstreamBadRequest",
        "UpstreamNotFound",
        "UpstreamRejectionDetail",
        "WellKnown",
        "makeClient",
      ]
    `)
  })

  it("every package is publishable: built files behind types conditions, the sources beside them, effect as a peer", () => {
    for (const dir of ["core", "sdk-transport", "testkit", "gateway"]) {
      const manifest = manifestOf(dir)
      expect(manifest.private).toBeUndefined()
      expect(manifest.license).toBeDefined()
      // The gateway also ships its dashboard's page, served from the package's own folder.
      expect(manifest.files).toEqual(
        dir === "gateway" ? ["dist", "src", "dashboard", "README.md"] : ["dist", "src", "README.md"]
      )
      expect(existsSync(join(ROOT, "packages", dir, "README.md"))).toBe(true)
      for (const [subpath, target] of Object.entries(manifest.exports)) {
        // The sources under the workspace's condition, the build for everyone else, at the same relative path.
        expect(Object.keys(target), `${manifest.name} ${subpath}`).toEqual(["att-source", "types", "default"])
        const source = target["att-source"] as string
        expect(existsSync(join(ROOT, "packages", dir, source)), source).toBe(true)
        expect(target.types).toBe(source.replace("./src/", "./dist/").replace(/\.ts$/, ".d.ts"))
        expect(target.default).toBe(source.replace("./src/", "./dist/").replace(/\.ts$/, ".js"))
      }
      expect(manifest.peerDependencies?.effect).toBe("^3.22.4")
      const runtime = Object.keys(manifest.dependencies ?? {})
      expect(runtime.filter((name) => name === "effect" || name.startsWith("@effect/"))).toEqual([])
    }
  })

  it("the att bin is the built CLI, whose source starts with a node shebang", () => {
    const manifest = manifestOf("gateway")
    expect(manifest.bin).toEqual({ att: "./dist/cli/main.js" })
    const source = readFileSync(join(ROOT, "packages", "gateway", "src", "cli", "main.ts"), "utf8")
    expect(source.startsWith("#!/usr/bin/env node\n")).toBe(true)
  })
})
