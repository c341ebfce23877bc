/**
 * @module http/rate-limit: the HTTP side of the rate limits: the auth-failure limit per client
 * address (mounted before authentication) and the per-agent budget (mounted after it), for the
 * REST routes and /mcp alike.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { AppError } from '../core/errors.js'
import type { LimitResult, RateLimits } from '../limits/rate-limits.js'
import type { Metrics } from '../observability/metrics.js'
import { peerAddress } from './auth-middleware.js'
import type { AppEnv } from './context.js'

/** Where the rate-limit hooks report to; the metrics object fits. */
type LimitMetrics = Pick<Metrics, 'rateLimitRejected' | 'authFailure'>

/** The `RateLimit-*` headers (IETF draft, delta-seconds reset) for one result. */
export function rateLimitHeaders(r: LimitResult): Record<string, string> {
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(r.limit),
    'RateLimit-Remaining': String(r.remaining),
    'RateLimit-Reset': String(r.resetSeconds),
  }
  if (!r.allowed)
    headers['Retry-After'] = String(r.retryAfterSeconds ?? Math.max(r.resetSeconds, 1))
  return headers
}

/**
 * Refuses client addresses that failed authentication too often (429 + `Retry-After`), and counts
 * every 401 that passes through as one failure of its address. Mount it BEFORE authentication.
 * It also reports each 401 to `metrics.authFailure(method)` with the method the request tried.
 * @throws RATE_LIMITED (rendered by the app's error handler) while the address is blocked.
 */
export function authFailureLimit(
  limits: RateLimits,
  options: {
    metrics?: LimitMetrics
    clientAddress?: (c: Context<AppEnv>) => string
    /** MTLS_IDENTITY_HEADER, to label failures of mTLS identities (default x-ssl-client-s-dn). */
    mtlsHeader?: string
  } = {},
): MiddlewareHandler<AppEnv> {
  const mtlsHeader = options.mtlsHeader ?? 'x-ssl-client-s-dn'
  // Security: the TCP peer only; `X-Forwarded-For` is not trusted, because any client can send
  // it. Behind a proxy every client shares the proxy's budget of failures, erring on the safe side.
  const addressOf = options.clientAddress ?? ((c: Context<AppEnv>) => peerAddress(c) ?? 'unknown')
  return async (c, next) => {
    const ip = addressOf(c)
    const status = await limits.isAddressBlocked(ip)
    if (status.blocked) {
      options.metrics?.rateLimitRejected('auth_failure')
      throw new AppError(
        'RATE_LIMITED',
        `Too many failed authentications from this address; retry after ${status.retryAfterSeconds} seconds.`,
        { details: { retryAfterSeconds: status.retryAfterSeconds } },
      )
    }
    await next()
    if (c.res.status === 401) {
      options.metrics?.authFailure(attemptedMethod(c, mtlsHeader))
      await limits.recordAuthFailure(ip)
    }
  }
}

// Which credential the failed request carried, for the metrics label (a fixed, small set).
const attemptedMethod = (c: Context, mtlsHeader: string): string => {
  if (c.req.header('x-api-key') !== undefined) return 'api_key'
  if (/^bearer\s/i.test(c.req.header('authorization') ?? '')) return 'jwt'
  if (c.req.header(mtlsHeader) !== undefined) return 'mtls'
  return 'none'
}

/**
 * Takes one request from the authenticated agent's budget. Within the budget the response carries
 * `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; over it, REST gets 429 with
 * `Retry-After` as well, and `/mcp` gets a JSON-RPC answer (see {@link mcpRateLimitedResponse}).
 * Requests without a principal (public routes) pass untouched. Mount it AFTER authentication.
 * @throws RATE_LIMITED (rendered by the app's error handler) for REST requests over the budget.
 */
export function agentRateLimit(
  limits: RateLimits,
  options: { metrics?: LimitMetrics; mcpPath?: string } = {},
): MiddlewareHandler<AppEnv> {
  const mcpPath = options.mcpPath ?? '/mcp'
  return async (c, next) => {
    const principal = c.get('principal')
    if (!principal || !limits.agentLimitsEnabled) return next()
    const result = await limits.consumeAgent(principal.agent)
    const headers = rateLimitHeaders(result)
    if (!result.allowed) {
      options.metrics?.rateLimitRejected('agent')
      if (c.req.path === mcpPath && c.req.method === 'POST') {
        return mcpRateLimitedResponse(c.req.raw, result)
      }
      for (const [k, v] of Object.entries(headers)) c.header(k, v)
      throw new AppError('RATE_LIMITED', rateLimitedMessage(result), {
        details: { retryAfterSeconds: result.retryAfterSeconds },
      })
    }
    await next()
    setHeaders(c, headers)
  }
}

const rateLimitedMessage = (r: LimitResult): string =>
  `Rate limit of ${r.limit} requests reached for this agent; retry after ${r.retryAfterSeconds} seconds.`

// A route may return a Response with immutable headers (the MCP transport builds its own).
const setHeaders = (c: Context, headers: Record<string, string>) => {
  try {
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v)
  } catch {
    c.res = new Response(c.res.body, c.res)
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v)
  }
}

/** JSON-RPC error code used for non-tool MCP requests over the budget (implementation-defined range). */
export const JSONRPC_RATE_LIMITED = -32029

/**
 * The answer to an MCP POST over the agent's budget, without running it. Each `tools/call`
 * request gets a tool result `{isError: true, content: [{type: 'text', text: 'RATE_LIMITED: …'}]}`
 * (the same shape as every other tool error, so a model reads when to retry); any other request
 * gets a JSON-RPC error with code {@link JSONRPC_RATE_LIMITED} and `data: {code, retryAfterSeconds}`.
 * A POST of notifications only gets a plain 429. Every variant carries `Retry-After` and the
 * `RateLimit-*` headers; JSON-RPC answers use HTTP 200, as MCP clients expect.
 */
export async function mcpRateLimitedResponse(
  request: Request,
  result: LimitResult,
): Promise<Response> {
  const headers = { ...rateLimitHeaders(result), 'Content-Type': 'application/json' }
  const message = rateLimitedMessage(result)
  // Security: the original request's body stays unread for the route; a clone is parsed.
  const body: unknown = await request
    .clone()
    .json()
    .catch(() => undefined)
  const messages = Array.isArray(body) ? body : [body]
  const answers = messages.flatMap((m): object[] => {
    const msg = (m ?? {}) as { id?: unknown; method?: unknown }
    if (msg.id === undefined || msg.id === null || typeof msg.method !== 'string') return []
    if (msg.method === 'tools/call') {
      return [
        {
          jsonrpc: '2.0',
          id: msg.id,
          result: { isError: true, content: [{ type: 'text', text: `RATE_LIMITED: ${message}` }] },
        },
      ]
    }
    return [
      {
        jsonrpc: '2.0',
        id: msg.id,
        error: {
          code: JSONRPC_RATE_LIMITED,
          message: `RATE_LIMITED: ${message}`,
          data: { code: 'RATE_LIMITED', retryAfterSeconds: result.retryAfterSeconds },
        },
      },
    ]
  })
  if (answers.length === 0) {
    const error = { code: 'RATE_LIMITED', message }
    return new Response(JSON.stringify({ error }), { status: 429, headers })
  }
  const payload = Array.isArray(body) ? answers : answers[0]
  return new Response(JSON.stringify(payload), { status: 200, headers })
}
