import { oversizedResponse } from "./ResultLimit.js"
import { ResponseIdScanner, asBuffer } from "./ResponseIdScanner.js"

const LF = 0x0a
const CR = 0x0d
const COLON = 0x3a
const SPACE = 0x20
const NEWLINE = Buffer.from("\n")

type Emit = (bytes: Uint8Array) => void

/** SSE line terminators (LF, CR LF, CR) across chunks, found with native searches. */
class Lines {
  /** No byte of the current line seen yet: a terminator now ends an empty line, the end of an event. */
  private lineEmpty = true

  /** `lastCR`: the byte before was a CR (an LF now completes its CR LF). */
  constructor(private lastCR = false) {}

  /** Past the LF of a CR LF whose CR came last: the position after it, or `from`. */
  takeLF(buf: Buffer, from: number): number {
    if (!this.lastCR || buf[from] !== LF) return from
    this.lastCR = false
    return from + 1
  }

  /**
   * Walk `buf` from `from`: `content` gets each run of line bytes, `line` each terminator (whether it ended an empty
   * line, and the position after it) and stops the walk by returning true. The position after the last terminator
   * walked when stopped, -1 when the chunk is used up.
   */
  walk(
    buf: Buffer,
    from: number,
    content: (start: number, end: number) => void,
    line: (blank: boolean, after: number) => boolean
  ): number {
    let pos = from
    let nextLF = -2
    let nextCR = -2
    while (pos < buf.length) {
      if (nextLF !== -1 && nextLF < pos) nextLF = buf.indexOf(LF, pos)
      if (nextCR !== -1 && nextCR < pos) nextCR = buf.indexOf(CR, pos)
      const at = nextLF === -1 ? nextCR : nextCR === -1 ? nextLF : Math.min(nextLF, nextCR)
      if (at === -1) {
        content(pos, buf.length)
        this.lineEmpty = false
        this.lastCR = false
        return -1
      }
      if (at > pos) {
        content(pos, at)
        this.lineEmpty = false
        this.lastCR = false
      }
      if (buf[at] === LF && this.lastCR) {
        this.lastCR = false // the LF of a CR LF split across chunks
        pos = at + 1
        continue
      }
      const blank = this.lineEmpty
      this.lineEmpty = true
      let after = at + 1
      this.lastCR = buf[at] === CR
      if (this.lastCR && after < buf.length && buf[after] === LF) {
        after += 1
        this.lastCR = false
      }
      pos = after
      if (line(blank, after)) return after
    }
    return -1
  }
}

const NOTHING = () => undefined

/**
 * An event thrown away for its size, read as it streams past in constant memory: its `id` field (kept, so the
 * stream's last event id moves past it) and, from its data, the id of the response it carried.
 */
class SkippedEvent {
  // An event starts after a boundary, which may have been a CR whose LF comes now (no event over the limit starts
  // with a terminator: that would be an empty line, an event of its own).
  readonly lines = new Lines(true)
  private readonly scanner = new ResponseIdScanner()
  private name: Array<number> | null = []
  private field = ""
  private valueStart = false
  private dataLines = 0
  private eventId: Array<number> | null = null

  /** Feed bytes of the event; the position after its end in `buf`, or -1 when it goes on. */
  feed(buf: Buffer, from: number): number {
    return this.lines.walk(
      buf,
      from,
      (start, end) => this.content(buf, start, end),
      (blank) => {
        if (blank) return true
        this.endLine()
        return false
      }
    )
  }

  /** What stands in for the event: its id, and an error response for the request it answered. */
  replacement(limit: number): Uint8Array | null {
    const id = this.eventId === null ? "" : `id: ${Buffer.from(this.eventId).toString("utf8")}\n`
    const responseId = this.scanner.responseId()
    if (id === "" && responseId === null) return null
    const data =
      responseId === null ? "" : `event: message\ndata: ${JSON.stringify(oversizedResponse(responseId, limit))}\n`
    return Buffer.from(`${id}${data}\n`)
  }

  private content(buf: Buffer, start: number, end: number): void {
    let from = start
    if (this.name !== null) {
      const colon = buf.indexOf(COLON, from)
      const stop = colon === -1 || colon >= end ? end : colon
      if (this.name.length + stop - from <= 8) this.name.push(...buf.subarray(from, stop))
      else this.name.length = 9 // too long for a field att reads
      if (stop === end) return
      this.startValue()
      from = stop + 1
    }
    if (this.valueStart && from < end) {
      this.valueStart = false
      if (buf[from] === SPACE) from += 1
    }
    if (from >= end) return
    if (this.field === "data") this.scanner.feed(buf.subarray(from, end))
    else if (this.field === "id" && this.eventId !== null) {
      if (this.eventId.length + end - from > 256) this.eventId = null
      else this.eventId.push(...buf.subarray(from, end))
    }
  }

