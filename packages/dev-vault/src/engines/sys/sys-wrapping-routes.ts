/** @module dev-vault/engines/sys/sys-wrapping-routes: `sys/wrapping/{wrap,unwrap,lookup,rewrap}` (`logical_system.go`). */
import type { EngineResponse } from '../../routing/backend.js'
import type { CoreRequest } from '../../routing/core-engine.js'
import type { CubbyholeStore } from '../cubbyhole/cubbyhole-store.js'
import type { TokenEntry, TokenStore } from '../token/token-store.js'
import { RESPONSE_WRAPPING_POLICY } from '../../policy/policy-store.js'
import { goBase64Decode } from '../field-schema.js'
import { errorResponse, goError, unsupportedOperation } from '../../routing/error-responses.js'

export interface WrappingRouteDeps {
  tokens: TokenStore
  cubbyholes: CubbyholeStore
}

/** Vault's text when a wrapping token has no cubbyhole entry (tokens of old versions). */
const NO_INFORMATION = 'no information found; wrapping token may be from a previous Vault version'

/** The body's `token` (third party) or the client token (first party). */
function wrappingTokenOf(req: CoreRequest): { id: string; thirdParty: boolean } {
  const body = req.data.token
  const id = typeof body === 'string' ? body : ''
  return id !== '' ? { id, thirdParty: true } : { id: req.clientToken, thirdParty: false }
}

/** The wrapping token (tainted or not), or null; a token of several policies is a Go error. */
function wrappingEntry(tokens: TokenStore, id: string): TokenEntry | null {
  const te = id === '' ? undefined : tokens.lookup(id)
  if (!te) return null
  if (te.policies.length !== 1) throw goError('token is not a valid unwrap token')
  return te
}

/**
 * A third party spends the wrapping token's one use itself (`UseTokenByID`) and revokes it
 * after reading. A token already spent by this request (sent in both places) is an error and
 * is revoked all the same, as the docs warn.
 */
function spend(tokens: TokenStore, id: string): TokenEntry {
  const live = tokens.lookup(id, { untainted: true })
  if (!live) {
    throw goError(
      "error decrementing wrapping token's use-count: invalid token entry provided for use count decrementing",
    )
  }
  tokens.use(live)
  return live
}

/**
 * The stored response as `handleWrappingUnwrap` returns it: raw, 200 with the stored JSON, or
 * the status and body of a wrapped raw response (a KV 404 for a deleted version).
 */
function unwrappedAnswer(response: string): EngineResponse {
  if (response === '') return { kind: 'raw', status: 204, body: null }
  const parsed = JSON.parse(response) as { data?: Record<string, unknown> | null }
  const data = parsed.data
  if (
    !data ||
    (data.http_status_code == null && data.http_raw_body == null && data.http_content_type == null)
  ) {
    return { kind: 'raw', status: 200, body: response }
  }
  const status = typeof data.http_status_code === 'number' ? data.http_status_code : 500
  const raw = data.http_raw_body
  if (typeof raw !== 'string') return { kind: 'raw', status, body: null }
  // Best effort, as Vault: a []byte body was stored as base64, a string body as it is.
  const decoded = goBase64Decode(raw)
  return { kind: 'raw', status, body: typeof decoded === 'string' ? raw : decoded.toString('utf8') }
}

/**
 * Handles `wrapping/*` inside `sys/`; undefined for other paths. The core has validated the
 * wrapping token of `lookup`, `rewrap` and `unwrap` already (400/403 before any ACL check).
 */
export function handleWrappingRoute(
  deps: WrappingRouteDeps,
  req: CoreRequest,
): EngineResponse | undefined | Promise<EngineResponse> {
  const m = /^wrapping\/(wrap|unwrap|lookup|rewrap)$/.exec(req.path)
  if (!m) return undefined
  const { tokens, cubbyholes } = deps
  const op = req.operation
  const write = op === 'update' || op === 'create'
  switch (m[1]) {
    case 'wrap': {
      if (!write) throw unsupportedOperation()
      if (req.wrapTtl === undefined || req.wrapTtl === 0) {
        throw errorResponse('endpoint requires response wrapping to be used')
      }
      return { kind: 'envelope', data: { ...req.data } }
    }
    case 'lookup': {
      if (!write && op !== 'read') throw unsupportedOperation()
      const token =
        typeof req.data.token === 'string' && req.data.token !== ''
          ? req.data.token
          : req.clientToken
      if (token === '') throw errorResponse('missing "token" value in input')
      const te = wrappingEntry(tokens, token)
      if (!te) return { kind: 'envelope' }
      const info = cubbyholes.get(te.id, 'wrapinfo')
      if (!info) throw errorResponse(NO_INFORMATION)
      const data: Record<string, unknown> = {}
      if (typeof info.creation_ttl === 'number') data.creation_ttl = info.creation_ttl / 1e9
      if (info.creation_time !== undefined) data.creation_time = info.creation_time
      if (info.creation_path !== undefined) data.creation_path = info.creation_path
      return { kind: 'envelope', data }
    }
    case 'unwrap': {
      if (!write) throw unsupportedOperation()
      const { id, thirdParty } = wrappingTokenOf(req)
      const te = wrappingEntry(tokens, id)
      if (!te) return { kind: 'envelope' }
      if (te.policies[0] !== RESPONSE_WRAPPING_POLICY)
        return { kind: 'raw', status: 204, body: null }
      if (thirdParty) spend(tokens, id)
      try {
        const stored = cubbyholes.get(te.id, 'response')
        if (!stored) throw goError(NO_INFORMATION)
        if (typeof stored.response !== 'string')
          throw goError('no response found inside the cubbyhole')
        return unwrappedAnswer(stored.response)
      } finally {
        if (thirdParty) tokens.revoke(id)
      }
    }
    case 'rewrap': {
      if (!write) throw unsupportedOperation()
      const { id, thirdParty } = wrappingTokenOf(req)
      const te = wrappingEntry(tokens, id)
      if (!te) return { kind: 'envelope' }
      if (thirdParty) spend(tokens, id)
      try {
        const info = cubbyholes.get(te.id, 'wrapinfo')
        const stored = cubbyholes.get(te.id, 'response')
        if (!info || !stored) throw errorResponse(NO_INFORMATION)
        if (typeof info.creation_ttl !== 'number') {
          throw goError('creation_ttl value in wrapping information was nil')
        }
        if (typeof info.creation_path !== 'string') {
          throw goError('creation_path value in wrapping information was nil')
        }
        return {
          kind: 'envelope',
          data: { response: stored.response },
          wrapInfo: { ttl: info.creation_ttl / 1e9, creationPath: info.creation_path },
        }
      } finally {
        if (thirdParty) tokens.revoke(id)
      }
    }
    default:
      return undefined
  }
}
