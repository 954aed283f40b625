/**
 * A strict parser of the Prometheus text exposition format 0.0.4 (what `GET /metrics` serves): `# HELP` and
 * `# TYPE` lines, other comments, and samples `name{label="value",...} value [timestamp]`. It throws, naming the
 * line, on anything else: a malformed name, label or value, an unterminated or badly escaped label value, a
 * duplicate label, a second TYPE for a family, a sample of a declared family that does not fit its type (histogram
 * samples must be `_bucket` with `le`, `_sum` or `_count`), or a duplicate series.
 */
export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

export interface Family {
  readonly name: string
  type: string
  help: string | null
  readonly samples: Array<Sample>
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"])
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/

const parseValue = (text: string, line: number): number => {
  if (text === "+Inf") return Number.POSITIVE_INFINITY
  if (text === "-Inf") return Number.NEGATIVE_INFINITY
  if (text === "NaN") return Number.NaN
  if (!NUMBER.test(text)) throw new Error(`line ${line}: bad value ${JSON.stringify(text)}`)
  return Number(text)
}

/** The labels between `{` and `}` from `start` (just after `{`); the index after `}`. */
const parseLabels = (text: string, start: number, line: number) => {
  const labels: Record<string, string> = {}
  let i = start
  for (;;) {
    if (text[i] === "}") return { labels, end: i + 1 }
    const eq = text.indexOf("=", i)
    if (eq < 0) throw new Error(`line ${line}: label without '='`)
    const name = text.slice(i, eq)
    if (!LABEL_NAME.test(name)) throw new Error(`line ${line}: bad label name ${JSON.stringify(name)}`)
    if (Object.hasOwn(labels, name)) throw new Error(`line ${line}: duplicate label ${name}`)
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label value not quoted`)
    let value = ""
    let j = eq + 2
    for (;;) {
      const c = text[j]
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`)
      if (c === '"') break
      if (c === "\\") {
        const next = text[j + 1]
        if (next === "\\") value += "\\"
        else if (next === '"') value += '"'
        else if (next === "n") value += "\n"
        else throw new Error(`line ${line}: bad escape \\${next ?? ""}`)
        j += 2
        continue
      }
      value += c
      j += 1
    }
    labels[name] = value
    i = j + 1
    if (text[i] === ",") i += 1
    else if (text[i] !== "}") throw new Error(`line ${line}: expected ',' or '}' after a label`)
  }
}

/** The family a sample belongs to, given the declared families (histogram and summary suffixes). */
const familyOf = (name: string, families: Map<string, Family>): Family | undefined => {
  const exact = families.get(name)
  if (exact !== undefined) return exact
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!name.endsWith(suffix)) continue
    const family = families.get(name.slice(0, -suffix.length))
    if (family !== undefined && (family.type === "histogram" || family.type === "summary")) return family
  }
  return undefined
}

export const parsePrometheusText = (text: string): Map<string, Family> => {
  const families = new Map<string, Family>()
  const series = new Set<string>()
  const declare = (name: string, line: number) => {
    if (!METRIC_NAME.test(name)) throw new Error(`line ${line}: bad metric name ${JSON.stringify(name)}`)
    let family = families.get(name)
    if (family === undefined) {
      family = { name, type: "untyped", help: null, samples: [] }
      families.set(name, family)
    }
    return family
  }
  text.split("\n").forEach((raw, index) => {
    const line = index + 1
    if (raw.trim() === "") return
    if (raw.startsWith("#")) {
      const help = /^# HELP (\S+) (.*)$/.exec(raw)
      if (help !== null) {
        const family = declare(help[1] as string, line)
        if (family.help !== null) throw new Error(`line ${line}: second HELP for ${family.name}`)
        family.help = help[2] as string
        return
      }
      const type = /^# TYPE (\S+) (\S+)$/.exec(raw)
      if (type !== null) {
        const family = declare(type[1] as string, line)
        if (family.samples.length > 0 || family.type !== "untyped")
          throw new Error(`line ${line}: TYPE of ${family.name} after its samples or twice`)
        if (!TYPES.has(type[2] as string)) throw new Error(`line ${line}: unknown type ${type[2]}`)
        family.type = type[2] as string
        return
      }
      if (/^# (HELP|TYPE)\b/.test(raw)) throw new Error(`line ${line}: malformed ${raw}`)
      return // any other comment
    }
    const nameEnd = raw.search(/[{ ]/)
    if (nameEnd <= 0) throw new Error(`line ${line}: no sample name`)
    const name = raw.slice(0, nameEnd)
    if (!METRIC_NAME.test(name)) throw new Error(`line ${line}: bad metric name ${JSON.stringify(name)}`)
    let rest = nameEnd
    let labels: Record<string, string> = {}
    if (raw[nameEnd] === "{") {
      const parsed = parseLabels(raw, nameEnd + 1, line)
      labels = parsed.labels
      rest = parsed.end
    }
    if (raw[rest] !== " ") throw new Error(`line ${line}: expected a space before the value`)
    const fields = raw.slice(rest + 1).split(" ")
    if (fields.length < 1 || fields.length > 2 || fields.some((field) => field === ""))
      throw new Error(`line ${line}: expected a value and an optional timestamp`)
    if (fields[1] !== undefined && !/^-?\d+$/.test(fields[1])) throw new Error(`line ${line}: bad timestamp`)
    const value = parseValue(fields[0] as string, line)
    const family = familyOf(name, families) ?? declare(name, line)
    if (family.type === "histogram") {
      const suffix = name.slice(family.name.length)
      if (suffix === "_bucket" && labels.le === undefined) throw new Error(`line ${line}: bucket without le`)
      if (!["_bucket", "_sum", "_count"].includes(suffix)) throw new Error(`line ${line}: ${name} in a histogram`)
    } else if (family.type !== "summary" && name !== family.name) {
      throw new Error(`line ${line}: ${name} in family ${family.name}`)
    }
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`
    if (series.has(key)) throw new Error(`line ${line}: duplicate series ${key}`)
    series.add(key)
    family.samples.push({ name, labels, value })
  })
  return families
}

/** The one sample of `name` whose labels include `labels` (throws when none or several match). */
export const sampleOf = (
  families: Map<string, Family>,
  name: string,
  labels: Readonly<Record<string, string>> = {}
): number => {
  const all = [...families.values()].flatMap((family) => family.samples)
  const matching = all.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value)
  )
  if (matching.length !== 1) throw new Error(`${matching.length} samples of ${name} match ${JSON.stringify(labels)}`)
  return (matching[0] as Sample).value
}

/** Every sample of `name` (any labels). */
export const samplesOf = (families: Map<string, Family>, name: string): ReadonlyArray<Sample> =>
  [...families.values()].flatMap((family) => family.samples).filter((sample) => sample.name === name)
