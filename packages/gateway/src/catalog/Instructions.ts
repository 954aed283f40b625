/** `text` cut to at most `maxBytes` bytes of UTF-8, ending on a whole character. */
export const truncateUtf8 = (text: string, maxBytes: number): string => {
  const bytes = Buffer.from(text, "utf8")
  if (bytes.length <= maxBytes) return text
  let end = Math.max(0, maxBytes)
  // A continuation byte (10xxxxxx) at the cut means a character was split: cut before its first byte.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1
  return bytes.subarray(0, end).toString("utf8")
}

export interface ServerInstructions {
  readonly server: string
  readonly instructions: string | null | undefined
}

/**
 * One block per server that gave instructions, in the order given, each headed by the server's name
 * (`## alpha\n<text>`) and its text cut to `maxBytes` bytes of UTF-8, followed by a line saying so when cut.
 * Undefined when no server gave any.
 */
export const composeInstructions = (
  servers: ReadonlyArray<ServerInstructions>,
  maxBytes: number
): string | undefined => {
  const blocks = servers.flatMap(({ server, instructions }) => {
    if (instructions == null || instructions.trim() === "") return []
    const size = Buffer.byteLength(instructions, "utf8")
    const text =
      size <= maxBytes
        ? instructions
        : `${truncateUtf8(instructions, maxBytes)}\n[att: ${server}'s instructions were cut to ${maxBytes} of ${size} bytes]`
    return [`## ${server}\n${text}`]
  })
  return blocks.length === 0 ? undefined : blocks.join("\n\n")
}
