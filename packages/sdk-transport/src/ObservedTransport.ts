import type { Transport as SdkClientTransport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js"
import type { JSONRPCMessage, MessageExtraInfo } from "@modelcontextprotocol/sdk/types.js"

/**
 * Wraps an SDK client transport to see every incoming message (the raw initialize result, progress) before the
 * Client does, synchronously and in arrival order. `intercept` returns true for a message it consumed: the Client
 * never sees that one. Everything else is delegated unchanged.
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

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.inner.send(message, options)
  }

  close(): Promise<void> {
    return this.inner.close()
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version)
  }
}
