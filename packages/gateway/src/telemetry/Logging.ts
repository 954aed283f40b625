import { Context, FiberRef, FiberRefs, HashMap, type Layer, Logger, Option, Tracer } from "effect"

export type LogFormat = "json" | "text"

/** A logger whose lines also carry the trace and span ids of the span they were logged in (when there is one). */
const withTraceIds = <A>(logger: Logger.Logger<unknown, A>): Logger.Logger<unknown, A> =>
  Logger.mapInputOptions(logger, (options) => {
    const context = FiberRefs.getOrDefault(options.context, FiberRef.currentContext)
    const span = Context.getOption(context, Tracer.ParentSpan)
    if (Option.isNone(span)) return options
    const annotations = HashMap.set(
      HashMap.set(options.annotations, "trace_id", span.value.traceId as unknown),
      "span_id",
      span.value.spanId as unknown
    )
    return { ...options, annotations }
  })

/**
 * att's logger: logfmt text (`text`, the default) or one JSON object per line (`json`), each line with `trace_id`
 * and `span_id` when logged inside a span. `att serve` chooses it by `--log-format` (or `ATT_LOG_FORMAT`).
 */
export const loggerLayer = (format: LogFormat): Layer.Layer<never> =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.withConsoleLog(withTraceIds(format === "json" ? Logger.jsonLogger : Logger.logfmtLogger))
  )
