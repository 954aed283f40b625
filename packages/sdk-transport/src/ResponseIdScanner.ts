const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
const COLON = 0x3a
const COMMA = 0x2c

/** Longest key worth reading (`method`), and the longest raw id kept: a longer id is no id att ever sent. */
const KEY_BYTES = 8
const ID_BYTES = 128

type StringRole = "key" | "id" | "skip"

/** A Buffer view of a chunk (no copy): `Buffer.indexOf` searches natively. */
export const asBuffer = (chunk: Uint8Array): Buffer =>
  Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)

/**
 * Reads, in constant memory and as bytes stream past, the top-level `id` of a JSON-RPC message that is being thrown
 * away for its size, and whether it has a `method` (a request or notification from the upstream, not a response).
 * The id can come after a result of any size (the SDK's servers write `{"result":…,"jsonrpc":"2.0","id":1}`), so the
 * whole message is scanned: strings are skipped with native searches, structure is followed byte by byte.
 */
export class ResponseIdScanner {
  private depth = 0
  private done = false
  private isObject = false
  private inString = false
  private escaped = false
  private role: StringRole = "skip"
  private expectKey = false
  private key = ""
  private keyBytes: Array<number> = []
  private capturing = false
  private idBytes: Array<number> | null = null
  private hasMethod = false
  private rawId: Array<number> | null = null

  feed(chunk: Uint8Array): void {
    const bytes = asBuffer(chunk)
    const end = bytes.length
    let i = 0
    let nextQuote = -2
    let nextBackslash = -2
    while (i < end && !this.done) {
      if (this.inString && this.role === "skip" && !this.escaped) {
        // Jump to the next quote or backslash (positions cached until passed: no quadratic re-search).
        if (nextQuote !== -1 && nextQuote < i) nextQuote = bytes.indexOf(QUOTE, i)
        if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = bytes.indexOf(BACKSLASH, i)
        const stop =
          nextQuote === -1 ? nextBackslash : nextBackslash === -1 ? nextQuote : Math.min(nextQuote, nextBackslash)
        if (stop === -1) return
        i = stop
      }
      this.step(bytes[i] as number)
      i += 1
    }
  }

  /** The id of the response being dropped, if it is a response and its id could be read. */
  responseId(): string | number | null {
    if (!this.isObject || this.hasMethod || this.rawId === null) return null
    try {
      const id: unknown = JSON.parse(Buffer.from(this.rawId).toString("utf8"))
      return typeof id === "string" || typeof id === "number" ? id : null
    } catch {
      return null
    }
  }

  private step(byte: number): void {
    if (this.inString) {
      if (this.role === "key" && this.keyBytes.length <= KEY_BYTES) this.keyBytes.push(byte)
      if (this.role === "id") this.captureId(byte)
      if (this.escaped) this.escaped = false
      else if (byte === BACKSLASH) this.escaped = true
      else if (byte === QUOTE) this.endString()
      return
    }
    if (this.capturing && this.depth === 1 && byte !== COMMA && byte !== CLOSE_OBJECT) this.captureId(byte)
    switch (byte) {
      case QUOTE:
        this.inString = true
        this.role = this.depth !== 1 ? "skip" : this.expectKey ? "key" : this.capturing ? "id" : "skip"
        this.keyBytes = []
        return
      case OPEN_OBJECT:
      case OPEN_ARRAY:
        if (this.depth === 0) {
          this.isObject = byte === OPEN_OBJECT
          if (!this.isObject) this.done = true // a batch: no single id to fail
          this.expectKey = true
        } else if (this.depth === 1 && this.capturing) {
          this.idBytes = null // an object or array is no id
        }
        this.depth += 1
        return
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        if (this.depth === 1) this.endValue()
        this.depth -= 1
        if (this.depth <= 0) this.done = true
        return
      case COLON:
        if (this.depth === 1) {
          this.expectKey = false
          this.capturing = this.key === "id"
          this.idBytes = this.capturing ? [] : null
        }
        return
      case COMMA:
        if (this.depth === 1) {
          this.endValue()
          this.expectKey = true
        }
        return
      default:
        return
    }
  }

  private captureId(byte: number): void {
    if (this.idBytes === null) return
    if (this.idBytes.length >= ID_BYTES) this.idBytes = null
    else this.idBytes.push(byte)
  }

  private endString(): void {
    this.inString = false
    if (this.role === "key") {
      this.keyBytes.pop() // the closing quote
      this.key = this.keyBytes.length > KEY_BYTES ? "" : String.fromCharCode(...this.keyBytes)
      if (this.key === "method") this.hasMethod = true
    }
    this.role = "skip"
  }

  private endValue(): void {
    if (this.capturing && this.idBytes !== null) this.rawId = this.idBytes
    this.capturing = false
    this.idBytes = null
    this.key = ""
  }
}
