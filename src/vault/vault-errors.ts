/**
 * @module vault/vault-errors: the one place where node-vault failures become AppErrors. Mapping
 * is by HTTP status (and, for 404s, the parsed body), never by Vault's message text, and none of
 * Vault's text reaches the caller.
 */
import { AppError, VAULT_RETRY_AFTER_SECONDS } from '../core/errors.js'
import type { FlatRecord } from '../observability/logger.js'

/** What the failed call was about; only shapes the safe message. */
export type VaultTarget = 'secret' | 'metadata' | 'transit' | 'vault'

/**
 * The sanitized cause kept on every mapped error: method, Vault path, status and a short
 * excerpt of Vault's error strings, for the operator's logs only.
 *
 * Security: the original node-vault/axios error is dropped on purpose. It carries the request
 * configuration, which holds the `X-Vault-Token` header and the request body (secret values,
 * plaintext); a logged cause must not.
 */
export class VaultCallError extends Error {
  override name = 'VaultCallError'
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number | undefined,
    readonly networkCode: string | undefined,
    readonly vaultErrors: string[],
  ) {
    super(
      status === undefined
        ? `Vault ${method} ${path} failed without a response (${networkCode ?? 'network error'})`
        : `Vault ${method} ${path} answered ${status}`,
    )
  }
}

/** Socket failures on the way to Vault: refused, reset, timed out, unreachable, DNS. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPROTO',
])
/** TLS handshake failures (Vault's certificate cannot be verified): Vault cannot be reached safely. */
const TLS_CODE =
  /^(?:ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$)/

/**
 * Whether a failed call means that Vault is unavailable: a real network failure (refused,
 * reset, timeout, DNS, TLS), or Vault's own answer that it cannot serve now (503: sealed, a
 * standby that does not forward; 502 and 504 from a load balancer in front of it).
 *
 * Security: "no status" is not "Vault is down". A request whose body the client cannot even
 * serialise (a `data` nested thousands of levels deep) fails without a status too; that is the
 * caller's doing, and must never make Vault look down for other agents.
 */
export function isVaultUnavailable(err: unknown): boolean {
  const status = vaultStatus(err)
  if (status !== undefined) return status === 502 || status === 503 || status === 504
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && (NETWORK_CODES.has(code) || TLS_CODE.test(code))
}

/** The HTTP status of a node-vault rejection, or undefined for network errors and timeouts. */
export function vaultStatus(err: unknown): number | undefined {
  const status = (err as { response?: { statusCode?: unknown } } | null)?.response?.statusCode
  return typeof status === 'number' ? status : undefined
}

/** The parsed response body of a node-vault rejection (`{}` when there is none). */
export function vaultBody(err: unknown): Record<string, unknown> {
  const body = (err as { response?: { body?: unknown } } | null)?.response?.body
  return isRecord(body) ? body : {}
}

/** A sanitized cause for `err` (see VaultCallError). */
export function vaultCause(err: unknown, method: string, path: string): VaultCallError {
  const errors = vaultBody(err).errors
  const excerpt = Array.isArray(errors)
    ? errors.filter((e): e is string => typeof e === 'string').map((e) => e.slice(0, 200))
    : []
  const code = (err as { code?: unknown } | null)?.code
  return new VaultCallError(
    method,
    path,
    vaultStatus(err),
    typeof code === 'string' ? code : undefined,
    excerpt.slice(0, 3),
  )
}

/**
 * Maps a node-vault failure to an AppError by status:
 * 404 → SECRET_NOT_FOUND, or VERSION_DELETED / VERSION_DESTROYED when the body carries the
 * version's metadata (KV v2 reads and patches of deleted or destroyed versions); 400 →
 * INVALID_INPUT; 403 → FORBIDDEN; 413 → PAYLOAD_TOO_LARGE; 429 → RATE_LIMITED; a network
 * failure, 502, 503 or 504 → VAULT_UNAVAILABLE (with `details.retryAfterSeconds`, see
 * {@link isVaultUnavailable}); anything else (other 5xx, a failure without a response that is
 * not a network one) → INTERNAL. CAS mismatches are 400s too; the session tells them apart (see
 * `casMismatch`).
 */