  private startValue(): void {
    const name = this.name ?? []
    this.field = name.length > 8 ? "" : String.fromCharCode(...name)
    this.name = null
    this.valueStart = true
    // Data lines join with a newline: JSON split over several lines reads the same.
    if (this.field === "data" && this.dataLines > 0) this.scanner.feed(NEWLINE)
    if (this.field === "id") this.eventId = []
  }

  private endLine(): void {
    if (this.name !== null) this.startValue() // a line without a colon names a field with an empty value
    if (this.field === "data") this.dataLines += 1
    this.name = []
    this.field = ""
    this.valueStart = false
  }
}

/**
 * Server-sent events bounded per event: bytes since the last event boundary never pass `limit`. Whole events are
 * passed on as they complete (a chunk's complete events without a copy; an event that spanned chunks as one chunk,
 * so the SSE parser downstream does not re-scan a growing line). An event over the limit is either the end of the
 * stream (`cut`: the stream of one request, which the caller then ends for that request) or thrown away in place
 * (a session's long-lived stream, which must go on): its bytes are read past without being kept, and a small event
 * stands in for it (its id, and an error response for the request it answered).
 */
export class SseEvents {
  private lines = new Lines()
  private held: Array<Buffer> = []
  private heldBytes = 0
  private skipped: SkippedEvent | null = null
  /** An event was just thrown away: the LF of its last CR LF, if it comes now, goes with it. */
  private afterSkip = false

  constructor(
    private readonly limit: number,
    private readonly cut: boolean
  ) {}

  /** Pass a chunk on through `emit`; "cut" when an event passed the limit on a stream that ends there. */
  push(chunk: Uint8Array, emit: Emit): "cut" | null {
    const buf = asBuffer(chunk)
    let from = 0
    while (from < buf.length) {
      from = this.skipped === null ? this.frame(buf, from, emit) : this.skip(this.skipped, buf, from, emit)
      if (from === CUT) return "cut"
      if (from === -1) return null
    }
    return null
  }

  /** The end of the stream: an unfinished event is passed on as it is (the parser drops it). */
  end(emit: Emit): void {
    if (this.skipped === null && this.heldBytes > 0) emit(Buffer.concat(this.held, this.heldBytes))
    this.held = []
    this.heldBytes = 0
  }

  private frame(buf: Buffer, at: number, emit: Emit): number {
    const from = this.afterSkip ? this.lines.takeLF(buf, at) : at
    this.afterSkip = false
    let emitFrom = from
    let eventStart = from
    let oversizedEnd = -1
    this.lines.walk(buf, from, NOTHING, (blank, after) => {
      if (!blank) return false
      if (this.heldBytes + after - eventStart > this.limit) {
        oversizedEnd = after
        return true
      }
      if (this.heldBytes > 0) {
        emit(Buffer.concat([...this.held, buf.subarray(eventStart, after)]))
        this.held = []
        this.heldBytes = 0
        emitFrom = after
      }
      eventStart = after
      return false
    })
    if (eventStart > emitFrom) emit(buf.subarray(emitFrom, eventStart))
    if (oversizedEnd === -1) {
      if (eventStart < buf.length) {
        this.held.push(buf.subarray(eventStart))
        this.heldBytes += buf.length - eventStart
      }
      if (this.heldBytes <= this.limit) return -1
    }
    if (this.cut) return CUT
    // Read the event from its start, without keeping it.
    const skipped = new SkippedEvent()
    const held = this.held
    this.held = []
    this.heldBytes = 0
    this.skipped = skipped
    // The held bytes hold no event boundary (the walk above would have found it).
    for (const part of held) skipped.feed(part, 0)
    return oversizedEnd === -1 ? -1 : this.skip(skipped, buf, eventStart, emit)
  }

  /** Skip the rest of an event over the limit; the position after it, or -1 when it goes on past this chunk. */
  private skip(skipped: SkippedEvent, buf: Buffer, from: number, emit: Emit): number {
    const end = skipped.feed(buf, from)
    if (end === -1) return -1
    this.skipped = null
    this.lines = skipped.lines
    this.afterSkip = true
    const replacement = skipped.replacement(this.limit)
    if (replacement !== null) emit(replacement)
    return end
  }
}

const CUT = -3
