/**
 * @module http/edge: what every request goes through first, in one middleware: its id, the body
 * limit, and on the way out its HTTP metrics, its log line and `X-Request-Id` on whatever goes
 * out. One layer instead of four: each hono layer is an async frame, a promise and a microtask on
 * every request, and the metrics and the log line share one route label and one clock.
 */
import { randomUUID } from 'node:crypto'
import type { Context, ErrorHandler, MiddlewareHandler } from 'hono'
import { deferredChild, type Logger } from '../observability/logger.js'
import type { Metrics } from '../observability/metrics.js'
import { bodyLimit } from './body-limit.js'
import { setResponseHeaders, type AppEnv } from './context.js'
import { logRequest, routeLabel } from './request-log.js'

export interface EdgeOptions {
  /** The root logger: the request logger is its child, and the request line goes to it. */
  logger: Logger
  /** Counts and times every request by method, route pattern and status; omitted, none. */
  metrics?: Pick<Metrics, 'httpRequest'>
  /** MAX_BODY_BYTES. */
  maxBodyBytes: number
  /** Throws the app's 413 for a body over the limit. */
  tooLarge: (c: Context<AppEnv>) => never
  /**
   * The app's error handler. A body refused here is rendered by it, as hono renders an error
   * thrown by any middleware, and is then counted and logged like every other answer.
   */
  onError: ErrorHandler<AppEnv>
}

/**
 * The caller's `X-Request-Id`, cleaned for logs and metadata: at most 128 characters, anything
 * but letters, digits and `._:@+=/-` replaced by `_`. Undefined when there is none.
 */
export const clientRequestId = (given: string | undefined): string | undefined => {
  const clean = given
    ?.trim()
    .slice(0, 128)
    .replace(/[^A-Za-z0-9._:@+=/-]/g, '_')
  return clean ? clean : undefined
}

/**
 * The edge middleware. Mount it first, on every path. In order:
 * 1. the request id: `c.var.requestId` (a UUID), `c.var.clientRequestId` (the caller's, cleaned),
 *    `c.var.log` bound to both, and `X-Request-Id` on the response;
 * 2. the body limit (see body-limit.ts), before anything reads the body;
 * 3. after everything else: `metrics.httpRequest`, one log line `{method, route, status,
 *    durationMs, requestId, agent}` at `info` (`warn` for 5xx), and `X-Request-Id` again on a
 *    Response a route built itself.
 *
 * Security: the request's key in the logs, the audit trail and Vault's token metadata is always
 * the bridge's own id; a caller's `X-Request-Id` could otherwise collide with, or pose as, another
 * agent's request. The caller's id is kept, cleaned, beside it as `clientRequestId`. Refused
 * requests (401, 413, 429) are counted and logged too; the log line and the metrics carry the
 * route pattern, never the URL.
 */
export function requestEdge(options: EdgeOptions): MiddlewareHandler<AppEnv> {
  const { logger, metrics, onError } = options
  const limitBody = bodyLimit(options.maxBodyBytes, options.tooLarge)
  return async (c, next) => {
    const id = randomUUID()
    const clientId = clientRequestId(c.req.header('x-request-id'))
    c.set('requestId', id)
    if (clientId) c.set('clientRequestId', clientId)
    c.set(
      'log',
      deferredChild(
        logger,
        clientId ? { requestId: id, clientRequestId: clientId } : { requestId: id },
      ),
    )
    c.header('X-Request-Id', id)
    const started = performance.now()
    try {
      await limitBody(c, next)
    } catch (err) {
      // What hono's compose does with an error thrown by a layer: the error handler's answer
      // becomes the response. Errors of later layers never get here: compose renders them there.
      if (!(err instanceof Error)) throw err
      c.error = err
      c.res = await onError(err, c)
    }
    const ms = performance.now() - started
    const route = routeLabel(c)
    const { status } = c.res
    metrics?.httpRequest(c.req.method, route, status, ms / 1000)
    logRequest(logger, c, route, status, ms)
    // A route may return a Response it built itself; make sure the id is on whatever goes out.
    if (c.res.headers.get('X-Request-Id') !== id) setResponseHeaders(c, { 'X-Request-Id': id })
  }
}
