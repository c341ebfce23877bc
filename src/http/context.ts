/** @module http/context: the per-request variables every HTTP middleware and route shares. */
import type { Context } from 'hono'
import type { Principal, RateBudget } from '../core/identity.js'
import type { Logger } from '../observability/logger.js'

export interface AppVariables {
  /** The bridge's own id of the request (a UUID), sent back as `X-Request-Id`. */
  requestId: string
  /** The caller's `X-Request-Id`, cleaned (see `clientRequestId` in app.ts), if it sent one. */
  clientRequestId?: string
  /** Set by the authentication middleware; absent on public routes. */
  principal?: Principal
  /** Logger bound to this request (request id, and agent once known). */
  log: Logger
  /** Set by the agent rate limit when one applies: what is left after this request. */
  rateBudget?: RateBudget
}

export type AppEnv = { Variables: AppVariables }

/**
 * Sets headers on the response that is going out, after the route ran. A route may return a
 * Response it built itself with immutable headers (the MCP transport does); that one is copied.
 */
export function setResponseHeaders(c: Context, headers: Record<string, string>): void {
  try {
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v)
  } catch {
    c.res = new Response(c.res.body, c.res)
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v)
  }
}

/**
 * Returns a function giving a request URL's origin (`scheme://host[:port]`), exactly as
 * `new URL(url).origin` does, parsing only when the scheme and authority differ from the last
 * request's: nearly every request to a bridge names the same host. Only the last one is kept, so
 * a client sending many Host names costs a parse each, never memory.
 */
export function createOriginOf(): (url: string) => string {
  let lastPrefix: string | undefined
  let lastOrigin = ''
  return (url) => {
    // Everything before the path: the origin of this prefix is the whole URL's, as the URL
    // parser ends the authority at the first "/", "?", "#" or backslash, never after this "/".
    const slash = url.indexOf('/', url.indexOf('//') + 2)
    const prefix = slash < 0 ? url : url.slice(0, slash)
    if (prefix !== lastPrefix) {
      lastOrigin = new URL(url).origin
      lastPrefix = prefix
    }
    return lastOrigin
  }
}
