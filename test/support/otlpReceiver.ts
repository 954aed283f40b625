import { type IncomingMessage, type ServerResponse, createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"

/** One span as an OTLP/HTTP JSON export carries it (ids in hex). */
export interface ReceivedSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string
  readonly name: string
  readonly kind: number
  readonly attributes: Readonly<Record<string, unknown>>
  readonly status: { readonly code?: number }
  readonly serviceName: string | undefined
}

interface AnyValue {
  readonly stringValue?: string
  readonly intValue?: string | number
  readonly boolValue?: boolean
  readonly doubleValue?: number
}
interface KeyValue {
  readonly key: string
  readonly value: AnyValue
}

const valueOf = (value: AnyValue): unknown =>
  value.stringValue ??
  value.boolValue ??
  value.doubleValue ??
  (value.intValue === undefined ? undefined : Number(value.intValue))

const attributesOf = (list: ReadonlyArray<KeyValue> | undefined) =>
  Object.fromEntries((list ?? []).map((each) => [each.key, valueOf(each.value)]))

/**
 * An OTLP/HTTP receiver on 127.0.0.1 (port 0) for the lifetime of the scope: it accepts `POST /v1/traces` with the
 * JSON encoding (what `@opentelemetry/exporter-trace-otlp-http` sends), keeps every span, and answers 200. Other
 * content types answer 415, so a test notices an exporter that changed its encoding.
 */
export const startOtlpReceiver = Effect.acquireRelease(
  Effect.async<{
    readonly endpoint: string
    readonly spans: Array<ReceivedSpan>
    readonly headers: Array<IncomingMessage["headers"]>
    close: () => void
  }>((resume) => {
    const spans: Array<ReceivedSpan> = []
    const headers: Array<IncomingMessage["headers"]> = []
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        if (request.method !== "POST" || request.url !== "/v1/traces") {
          response.writeHead(404).end()
          return
        }
        if (!(request.headers["content-type"] ?? "").startsWith("application/json")) {
          response.writeHead(415).end()
          return
        }
        headers.push(request.headers)
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8"))
        for (const resource of body.resourceSpans ?? []) {
          const service = attributesOf(resource.resource?.attributes)["service.name"]
          for (const scope of resource.scopeSpans ?? []) {
            for (const span of scope.spans ?? []) {
              spans.push({
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId ?? "",
                name: span.name,
                kind: span.kind,
                attributes: attributesOf(span.attributes),
                status: span.status ?? {},
                serviceName: typeof service === "string" ? service : undefined
              })
            }
          }
        }
        response.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resume(Effect.succeed({ endpoint: `http://127.0.0.1:${port}`, spans, headers, close: () => server.close() }))
    })
  }),
  (receiver) => Effect.sync(() => receiver.close())
)
