/** @module http/request-log: one structured log line per HTTP request. */
import type { Context, MiddlewareHandler } from 'hono'
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
  const specific = routes.filter((r) => r.path !== '*' && r.path !== '/*' && r.path !== '')
  return specific.at(-1)?.path ?? '(unmatched)'
}

/**
 * Logs `{method, route, status, durationMs, requestId, agent}` once per request, at `info`
 * (`warn` for 5xx). Mount it right after the request-id middleware. Headers and bodies are never
 * passed to the logger, and the logger redacts them by configuration anyway.
 */
export function requestLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now()
    await next()
    const status = c.res.status
    const line = {
      method: c.req.method,
      route: routeLabel(c),
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      requestId: c.get('requestId'),
      ...(c.get('principal') ? { agent: c.get('principal')?.agent } : {}),
    }
    // The root logger, not `c.var.log`: that one already binds requestId and agent, and pino
    // would write those keys twice.
    if (status >= 500) logger.warn(line, 'request')
    else logger.info(line, 'request')
  }
}
