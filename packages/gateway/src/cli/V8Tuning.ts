import { setFlagsFromString } from "node:v8"

/**
 * Imported first by `att serve`, before the rest of the service is loaded. V8's allocation-site pretenuring
 * watches which allocation sites' objects survive young-generation collections and moves sites it judges long-lived
 * to old-space allocation. Under load the objects of every call in flight (its fiber, continuations, the SDK's
 * request) survive a collection or two, so V8 pretenures those sites although they die within milliseconds: att
 * then put ~4 KB per call into old space, paying for it with page faults and full collections. Measured under 32
 * callers over stdio: promoted 4.1 → 1.6 KB per call, minor page faults ~1.0 → 0.15–0.5 per call (before the invoke
 * routes moved to the HttpApi handlers; not measured since).
 * A process-wide setting, so it belongs to the command line and not to the layers other apps compose.
 */
setFlagsFromString("--no-allocation-site-pretenuring")
