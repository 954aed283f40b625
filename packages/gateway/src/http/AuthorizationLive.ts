import { HttpServerRequest } from "@effect/platform"
import { Effect, Layer } from "effect"
import { Unauthorized } from "../api/Errors.js"
import { Authorization } from "../api/Security.js"
import { GatewayOptions } from "../GatewayOptions.js"
import { UNAUTHORIZED, tokenAccepted } from "./Admission.js"

/**
 * The bearer check of the API. The platform's decoder only slices the scheme's length off the header, so the header
 * is read again here and matched exactly (scheme in any case, one token). No token configured: every request passes.
 */
export const AuthorizationLive = Layer.effect(
  Authorization,
  Effect.map(GatewayOptions, (settings) =>
    Authorization.of({
      bearer: () =>
        settings.authToken === null
          ? Effect.void
          : Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
              tokenAccepted(request.headers.authorization, settings.authToken as string)
                ? Effect.void
                : Effect.fail(new Unauthorized({ detail: UNAUTHORIZED.detail }))
            )
    })
  )
)
