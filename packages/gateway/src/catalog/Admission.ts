import { PromptSchema, ResourceSchema, ResourceTemplateSchema, ToolSchema } from "@modelcontextprotocol/sdk/types.js"
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv"
import { type Item, type ListKind, type RejectedItem, keyOf } from "./Drift.js"

/**
 * The schemas an MCP SDK client parses each list answer with. One item it rejects makes the client reject the whole
 * answer (every upstream's items with it), so att offers only the items these accept.
 */
const ITEM_SCHEMAS = {
  tools: ToolSchema,
  resources: ResourceSchema,
  resource_templates: ResourceTemplateSchema,
  prompts: PromptSchema
} as const

/** The fields that name an item to clients, identifier first. */
const NAMING_FIELDS: Record<ListKind, ReadonlyArray<string>> = {
  tools: ["name"],
  resources: ["uri", "name"],
  resource_templates: ["uriTemplate", "name"],
  prompts: ["name"]
}

/** What a character is when a name may not contain it: control, bidirectional control, zero-width. */
const disallowed = (code: number): string | null => {
  if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return "a control character"
  if (
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0x200e ||
    code === 0x200f ||
    code === 0x061c
  )
    return "a bidirectional control"
  if ((code >= 0x200b && code <= 0x200d) || code === 0x2060 || code === 0xfeff) return "a zero-width character"
  return null
}

const codePoint = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, "0")}`

/** The first character of `text` a name may not contain, described; null when there is none. */
export const forbiddenCharacter = (text: string): string | null => {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0
    const what = disallowed(code)
    if (what !== null) return `${codePoint(code)} (${what})`
  }
  return null
}

/** `text` with every character a name may not contain written as `<U+XXXX>`, safe to show. */
export const printable = (text: string): string =>
  Array.from(text, (char) => {
    const code = char.codePointAt(0) ?? 0
    return disallowed(code) === null ? char : `<${codePoint(code)}>`
  }).join("")

/** A message that may quote the upstream, safe to show and bounded. */
const quoted = (message: string): string => printable(message.length > 300 ? `${message.slice(0, 300)}…` : message)

const isObject = (value: unknown): value is Item => typeof value === "object" && value !== null && !Array.isArray(value)

/** The item as clients will parse it, or why an MCP client would not take it (or att will not offer it). */
const judge = (
  kind: ListKind,
  item: Item,
  validator: () => AjvJsonSchemaValidator
): { reason: string } | { parsed: Item } => {
  for (const field of NAMING_FIELDS[kind]) {
    const value = item[field]
    const found = typeof value === "string" ? forbiddenCharacter(value) : null
    if (found !== null) return { reason: `${field} contains ${found}` }
  }
  if (kind === "tools" && !(isObject(item.inputSchema) && item.inputSchema.type === "object"))
    return { reason: 'inputSchema must be an object with "type": "object"' }
  const parsed = ITEM_SCHEMAS[kind].safeParse(item)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const path = issue === undefined || issue.path.length === 0 ? "the item" : issue.path.map(String).join(".")
    return { reason: `${quoted(path)} is invalid: ${quoted(issue?.message ?? "rejected by the MCP schema")}` }
  }
  const data = parsed.data as Item
  if (kind === "tools" && isObject(data.outputSchema)) {
    try {
      validator().getValidator(data.outputSchema)
    } catch (error) {
      return {
        reason: `outputSchema does not compile as JSON Schema: ${quoted(error instanceof Error ? error.message : String(error))}`
      }
    }
  }
  return { parsed: data }
}

export interface Admitted {
  /** The items as clients will parse them (fields the MCP schema does not know are dropped, as the SDK does). */
  readonly accepted: ReadonlyArray<Item>
  readonly rejected: ReadonlyArray<RejectedItem>
}

/** Split one upstream list into what att offers and what it hides, with the reason for each hidden item. */
export const admit = (kind: ListKind, items: ReadonlyArray<unknown>): Admitted => {
  const accepted: Array<Item> = []
  const rejected: Array<RejectedItem> = []
  // One validator per list (made when a tool has an output schema), as a client compiles a listing's with one.
  let made: AjvJsonSchemaValidator | undefined
  const validator = () => {
    made ??= new AjvJsonSchemaValidator()
    return made
  }
  items.forEach((item, index) => {
    const key = isObject(item) ? keyOf(kind, item) : null
    if (!isObject(item)) rejected.push({ name: "", reason: `item ${index} is not an object` })
    else if (key === null) rejected.push({ name: "", reason: `item ${index} has no string ${NAMING_FIELDS[kind][0]}` })
    else {
      const outcome = judge(kind, item, validator)
      if ("reason" in outcome) rejected.push({ name: printable(key), reason: outcome.reason })
      else accepted.push(outcome.parsed)
    }
  })
  return { accepted, rejected }
}

/** The rejections of `after` not already in `before` (same name, same reason): what to report anew. */
export const newlyRejected = (
  before: ReadonlyArray<RejectedItem>,
  after: ReadonlyArray<RejectedItem>
): ReadonlyArray<RejectedItem> => {
  const known = new Set(before.map((item) => `${item.name}\u0000${item.reason}`))
  return after.filter((item) => !known.has(`${item.name}\u0000${item.reason}`))
}