export function fromVaultError(
  err: unknown,
  target: VaultTarget,
  call: { method: string; path: string },
): AppError {
  if (err instanceof AppError) return err
  const status = vaultStatus(err)
  const options = { cause: vaultCause(err, call.method, call.path) }
  if (isVaultUnavailable(err)) return vaultUnavailable('down', options.cause)
  switch (status) {
    case 404:
      return notFound(vaultBody(err), target, options)
    case 400:
      return new AppError('INVALID_INPUT', INVALID_MESSAGES[target], options)
    case 403:
      return new AppError(
        'FORBIDDEN',
        "Vault denied this request for your agent. The agent's Vault policy may be missing or " +
          'too narrow; an operator can create it with `vault-mcp-bridge gen-policy`.',
        options,
      )
    case 413:
      return new AppError('PAYLOAD_TOO_LARGE', 'Vault refused the request as too large.', options)
    case 429:
      return new AppError('RATE_LIMITED', 'Vault is rate limiting requests. Retry shortly.', {
        ...options,
        details: { retryAfterSeconds: 1 },
      })
    default:
      return new AppError('INTERNAL', 'The Vault request failed unexpectedly.', options)
  }
}

/**
 * VAULT_UNAVAILABLE, with `details.retryAfterSeconds`: Vault is `down` (unreachable, sealed or
 * failing), `rejected` the bridge's own credentials (an operator must act), or the bridge is
 * `closing`. A cause that is not already sanitised is replaced by its VaultCallError summary.
 */
export function vaultUnavailable(kind: 'down' | 'rejected' | 'closing', cause?: unknown): AppError {
  const safeCause =
    cause === undefined || cause instanceof AppError || cause instanceof VaultCallError
      ? cause
      : vaultCause(cause, 'CALL', 'vault')
  const options = safeCause === undefined ? {} : { cause: safeCause }
  if (kind === 'rejected') {
    return new AppError(
      'VAULT_UNAVAILABLE',
      'The bridge cannot authenticate to Vault; an operator must fix its Vault credentials.',
      { ...options, details: { retryAfterSeconds: 30 } },
    )
  }
  if (kind === 'closing') {
    return new AppError('VAULT_UNAVAILABLE', 'The bridge is shutting down; retry shortly.', {
      details: { retryAfterSeconds: VAULT_RETRY_AFTER_SECONDS },
    })
  }
  return new AppError(
    'VAULT_UNAVAILABLE',
    'Vault is unreachable, sealed or failing. Retry in a few seconds.',
    { ...options, details: { retryAfterSeconds: VAULT_RETRY_AFTER_SECONDS } },
  )
}

/** Vault refused the credentials (as opposed to being unreachable or failing). */
export function isRejection(err: unknown): boolean {
  const status = vaultStatus(err)
  return status !== undefined && status >= 400 && status < 500 && status !== 429
}

/**
 * Safe facts about a failed Vault call for the logs: status, network code and Vault's error
 * strings (never the node-vault error itself: it holds the token and the request body).
 */
export function describeVaultFailure(err: unknown, what: string): FlatRecord {
  if (err instanceof AppError) return { code: err.code }
  const cause = err instanceof VaultCallError ? err : vaultCause(err, 'CALL', what)
  return { status: cause.status, network: cause.networkCode, errors: cause.vaultErrors }
}

/** The CAS_MISMATCH error, once the session has seen that the current version differs. */
export function casMismatch(cause: unknown): AppError {
  return new AppError(
    'CAS_MISMATCH',
    'The secret changed since the version you gave as cas. Read it again (read_secret_metadata ' +
      'shows current_version) and retry with that version.',
    { cause },
  )
}

