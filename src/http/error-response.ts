/** @module http/error-response: the one place where errors become HTTP responses. */
import type { Context, ErrorHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { AppError, ERROR_SPEC, asAppError, type ErrorCode } from '../core/errors.js'
import type { Logger } from '../observability/logger.js'
import type { AppEnv } from './context.js'

/** Builds the `WWW-Authenticate` value for a 401/403, or undefined for none. */
export type ChallengeFor = (error: AppError) => string | undefined

/** Seconds a client should wait after VAULT_UNAVAILABLE when the error does not say. */
export const DEFAULT_VAULT_RETRY_AFTER_SECONDS = 5

export interface ErrorResponseDeps {
  /** Fallback logger for errors raised before the request logger exists. */
  logger: Logger
  /** The auth layer's `WWW-Authenticate` builder (RFC 6750 / RFC 9728). */
  challenge?: ChallengeFor
}

/**
 * Renders any thrown value as `{"error": {"code", "message"}}` with the status of its code in
 * ERROR_SPEC, plus `WWW-Authenticate` on 401/403 and `Retry-After` when the error says when to
 * retry. Unknown errors become INTERNAL; their cause is logged (summarised, see `describeCause`)
 * and never rendered.
 */
export function renderError(c: Context<AppEnv>, err: unknown, deps: ErrorResponseDeps): Response {
  const e = toAppError(err)
  const status = ERROR_SPEC[e.code].status as ContentfulStatusCode
  const log = c.get('log') ?? deps.logger
  if (e.code === 'INTERNAL') {
    log.error({ err: describeCause(e.cause ?? e) }, 'unhandled error')
  }
  if ((status === 401 || status === 403) && deps.challenge) {
    const value = deps.challenge(e)
    if (value) c.header('WWW-Authenticate', value)
  }
  const retryAfter =
    e.details.retryAfterSeconds ??
    (e.code === 'VAULT_UNAVAILABLE' ? DEFAULT_VAULT_RETRY_AFTER_SECONDS : undefined)
  if (retryAfter !== undefined) c.header('Retry-After', String(Math.max(1, Math.ceil(retryAfter))))
  return c.json({ error: { code: e.code, message: e.message } }, status)
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

/** The app's `onError`: every error thrown by a middleware or route ends here. */
export const createErrorHandler =
  (deps: ErrorResponseDeps): ErrorHandler<AppEnv> =>
  (err, c) =>
    renderError(c, err, deps)

/**
 * A loggable summary of an unknown failure.
 *
 * Security: library errors (axios behind node-vault above all) carry the request config with
 * its headers (`X-Vault-Token`) and bodies (secret values). Only the name, code, HTTP status,
 * a bounded message and the stack frames are kept; nested causes are summarised the same way.
 */
export function describeCause(cause: unknown, depth = 0): Record<string, unknown> {
  if (!(cause instanceof Error)) return { type: typeof cause }
  const any = cause as Error & {
    code?: unknown
    status?: unknown
    statusCode?: unknown
    response?: { status?: unknown; statusCode?: unknown }
  }
  const out: Record<string, unknown> = {
    name: cause.name,
    message: redactMessage(cause.message),
  }
  if (typeof any.code === 'string' || typeof any.code === 'number') out.code = any.code
  const status = any.response?.statusCode ?? any.response?.status ?? any.statusCode ?? any.status
  if (typeof status === 'number') out.status = status
  if (cause.stack) out.stack = cause.stack.split('\n').slice(1, 8).join('\n')
  if (cause.cause !== undefined && depth < 3) out.cause = describeCause(cause.cause, depth + 1)
  return out
}

// Security: messages of library errors sometimes quote what they were given; tokens and
// long opaque strings are cut out so that the log cannot carry a credential.
const redactMessage = (message: string): string =>
  message
    .slice(0, 300)
    .replace(/\b(hv[sbr]\.[A-Za-z0-9_-]+|s\.[A-Za-z0-9]{20,})/g, '[redacted-token]')
    .replace(/(bearer|token|key|secret|password)(["'=:\s]+)\S+/gi, '$1$2[redacted]')
    .replace(/[A-Za-z0-9+/_=-]{40,}/g, '[redacted]')
