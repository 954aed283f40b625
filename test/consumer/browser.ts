/**
 * What a browser app imports from att: `.ci/run` bundles this with `esbuild --platform=browser`, which fails on any
 * Node builtin, from the installed packages.
 */
import { AttApi, makeClient } from "@att/gateway/api"

export const attClient = (origin: string, token: string) => makeClient(origin, { token })
export const attApi = AttApi
