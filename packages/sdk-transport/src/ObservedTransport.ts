import type { Transport as SdkClientTransport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js"
import type { JSONRPCMessage, MessageExtraInfo } from "@modelcontextprotocol/sdk/types.js"

/**
 * Wraps an SDK client transport to see every incoming message (the raw initialize result, list_changed
 * notifications) before the Client does. Everything else is delegated unchanged.
 */
export class ObservedTransport implements SdkClientTransport {
  onclose?: () => void
  onerror?: (error: Error) => void
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void

  constructor(
    readonly inner: SdkClientTransport,
    observe: (message: JSONRPCMessage) => void
  ) {
    inner.onmessage = (message, extra) => {
      observe(message)
      this.onmessage?.(message, extra)
    }
    inner.onclose = () => this.onclose?.()
    inner.onerror = (error) => this.onerror?.(error)
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId
  }

  /** The pid of a stdio child, recorded at spawn: the SDK forgets it when a connect fails or is interrupted. */
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