const INVALID_MESSAGES: Record<VaultTarget, string> = {
  secret:
    'Vault rejected the request as invalid. Check the data and versions you gave; ' +
    'if the secret requires check-and-set, pass cas.',
  metadata:
    'Vault rejected the metadata. custom_metadata takes at most 64 keys of 1-128 bytes with ' +
    'values of 1-512 bytes, printable characters only; delete_version_after a duration such ' +
    'as "30m" or "0s"; max_versions a whole number from 0.',
  transit:
    'Vault rejected the request as invalid. Check that plaintext and context are base64, that ' +
    'the ciphertext was made with this key, and that derived keys get a context.',
  vault: 'Vault rejected the request as invalid.',
}

const NOT_FOUND_MESSAGES: Record<VaultTarget, string> = {
  secret: 'No secret at this path. list_secrets shows which paths exist.',
  metadata: 'No secret at this path. list_secrets shows which paths exist.',
  transit:
    'You have no transit key of this name. list_transit_keys shows your keys; ' +
    'create_transit_key makes one.',
  vault: 'Vault has nothing at this path.',
}

/**
 * Maps a failed Transit call. A 404 from a Transit endpoint that answers every request it
 * routes (encrypt, decrypt, hmac, sign, ...: a missing key is a 400 there) means that nothing is
 * mounted at `mount`: an operator's problem, TRANSIT_NOT_MOUNTED. Reads of keys answer a missing
 * key with a 404 and an empty error list: KEY_NOT_FOUND; a 404 that carries an error (`no handler
 * for route`) is the missing mount. A 400 gets `invalid` as its message when given.
 */
export function fromTransitError(
  err: unknown,
  mount: string,
  call: { method: string; path: string; keys?: boolean; invalid?: string },
): AppError {
  if (err instanceof AppError) return err
  const status = vaultStatus(err)
  const cause = { cause: vaultCause(err, call.method, call.path) }
  if (status === 404) {
    const errors = vaultBody(err).errors
    if (call.keys === true && Array.isArray(errors) && errors.length === 0) {
      return new AppError('KEY_NOT_FOUND', NOT_FOUND_MESSAGES.transit, cause)
    }
    return new AppError(
      'TRANSIT_NOT_MOUNTED',
      `Vault has no Transit engine at "${mount}/" (TRANSIT_MOUNT). An operator must enable ` +
        `it (vault secrets enable -path=${mount} transit) or set TRANSIT_MOUNT.`,
      cause,
    )
  }
  if (status === 400 && call.invalid) return new AppError('INVALID_INPUT', call.invalid, cause)
  return fromVaultError(err, 'transit', call)
}

/**
 * KV v2 answers reads of deleted or destroyed versions with a 404 whose body still carries the
 * version's metadata: nested under `data.metadata` for reads, flat in `data` for patches.
 */
function notFound(
  body: Record<string, unknown>,
  target: VaultTarget,
  options: { cause: unknown },
): AppError {
  const data = body.data
  const meta = isRecord(data) ? (isRecord(data.metadata) ? data.metadata : data) : undefined
  if (meta && typeof meta.version === 'number') {
    if (meta.destroyed === true) {
      return new AppError(
        'VERSION_DESTROYED',
        'This version was destroyed and cannot be read. read_secret_metadata shows which ' +
          'versions are live.',
        options,
      )
    }
    if (typeof meta.deletion_time === 'string' && meta.deletion_time !== '') {
      return new AppError(
        'VERSION_DELETED',
        'This version is deleted. undelete_secret restores it; read_secret_metadata shows the ' +
          'versions.',
        options,
      )
    }
  }
  return new AppError('SECRET_NOT_FOUND', NOT_FOUND_MESSAGES[target], options)
}

/** A JSON object (not null, not an array): what Vault's bodies and their `data` are. */
export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
