/** @module http/error-response: the one place where errors become HTTP responses. */
import type { IncomingMessage } from 'node:http'
import type { Context, ErrorHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { AppError, ERROR_SPEC, asAppError, retryAfterOf, type ErrorCode } from '../core/errors.js'
import { serializeError, type Logger } from '../observability/logger.js'
import type { AppEnv } from './context.js'

/** Builds the `WWW-Authenticate` value for a 401/403, or undefined for none. */
export type ChallengeFor = (error: AppError) => string | undefined

/**
 * A route's own body for an error (MCP answers in JSON-RPC on its path), or undefined for the
 * bridge's `{"error": {"code", "message"}}`. The status and headers stay the app's.
 */
export type ErrorBodyFor = (c: Context<AppEnv>, error: AppError) => object | undefined

export interface ErrorResponseDeps {
  /** Fallback logger for errors raised before the request logger exists. */
  logger: Logger
  /** The auth layer's `WWW-Authenticate` builder (RFC 6750 / RFC 9728). */
  challenge?: ChallengeFor
  /** Given by the composition root: the body of errors on a route that has its own form. */
  body?: ErrorBodyFor
}

/**
 * Renders any thrown value as `{"error": {"code", "message"}}` (or the route's own body, see
 * {@link ErrorBodyFor}) with the status of its code in ERROR_SPEC, plus `WWW-Authenticate` on
 * 401/403 and `Retry-After` when the error says when to retry. Unknown errors become INTERNAL; their cause is logged (summarised by `serializeError`)
 * and never rendered.
 */
export function renderError(c: Context<AppEnv>, err: unknown, deps: ErrorResponseDeps): Response {
  const log = c.get('log') ?? deps.logger
  let e = toAppError(err)
  if (e.code === 'INTERNAL' && clientWentAway(c)) {
    // Not the bridge's failure: the client closed the connection before its request was
    // complete (nobody reads this answer). A line for the curious, not an error.
    log.debug({ event: 'client_aborted' }, 'the client closed the connection mid-request')
    e = new AppError('INVALID_INPUT', 'The request was cut off before it was complete.', {
      cause: e.cause,
    })
  }
  const status = ERROR_SPEC[e.code].status as ContentfulStatusCode
  if (e.code === 'INTERNAL') {
    log.error({ err: serializeError(e.cause ?? e) }, 'unhandled error')
  }
  if ((status === 401 || status === 403) && deps.challenge) {
    const value = deps.challenge(e)
    if (value) c.header('WWW-Authenticate', value)
  }
  const retryAfter = retryAfterOf(e)
  if (retryAfter !== undefined) c.header('Retry-After', String(Math.max(1, Math.ceil(retryAfter))))
  return c.json(deps.body?.(c, e) ?? { error: { code: e.code, message: e.message } }, status)
}

/**
 * Whether the client closed the connection before its request was complete: its body stream was
 * cut (Node's `aborted`, ECONNRESET), or the request's signal says so.
 */
function clientWentAway(c: Context<AppEnv>): boolean {
  if (c.req.raw.signal?.aborted) return true
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
  return incoming !== undefined && incoming.destroyed && !incoming.complete
}

/**
 * Any thrown value as an AppError. Hono's own HTTPExceptions (from its built-in middleware)
 * keep their status through the code that has it; everything else unknown is INTERNAL.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof HTTPException) {
    const code = (Object.keys(ERROR_SPEC) as ErrorCode[]).find(
      (k) => ERROR_SPEC[k].status === err.status,
    )
    if (code && code !== 'INTERNAL') {
      return new AppError(code, HTTP_MESSAGES[code] ?? 'The request was refused.', { cause: err })
    }
  }
  return asAppError(err)
}

const HTTP_MESSAGES: Partial<Record<ErrorCode, string>> = {
  INVALID_INPUT: 'The request is malformed.',
  UNAUTHENTICATED: 'Authentication is required.',
  FORBIDDEN: 'This request is not allowed.',
  NOT_FOUND: 'Not found.',
  METHOD_NOT_ALLOWED: 'This method is not allowed here.',
  PAYLOAD_TOO_LARGE: 'The request body is too large (MAX_BODY_BYTES).',
  UNSUPPORTED_MEDIA_TYPE: 'Send the body as application/json.',
  RATE_LIMITED: 'Too many requests; retry later.',
}

/**
 * Refuses the request's method; `Allow` lists the methods the path takes.
 * @throws METHOD_NOT_ALLOWED, always (rendered by the app's error handler).
 */
export function refuseMethod(c: Context<AppEnv>, allow: string, message?: string): never {
  c.header('Allow', allow)
  throw new AppError(
    'METHOD_NOT_ALLOWED',
    message ?? `${c.req.method} is not allowed here; use ${allow}.`,
  )
}

/** The app's `onError`: every error thrown by a middleware or route ends here. */
export const createErrorHandler =
  (deps: ErrorResponseDeps): ErrorHandler<AppEnv> =>
  (err, c) =>
    renderError(c, err, deps)
