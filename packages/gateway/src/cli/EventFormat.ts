/** An event as the event routes and the stream give it (JSON, timestamps as ISO strings), with its type. */
export interface TypedEvent {
  readonly type: string
  readonly id?: string | undefined
  readonly event: Record<string, unknown>
}

const text = (value: unknown) => (value === null || value === undefined ? "" : String(value))
const names = (label: string, value: unknown) =>
  Array.isArray(value) && value.length > 0 ? [`${label} ${value.map((item) => text(item.name ?? item)).join(",")}`] : []

/** What happened, in a few words, by type. */
export const summary = ({ type, event }: TypedEvent): string => {
  switch (type) {
    case "connection":
      return `${text(event.from_status)} -> ${text(event.to_status)} (${text(event.reason)})`
    case "invocation":
      return [text(event.method), text(event.phase), text(event.request_id), text(event.error)]
        .filter((part) => part !== "")
        .join(" ")
    case "capability":
      return [
        text(event.list),
        text(event.kind),
        ...names("added", event.added),
        ...names("removed", event.removed),
        ...names("changed", event.changed),
        ...names("rejected", event.rejected)
      ].join(" ")
    default:
      return JSON.stringify(event)
  }
}

/** The columns of an event line (a table row, or one line of a followed stream). */
export const eventRow = (typed: TypedEvent): ReadonlyArray<string> => [
  text(typed.event.timestamp),
  typed.type,
  text(typed.event.server),
  summary(typed)
]

export const EVENT_HEADER = ["TIME", "TYPE", "SERVER", "EVENT"] as const
