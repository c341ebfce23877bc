/**
 * @module dev-vault/routing/response-wrapping: Vault's response wrapping in the core
 * (`vault/wrapping.go`): a response is stored in the cubbyhole of a new single-use, orphan
 * wrapping token and the caller gets only the token's `wrap_info`.
 */
import type { EngineResponse, LogicalOperation } from './backend.js'
import type { CubbyholeStore } from '../engines/cubbyhole/cubbyhole-store.js'
import type { TokenStore } from '../engines/token/token-store.js'
import { RESPONSE_WRAPPING_POLICY } from '../policy/policy-store.js'
import { goJson, struct } from '../encoding/go-json.js'
import { localTimeString } from '../encoding/go-time.js'
import { envelopeObject, errorAnswer, type HttpAnswer } from '../http/envelope.js'

/** The sys paths whose wrapping token the core checks before anything else. */
const VALIDATED_PATHS = new Set([
  'sys/wrapping/lookup',
  'sys/wrapping/rewrap',
  'sys/wrapping/unwrap',
])

/** Vault's `consts.ErrInvalidWrappingToken`, answered with 400. */
export const INVALID_WRAPPING_TOKEN = 'wrapping token is not valid or does not exist'

/** What the core knows about a response it may wrap. */
export interface WrapContext {
  /** The request path: the wrapping token's `path`, and `creation_path` unless rewrapping. */
  path: string
  operation: LogicalOperation
  mountType: string
}

export interface ResponseWrapping {
  /**
   * `ValidateWrappingToken` for `sys/wrapping/{lookup,rewrap,unwrap}`: the token from the body's
   * `token` (third party) or else the client token must be a live wrapping token.
   * @returns the error answer (403 for a missing or undecodable token, 400
   *   `wrapping token is not valid or does not exist`), or null when valid or not applicable.
   */
  validate(path: string, data: Record<string, unknown>, clientToken: string): HttpAnswer | null
  /** The wrap TTL for this response (the shorter of request and backend), 0 = not wrapped. */
  ttlFor(res: EngineResponse, requestTtl: number | undefined): number
  /**
   * `wrapInCubbyhole`: stores the response and answers with the wrapping envelope, or with 404
   * `unsupported path` for a LIST without keys (so no one unwraps an empty list).
   */
  wrap(res: EngineResponse, ttl: number, ctx: WrapContext): HttpAnswer
}

export interface ResponseWrappingDeps {
  tokens: TokenStore
  cubbyholes: CubbyholeStore
  now(): number
}

/** True for a response Vault would see as nil (handlers returning nothing). */
export function isEmptyResponse(res: EngineResponse): boolean {
  return (
    res.kind === 'envelope' &&
    (res.data === undefined || res.data === null) &&
    !res.auth &&
    (res.warnings ?? []).length === 0 &&
    !res.wrapInfo
  )
}

/** `wrapInCubbyhole`'s rule for lists: no keys (and no other data or warnings) is not wrapped. */
function listIsEmpty(res: EngineResponse): boolean {
  if (res.kind !== 'envelope') return false
  const data = res.data ?? {}
  const warnings = res.warnings ?? []
  if (Object.keys(data).length === 0 && warnings.length === 0) return true
  const keys = data.keys
  if (keys === undefined || keys === null)
    return !(Object.keys(data).length > 0 || warnings.length > 0)
  return !Array.isArray(keys) || keys.length === 0
}

/**
 * The response as `json.Marshal(LogicalResponseToHTTPResponse(resp))` makes it: the envelope
 * without a trailing newline; a raw response keeps its status, content type and body in `data`.
 */
function storedResponse(res: EngineResponse, mountType: string): string {
  if (res.kind === 'envelope') {
    return goJson(envelopeObject(res.data, res.warnings, res.auth, mountType), false)
  }
  const data: Record<string, unknown> = {
    http_content_type: 'application/json',
    http_status_code: res.status,
  }
  if (res.body !== null) {
    data.http_raw_body = typeof res.body === 'string' ? res.body : goJson(res.body, false)
  }
  return goJson(envelopeObject(data, [], null, mountType), false)
}

/** Response wrapping over the token store and the cubbyholes. */
export function createResponseWrapping(deps: ResponseWrappingDeps): ResponseWrapping {
  const { tokens, cubbyholes, now } = deps
  const denied = (why: string) => errorAnswer(403, [`error validating wrapping token: ${why}`])

  return {
    validate(path, data, clientToken) {
      if (!VALIDATED_PATHS.has(path)) return null
      let token = clientToken
      const bodyToken = data.token
      if (bodyToken !== undefined && bodyToken !== null) {
        if (typeof bodyToken !== 'string') return denied('could not decode token in request body')
        if (bodyToken === '') return denied('empty token in request body')
        token = bodyToken
      }
      if (token === '') return denied('token is empty')
      const t = tokens.lookup(token, { untainted: true })
      if (!t || t.policies.length !== 1 || t.policies[0] !== RESPONSE_WRAPPING_POLICY) {
        return errorAnswer(400, [INVALID_WRAPPING_TOKEN])
      }
      return null
    },

    ttlFor(res, requestTtl) {
      let ttl =
        res.kind === 'envelope' && res.wrapInfo && res.wrapInfo.ttl > 0 ? res.wrapInfo.ttl : 0
      if (requestTtl !== undefined && requestTtl > 0 && (ttl === 0 || requestTtl < ttl)) {
        ttl = requestTtl
      }
      return ttl
    },

    wrap(res, ttl, ctx) {
      if (ctx.operation === 'list' && listIsEmpty(res))
        return errorAnswer(404, ['unsupported path'])
      const rewrap = ctx.path === 'sys/wrapping/rewrap'
      const creationPath =
        rewrap && res.kind === 'envelope' && res.wrapInfo ? res.wrapInfo.creationPath : ctx.path
      const stored =
        rewrap && res.kind === 'envelope' && typeof res.data?.response === 'string'
          ? res.data.response
          : storedResponse(res, ctx.mountType)
      // Security: no parent, so revoking the token that made the request (or spending its last
      // use) leaves the wrapping token valid; only its TTL, its one use or a revoke ends it.
      const token = tokens.create({
        policies: [RESPONSE_WRAPPING_POLICY],
        parent: null,
        path: ctx.path,
        meta: null,
        displayName: '',
        numUses: 1,
        creationTtl: ttl,
        explicitMaxTtl: ttl,
        renewable: false,
        hasLease: true,
      })
      const creationTime = localTimeString(now())
      cubbyholes.put(token.id, 'response', { response: stored })
      cubbyholes.put(token.id, 'wrapinfo', {
        creation_ttl: Math.round(ttl * 1e9),
        creation_time: creationTime,
        creation_path: creationPath,
      })
      const wrappedAccessor = res.kind === 'envelope' ? res.auth?.accessor : undefined
      const envelope = struct({
        request_id: '',
        lease_id: '',
        renewable: false,
        lease_duration: 0,
        data: null,
        wrap_info: struct({
          token: token.id,
          accessor: token.accessor,
          ttl: Math.trunc(ttl),
          creation_time: creationTime,
          creation_path: creationPath,
          wrapped_accessor: wrappedAccessor || undefined,
        }),
        warnings: null,
        auth: null,
        mount_type: '',
      })
      return { status: 200, body: goJson(envelope) }
    },
  }
}
