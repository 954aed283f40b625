import { Schema } from "effect"

/**
 * Any JSON value (an upstream's result, an error's `data`): `Schema.Unknown` with its JSON Schema written out. The
 * default gives every occurrence the same `$id`, which an OpenAPI document may not repeat.
 */
export const JsonValue = Schema.Unknown.annotations({
  jsonSchema: { type: ["object", "array", "string", "number", "integer", "boolean", "null"] }
})
