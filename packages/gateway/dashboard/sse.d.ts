/** Types of `sse.js` (plain JavaScript the browser loads as is), for the tests that run it under Node. */
export interface SseEvent {
  readonly id: string | undefined
  readonly event: string
  readonly data: string
}

export interface SseParser {
  push(text: string): Array<SseEvent>
  readonly lastId: string | undefined
}

export declare const MAX_LINE_CHARS: number
export declare function createSseParser(): SseParser
export declare function readEvents(body: ReadableStream<Uint8Array>, parser: SseParser): AsyncGenerator<SseEvent>
