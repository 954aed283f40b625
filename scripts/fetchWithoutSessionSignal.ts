/**
 * fetch for the benchmark's own SDK clients (the direct client and the floor's), treated as att treats its
 * upstreams: without the abort signal the SDK passes, one for the whole session, to every request. undici keeps a
 * listener per request on that signal until garbage collection, and every new request walks them all (see
 * `connectionFor` in SdkTransport). att leaves the signal out; so do the paths it is compared with, so the ratios
 * measure att's overhead and not an SDK cost only one side pays.
 */
export const fetchWithoutSessionSignal = (url: string | URL, init?: RequestInit) => {
  const { signal: _sessionWide, ...request } = init ?? {}
  return fetch(url, request)
}
