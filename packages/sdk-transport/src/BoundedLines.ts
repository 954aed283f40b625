import { ResponseIdScanner } from "./ResponseIdScanner.js"

const LF = 0x0a

/**
 * Newline-delimited messages from a stream, never more than `limit` bytes held for one. A line within the limit is
 * handed on whole (one chunk's line without a copy, a line over several chunks joined once). A line over the limit
 * is dropped as it streams: from the moment it passes the limit its bytes are only scanned for the response id
 * (`ResponseIdScanner`), and at its end `onDropped` learns what it answered.
 */
export class BoundedLines {
  private held: Array<Buffer> = []
  private heldBytes = 0
  private dropping: ResponseIdScanner | null = null

  constructor(
    private readonly limit: number,
    private readonly onLine: (line: Buffer) => void,
    private readonly onDropped: (scanner: ResponseIdScanner) => void
  ) {}

  push(chunk: Buffer): void {
    let start = 0
    while (start < chunk.length) {
      const newline = chunk.indexOf(LF, start)
      this.take(chunk.subarray(start, newline === -1 ? chunk.length : newline))
      if (newline === -1) return
      this.endLine()
      start = newline + 1
    }
  }

  private take(part: Buffer): void {
    if (part.length === 0) return
    if (this.dropping !== null) {
      this.dropping.feed(part)
      return
    }
    if (this.heldBytes + part.length <= this.limit) {
      this.held.push(part)
      this.heldBytes += part.length
      return
    }
    const scanner = new ResponseIdScanner()
    for (const held of this.held) scanner.feed(held)
    scanner.feed(part)
    this.held = []
    this.heldBytes = 0
    this.dropping = scanner
  }

  private endLine(): void {
    const dropped = this.dropping
    if (dropped !== null) {
      this.dropping = null
      this.onDropped(dropped)
      return
    }
    const held = this.held
    const line = held.length === 1 ? (held[0] as Buffer) : Buffer.concat(held, this.heldBytes)
    this.held = []
    this.heldBytes = 0
    if (line.length > 0) this.onLine(line)
  }
}
