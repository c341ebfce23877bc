/** @module http/debug-routes: `GET /echo-headers`, only when DEBUG_ENDPOINTS=true. */
import type { Hono } from 'hono'
import type { Config } from '../config/schema.js'
import { REDACTED } from '../observability/logger.js'
import type { AppEnv } from './context.js'

/**
 * Headers whose values are echoed: what a proxy or client sets to route, negotiate and trace a
 * request. Security: an allow-list, because a deny-list misses what a deployment calls its
 * credentials (`private-key`, `x-client-key`, a proxy's secret header...).
 */
export const ECHOED_HEADERS: ReadonlySet<string> = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'connection',
  'content-length',
  'content-type',
  'forwarded',
  'host',
  'mcp-protocol-version',
  'origin',
  'sec-fetch-dest',
  'sec-fetch-mode',
  'sec-fetch-site',
  'traceparent',
  'tracestate',
  'user-agent',
  'via',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-request-id',
])

/**
 * The request headers by name, each value either echoed (allow-listed: {@link ECHOED_HEADERS})
 * or replaced by {@link REDACTED}, so that an operator sees which headers arrived without the
 * values that may be credentials.
 */
export function echoableHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  headers.forEach((value, name) => {
    out[name] = ECHOED_HEADERS.has(name) ? value : REDACTED
  })
  return out
}

/**
 * Registers the debug routes when DEBUG_ENDPOINTS is true, and nothing otherwise (so they answer
 * 404). Mount them behind authentication: they are not public.
 */
export function registerDebugRoutes(
  app: Hono<AppEnv>,
  config: Pick<Config, 'debugEndpoints'>,
): void {
  if (!config.debugEndpoints) return
  app.get('/echo-headers', (c) =>
    c.json({ method: c.req.method, headers: echoableHeaders(c.req.raw.headers) }),
  )
}
