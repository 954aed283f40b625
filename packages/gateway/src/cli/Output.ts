import { Console, Effect } from "effect"

/** Whether stdout / stderr are terminals: tables get a bold header and progress is shown only then. */
const stdoutIsTty = () => process.stdout.isTTY === true
const stderrIsTty = () => process.stderr.isTTY === true

/** One JSON document on stdout (`--json`). */
export const printJson = (value: unknown) => Console.log(JSON.stringify(value, null, 2))

/** One JSON object on one line (`events --follow --json`). */
export const printJsonLine = (value: unknown) => Console.log(JSON.stringify(value))

/** A cell as text: null and undefined are "-", other values as JSON unless they are strings. */
const cell = (value: unknown): string =>
  value === null || value === undefined ? "-" : typeof value === "string" ? value : JSON.stringify(value)

/** Rows under a header, each column as wide as its widest cell; plain text unless stdout is a terminal. */
export const renderTable = (
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<unknown>>,
  bold = stdoutIsTty()
): string => {
  const cells = rows.map((row) => row.map(cell).map((text) => text.replace(/\s+/g, " ")))
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((row) => row[column]?.length ?? 0)))
  const line = (row: ReadonlyArray<string>) =>
    row
      .map((text, column) => (column === row.length - 1 ? text : text.padEnd(widths[column] ?? 0)))
      .join("  ")
      .trimEnd()
  const top = line(header)
  return [bold ? `\u001b[1m${top}\u001b[0m` : top, ...cells.map(line)].join("\n")
}

export const printTable = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<unknown>>) =>
  Console.log(renderTable(header, rows))

/** A progress line on stderr, only when it is a terminal (scripts reading stderr see errors only). */
export const progress = (message: string) =>
  Effect.sync(() => {
    if (stderrIsTty()) process.stderr.write(`att: ${message}\n`)
  })

// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is matched
const ANSI = /\u001b\[[0-9;]*m/g
const plain = (args: ReadonlyArray<unknown>) =>
  args.map((arg) => (typeof arg === "string" ? arg.replace(ANSI, "") : arg))

/** `base` without colours on the streams that are not terminals (the CLI's help and errors are printed in ANSI). */
export const colourOnlyOnTerminals = (base: Console.Console): Console.Console => ({
  ...base,
  log: (...args) => (stdoutIsTty() ? base.log(...args) : base.log(...plain(args))),
  error: (...args) => (stderrIsTty() ? base.error(...args) : base.error(...plain(args)))
})
