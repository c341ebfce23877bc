/**
 * @module http/limit-middleware: the HTTP side of the rate limits (src/limits): the auth-failure
 * limit per client address (a hook of the authentication middleware) and the per-agent budget
 * (mounted after authentication), for every authenticated route.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { AppError } from '../core/errors.js'
import type { AddressStatus, LimitResult, RateLimits } from '../limits/rate-limits.js'
import type { Metrics } from '../observability/metrics.js'
import {
  attemptedMethod,
  peerAddress,
  presentedCredentials,
  type CredentialHeaders,
} from './auth-middleware.js'
import { setResponseHeaders, type AppEnv } from './context.js'
import type { RecordRefusal } from './refusal-audit.js'

/** Where the rate-limit hooks report to; the metrics object fits. */
type LimitMetrics = Pick<Metrics, 'rateLimitRejected' | 'authFailure'>

/**
 * A route's own answer to a request over its agent's budget (MCP answers in JSON-RPC), or
 * undefined for the JSON 429 every other route gets. Given by the composition root.
 */
export type OverBudgetReply = (
  c: Context<AppEnv>,
  result: LimitResult,
) => Response | undefined | Promise<Response | undefined>

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
 * What the authentication middleware does with a refused authentication: returns the error to
 * throw in its place (the same one, or RATE_LIMITED).
 */
export type AuthRefusalHook = (c: Context<AppEnv>, err: unknown) => Promise<unknown>

/** What it does with a verified one: undefined to let it pass, or the error to throw instead. */
export type AuthVerifiedHook = (c: Context<AppEnv>) => Promise<AppError | undefined>

export interface AuthLimitHooks {
  onRefused: AuthRefusalHook
  onVerified: AuthVerifiedHook
}

/**
 * The auth-failure limit, as hooks of the authentication middleware. Each UNAUTHENTICATED
 * refusal counts as one failure of the client address (and `metrics.authFailure(method)` with
 * the method the request tried); once an address has failed AUTH_FAILURE_LIMIT times in the
 * window, its further failures become 429 RATE_LIMITED with `Retry-After` (and still count).
 *
 * Security: while an address is over the limit, a request whose credentials verify passes only
 * if those same credentials had verified from that address before it went over; any other gets
 * the very same 429 as a failure. So the agents already working behind a shared proxy or host are
 * not locked out by a guesser among them, and a guess that turns out right after the limit is
 * refused like a wrong one (it learns nothing until the window ends). The cost: a caller whose
 * first request, or a newly issued token, arrives while its address is over the limit waits for
 * the window, as every caller did before verified credentials were let through.
 */
export function authFailureLimit(
  limits: RateLimits,
  options: {
    /** The headers that carry mTLS identities (to label failures and recognise credentials). */
    credentialHeaders: CredentialHeaders
    metrics?: LimitMetrics
    clientAddress?: (c: Context<AppEnv>) => string
  },
): AuthLimitHooks {
  const headers = options.credentialHeaders
  // Security: the TCP peer only; `X-Forwarded-For` is not trusted, because any client can send
  // it. Behind a proxy every client shares the proxy's budget of failures, erring on the safe side.
  const addressOf = options.clientAddress ?? ((c: Context<AppEnv>) => peerAddress(c) ?? 'unknown')
  const overLimit = (status: AddressStatus, cause?: unknown) => {
    options.metrics?.rateLimitRejected('auth_failure')
    return new AppError(
      'RATE_LIMITED',
      `Too many failed authentications from this address; retry after ${status.retryAfterSeconds} seconds.`,
      {
        cause,
        details: { retryAfterSeconds: status.retryAfterSeconds, reason: 'auth_failure_limit' },
      },
    )
  }
  return {
    async onRefused(c, err) {
      if (!(err instanceof AppError) || err.code !== 'UNAUTHENTICATED') return err
      options.metrics?.authFailure(attemptedMethod(c, headers.identityHeader))
      const ip = addressOf(c)
      const status = await limits.isAddressBlocked(ip)
      await limits.recordAuthFailure(ip)
      return status.blocked ? overLimit(status, err) : err
    },
    async onVerified(c) {
      const status = await limits.admitVerified(addressOf(c), presentedCredentials(c, headers))
      return status.blocked ? overLimit(status) : undefined
    },
  }
}

/**
 * Takes one request from the authenticated agent's budget. Within the budget the response carries
 * `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; over it, the request gets
 * `overBudget`'s answer when that gives one, else 429 RATE_LIMITED with `Retry-After` as well.
 * Requests without a principal (public routes) pass untouched. Mount it AFTER authentication.
 * @throws RATE_LIMITED (rendered by the app's error handler) for requests over the budget.
 */
export function agentRateLimit(
  limits: RateLimits,
  options: {
    metrics?: LimitMetrics
    overBudget?: OverBudgetReply
    recordRefusal?: RecordRefusal
  } = {},
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get('principal')
    if (!principal || !limits.agentLimitsEnabled) return next()
    const result = await limits.consumeAgent(principal.agent)
    const headers = rateLimitHeaders(result)
    if (!result.allowed) {
      options.metrics?.rateLimitRejected('agent')
      const refusal = new AppError('RATE_LIMITED', rateLimitedMessage(result), {
        details: { retryAfterSeconds: result.retryAfterSeconds, reason: 'agent_rate_limit' },
      })
      options.recordRefusal?.(c, refusal)
      const own = await options.overBudget?.(c, result)
      if (own) return own
      for (const [k, v] of Object.entries(headers)) c.header(k, v)
      throw refusal
    }
    c.set('rateBudget', {
      limit: result.limit,
      remaining: result.remaining,
      resetSeconds: result.resetSeconds,
    })
    await next()
    setResponseHeaders(c, headers)
  }
}

/** What a request over its agent's budget is told (REST message, MCP tool error text). */
export const rateLimitedMessage = (r: LimitResult): string =>
  `Rate limit of ${r.limit} requests reached for this agent; retry after ${r.retryAfterSeconds} seconds.`
