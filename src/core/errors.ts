/** @module core/errors: the stable error codes every adapter renders (STYLE.md error model). */
import type { Scope } from './identity.js'

/**
 * Every failure a caller can see. Callers switch on the code, never on the message.
 * `status` is the HTTP status the REST adapter uses; MCP renders `CODE: message` as a tool error.
 */
export const ERROR_SPEC = {
  INVALID_INPUT: { status: 400 },
  INVALID_PATH: { status: 400 },
  DATA_LIMIT_EXCEEDED: { status: 400 },
  UNAUTHENTICATED: { status: 401 },
  FORBIDDEN: { status: 403 },
  /** Vault's JWT auth method refused the caller's own token (JWT exchange): an operator must act. */
  VAULT_LOGIN_REFUSED: { status: 403 },
  /** The operator switched the operation off (OPERATIONS, READ_ONLY): no scope would help. */
  OPERATION_DISABLED: { status: 403 },
  NOT_FOUND: { status: 404 },
  SECRET_NOT_FOUND: { status: 404 },
  VERSION_NOT_FOUND: { status: 404 },
  KEY_NOT_FOUND: { status: 404 },
  VERSION_DELETED: { status: 404 },
  VERSION_DESTROYED: { status: 410 },
  METHOD_NOT_ALLOWED: { status: 405 },
  NOT_ACCEPTABLE: { status: 406 },
  CAS_MISMATCH: { status: 409 },
  KEY_EXISTS: { status: 409 },
  PAYLOAD_TOO_LARGE: { status: 413 },
  UNSUPPORTED_MEDIA_TYPE: { status: 415 },
  RATE_LIMITED: { status: 429 },
  /** The agent has as many open request_secret links as SECRET_ENTRY_MAX_OPEN allows. */
  TOO_MANY_OPEN_REQUESTS: { status: 429 },
  INTERNAL: { status: 500 },
  VAULT_UNAVAILABLE: { status: 503 },
  // The request is fine and will succeed unchanged once an operator mounts Transit: a server
  // problem (5xx), not the caller's, and not a transient one (no Retry-After, not "down").
  TRANSIT_NOT_MOUNTED: { status: 503 },
} as const satisfies Record<string, { status: number }>

export type ErrorCode = keyof typeof ERROR_SPEC

/** Facts an adapter may need to render an error (headers, hints); never secret. */
export interface ErrorDetails {
  /** The scope that was missing, for `WWW-Authenticate: Bearer error="insufficient_scope"`. */
  requiredScope?: Scope
  /** Seconds until a retry may succeed (`Retry-After`). */
  retryAfterSeconds?: number
  /** A credential was presented (RFC 6750 `error="invalid_token"`). */
  tokenPresented?: boolean
  /**
   * Why a request was refused, finer than the code, for the audit trail and metrics
   * (`invalid_credential`, `origin_not_allowed`, ...): a fixed word, never caller input.
   */
  reason?: string
}

/**
 * A failure whose message is safe for any caller, human or model: no secret values, tokens or
 * Vault internals. Those go in `cause`, which is logged with redaction and never rendered.
 */
export class AppError extends Error {
  override name = 'AppError'
  readonly details: ErrorDetails

  constructor(
    readonly code: ErrorCode,
    safeMessage: string,
    options?: { cause?: unknown; details?: ErrorDetails },
  ) {
    super(safeMessage, options?.cause === undefined ? undefined : { cause: options.cause })
    this.details = options?.details ?? {}
  }
}

/** Seconds to wait before retrying while Vault is unavailable, unless the error says otherwise. */
export const VAULT_RETRY_AFTER_SECONDS = 5

/**
 * When a retry may succeed (`Retry-After`): the error's own `details.retryAfterSeconds`, else
 * {@link VAULT_RETRY_AFTER_SECONDS} for VAULT_UNAVAILABLE; undefined when a retry will not help.
 */
export const retryAfterOf = (e: AppError): number | undefined =>
  e.details.retryAfterSeconds ??
  (e.code === 'VAULT_UNAVAILABLE' ? VAULT_RETRY_AFTER_SECONDS : undefined)

/** Any thrown value as an AppError; unknown failures become INTERNAL with the original as cause. */
export const asAppError = (e: unknown): AppError =>
  e instanceof AppError ? e : new AppError('INTERNAL', 'Internal error.', { cause: e })
