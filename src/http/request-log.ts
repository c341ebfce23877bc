/** @module http/request-log: one structured log line per HTTP request, and the route label it and the metrics carry. */
import type { Context } from 'hono'
import { matchedRoutes } from 'hono/route'
import type { Logger } from '../observability/logger.js'
import type { AppEnv } from './context.js'

/**
 * The route pattern a request was routed to (`/secrets/*`), or `(unmatched)` when only catch-all
 * middlewares matched. Taken from the router's matches, so a request refused before its handler
 * ran (401, 429) still gets its route. Security and cardinality: the raw URL is never used,
 * because it names the agent's secret paths and its query string may carry anything.
 */
export function routeLabel(c: Context): string {
  let routes: { path: string }[]
  try {
    routes = matchedRoutes(c)
  } catch {
    return '(unmatched)'
  }
  // The last specific pattern, without filtering into a new array (this runs on every request).
  for (let i = routes.length - 1; i >= 0; i--) {
    const { path } = routes[i] as { path: string }
    if (path !== '*' && path !== '/*' && path !== '') return path
  }
  return '(unmatched)'
}

/**
 * Logs `{method, route, status, durationMs, requestId, agent}` once for a finished request, at
 * `info` (`warn` for 5xx); the edge middleware (edge.ts) calls it. Headers and bodies are never
 * passed to the logger, and the logger redacts them by configuration anyway.
 *
 * `logger` is the root logger, not `c.var.log`: that one already binds requestId and agent, and
 * pino would write those keys twice.
 */
export function logRequest(
  logger: Logger,
  c: Context<AppEnv>,
  route: string,
  status: number,
  elapsedMs: number,
): void {
  const agent = c.get('principal')?.agent
  const durationMs = Math.round(elapsedMs * 10) / 10
  const requestId = c.get('requestId')
  const { method } = c.req
  // One literal per shape (no spread): this runs on every request.
  const line =
    agent === undefined
      ? { method, route, status, durationMs, requestId }
      : { method, route, status, durationMs, requestId, agent }
  if (status >= 500) logger.warn(line, 'request')
  else logger.info(line, 'request')
}
