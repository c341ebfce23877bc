/** @module http/refusal-audit: refused requests (401, 403, 429) into the audit trail, with a reason and no credential. */
import type { Context } from 'hono'
import { ERROR_SPEC, type AppError } from '../core/errors.js'
import type { RefusalObserver } from '../core/ports.js'
import { attemptedMethod, peerAddress } from './auth-middleware.js'
import type { AppEnv } from './context.js'
import { routeLabel } from './request-log.js'

/** Tells the audit trail about a refusal that is about to be thrown. */
export type RecordRefusal = (c: Context<AppEnv>, error: AppError) => void

const AUDITED = new Set([401, 403, 429])

/** The reason of a refusal: its own, else what the code and the credential say. */
const reasonOf = (e: AppError): string =>
  e.details.reason ??
  (e.code === 'UNAUTHENTICATED'
    ? e.details.tokenPresented
      ? 'invalid_credential'
      : 'no_credential'
    : e.code.toLowerCase())

/**
 * Builds the recorder the transport guard, the authentication middleware and the rate limit call
 * when they refuse a request. Only 401, 403 and 429 are recorded (an operation refused for its
 * scope is recorded by the operation runner instead).
 *
 * Security: the event holds the kind of credential (`api_key`, `jwt`, ...), never its value, and
 * the route pattern, never the URL.
 */
export function createRefusalRecorder(
  observer: RefusalObserver,
  options: { mtlsHeader: string; now?: () => number },
): RecordRefusal {
  const now = options.now ?? Date.now
  return (c, error) => {
    const status = ERROR_SPEC[error.code].status
    if (!AUDITED.has(status)) return
    const { clientRequestId, principal } = c.var
    const clientAddress = peerAddress(c)
    observer.requestRefused({
      time: new Date(now()).toISOString(),
      requestId: c.var.requestId,
      ...(clientRequestId ? { clientRequestId } : {}),
      method: c.req.method,
      route: routeLabel(c),
      outcome: error.code,
      status,
      reason: reasonOf(error),
      credential: attemptedMethod(c, options.mtlsHeader),
      ...(principal ? { agent: principal.agent } : {}),
      ...(clientAddress ? { clientAddress } : {}),
    })
  }
}
