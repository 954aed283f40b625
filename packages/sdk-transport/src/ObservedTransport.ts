import type {
  Transport as SdkClientTransport,
  TransportSendOptions
} from "@modelcontextprotocol/sdk/shared/transport.js"
import type { JSONRPCMessage, MessageExtraInfo } from "@modelcontextprotocol/sdk/types.js"

type MessageId = string | number

/**
 * Wraps an SDK client transport to see every incoming message (the raw initialize result, progress, the responses
 * att keeps as received) before the Client does, synchronously and in arrival order. `intercept` returns true for a
 * message it consumed: the Client never sees that one. Everything else is delegated unchanged.
 */
export class ObservedTransport implements SdkClientTransport {
  onclose?: () => void
  onerror?: (error: Error) => void
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void

  constructor(
    readonly inner: SdkClientTransport,
    intercept: (message: JSONRPCMessage) => boolean
  ) {
    inner.onmessage = (message, extra) => {
      const id = "method" in message ? undefined : (message as { readonly id?: MessageId }).id
      if (id !== undefined && this.kept.has(id)) this.kept.set(id, message)
      if (!intercept(message)) this.onmessage?.(message, extra)
    }
    inner.onclose = () => this.onclose?.()
    inner.onerror = (error) => this.onerror?.(error)
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId
  }

  /** The pid of a stdio child, recorded at spawn: the transport forgets it once closing (a failed connect closes it). */
  childPid: number | null = null

  start(): Promise<void> {
    const started = this.inner.start()
    // A stdio transport spawns synchronously inside start(): read the pid before anything can interrupt.
    const pid = (this.inner as { pid?: unknown }).pid
    this.childPid = typeof pid === "number" ? pid : null
    return started
  }

  /** The id of the request sent last, until `keepResponse` claims it. */
  private lastRequestId: MessageId | undefined = undefined
  /** Slots for responses to keep as received, by request id: made by `keepResponse`, filled when the response comes. */
  private readonly kept = new Map<MessageId, JSONRPCMessage | undefined>()

  /**
   * Keep the response to the request sent last, as it arrives. Call synchronously after the SDK's `request`, which
   * sends before it returns; answers the request's id for `takeResponse` (undefined when nothing was sent).
   */
  keepResponse(): MessageId | undefined {
    const id = this.lastRequestId
    this.lastRequestId = undefined
    if (id !== undefined) this.kept.set(id, undefined)
    return id
  }

  /** The response kept for `id` as it arrived (undefined when none came), freeing its slot. */
  takeResponse(id: MessageId | undefined): JSONRPCMessage | undefined {
    if (id === undefined) return undefined
    const message = this.kept.get(id)
    this.kept.delete(id)
    return message
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if ("method" in message && "id" in message) this.lastRequestId = message.id
    return this.inner.send(message, options)
  }

  close(): Promise<void> {
    return this.inner.close()
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version)
  }
}
