/** @module dev-vault/engines/jwt/jwt-auth-login: JWT login with the plugin’s and cap/jwt’s checks in order. */
import type { KeyObject } from 'node:crypto'
import {
  compactVerify,
  decodeProtectedHeader,
  importJWK,
  type CryptoKey,
  type JSONWebKeySet,
} from 'jose'
import { VaultHttpError, type EngineHost, type EngineResponse } from '../../routing/backend.js'
import { loginDisplayName, tokenRequestFor } from '../token-params.js'
import { SUPPORTED_ALGS, type JwtConfig, type KeySource } from './jwt-auth-config.js'
import type { JwtRole } from './jwt-auth-roles.js'
import { decodeFields } from '../field-schema.js'
import { errorResponse } from '../../routing/error-responses.js'
import { goGlob } from '../go-glob.js'

/** `cap/jwt` defaults, seconds. */
const DEFAULT_EXP_NBF_LEEWAY = 150
const DEFAULT_SKEW_LEEWAY = 60

type Claims = Record<string, unknown>

/**
 * Verifies the signature with any of the keys; `null` when none validates it. Like go-oidc's
 * RemoteKeySet, a JWKS key is tried when the token names no `kid` or the same `kid`.
 */
async function verifyWith(
  token: string,
  keys: KeyObject[] | JSONWebKeySet,
  header: { alg?: unknown; kid?: unknown },
): Promise<Uint8Array | null> {
  const candidates: Array<() => Promise<KeyObject | CryptoKey | Uint8Array>> = Array.isArray(keys)
    ? keys.map((k) => async () => k)
    : keys.keys
        .filter((jwk) => header.kid === undefined || jwk.kid === header.kid)
        .map((jwk) => () => importJWK(jwk, typeof header.alg === 'string' ? header.alg : undefined))
  for (const load of candidates) {
    try {
      return (await compactVerify(token, await load())).payload
    } catch {
      // Try the next key, as cap's StaticKeySet and go-oidc's RemoteKeySet do.
    }
  }
  return null
}

/**
 * `cap/jwt` `Validator.Validate` (cap v0.3.0+, Vault 1.14+): signature, algorithm, issuer,
 * subject, audience, then the time claims.
 */
async function validateToken(
  token: string,
  source: KeySource,
  config: JwtConfig,
  role: JwtRole,
  nowMs: number,
): Promise<Claims | string> {
  let header: { alg?: unknown; kid?: unknown }
  try {
    header = decodeProtectedHeader(token)
    if (token.split('.').length !== 3) throw new Error('compact JWS format must have three parts')
  } catch (e) {
    return `error verifying token signature: oidc: malformed jwt: ${(e as Error).message}`
  }
  let payload: Uint8Array | null
  let remote: boolean
  try {
    const keys = await source.keys(false)
    remote = !Array.isArray(keys)
    payload = await verifyWith(token, keys, header)
    // A remote set may have rotated: fetch it once more, like go-oidc's RemoteKeySet.
    if (!payload && remote) payload = await verifyWith(token, await source.keys(true), header)
  } catch (e) {
    return `error verifying token signature: fetching keys: ${(e as Error).message}`
  }
  if (!payload) {
    return remote
      ? 'error verifying token signature: failed to verify id token signature'
      : 'error verifying token signature: no known key successfully validated the token signature'
  }
  const allowed = config.jwtSupportedAlgs.length > 0 ? config.jwtSupportedAlgs : SUPPORTED_ALGS
  if (typeof header.alg !== 'string' || !allowed.includes(header.alg)) {
    return 'invalid algorithm (alg) header parameter: token signed with unexpected algorithm'
  }
  let claims: Claims
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(payload))
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not an object')
    claims = parsed as Claims
  } catch {
    return 'error verifying token signature: oidc: malformed jwt payload'
  }
  if (config.boundIssuer !== '' && claims.iss !== config.boundIssuer) {
    return 'invalid issuer (iss) claim'
  }
  if (role.boundSubject !== '' && claims.sub !== role.boundSubject) {
    return 'invalid subject (sub) claim'
  }
  const bound = role.boundAudiences ?? []
  if (bound.length > 0) {
    const aud = Array.isArray(claims.aud)
      ? claims.aud
      : typeof claims.aud === 'string'
        ? [claims.aud]
        : []
    if (!bound.some((b) => aud.includes(b))) {
      return 'invalid audience (aud) claim: audience claim does not match any expected audience'
    }
  }
  return checkTimes(claims, role, nowMs) ?? claims
}

/** A role's leeway in seconds: 0 means the default, a negative value none. */
const leeway = (seconds: number, dflt: number): number =>
  seconds === 0 ? dflt : seconds < 0 ? 0 : seconds

/**
 * cap/jwt's time checks (`validateAll`, the same since Vault 1.8). A missing `exp` is derived
 * from `max(iat, nbf)` plus the expiration leeway, a missing `nbf` from `iat`, or else from
 * `exp` minus the not-before leeway; then nbf, exp and iat are checked with the clock skew
 * alone. So the leeways never stretch a claim the token has, and a token whose only time claim
 * is an `exp` far ahead is not yet valid.
 * @returns the validator's message, or undefined when the times are valid.
 */
function checkTimes(claims: Claims, role: JwtRole, nowMs: number): string | undefined {
  // Go decodes NumericDate from a JSON number; absent (or zero) counts as missing.
  const num = (k: string): number => (typeof claims[k] === 'number' ? Math.trunc(claims[k]) : 0)
  const iat = num('iat')
  let nbf = num('nbf')
  let exp = num('exp')
  if (iat === 0 && nbf === 0 && exp === 0) {
    return 'no issued at (iat), not before (nbf), or expiration time (exp) claims in token'
  }
  if (exp === 0) exp = Math.max(iat, nbf) + leeway(role.expirationLeeway, DEFAULT_EXP_NBF_LEEWAY)
  if (nbf === 0) nbf = iat !== 0 ? iat : exp - leeway(role.notBeforeLeeway, DEFAULT_EXP_NBF_LEEWAY)
  const skewMs = leeway(role.clockSkewLeeway, DEFAULT_SKEW_LEEWAY) * 1000
  if (nowMs + skewMs < nbf * 1000) return 'invalid not before (nbf) claim: token not yet valid'
  if (nowMs - skewMs > exp * 1000) return 'invalid expiration time (exp) claim: token is expired'
  if (nowMs + skewMs < iat * 1000)
    return 'invalid issued at (iat) claim: token issued in the future'
  return undefined
}

/** `getClaim`: a top-level claim, or a JSON pointer when the name starts with `/`. */
function getClaim(claims: Claims, name: string): unknown {
  let value: unknown = claims[name]
  if (name.startsWith('/')) {
    value = claims
    for (const raw of name.slice(1).split('/')) {
      const part = raw.replace(/~1/g, '/').replace(/~0/g, '~')
      if (value === null || typeof value !== 'object') return undefined
      value = Array.isArray(value) ? value[Number(part)] : (value as Claims)[part]
    }
  }
  // Go decodes JSON numbers as float64 and getClaim turns them into integer json.Numbers.
  return typeof value === 'number' ? { number: String(Math.trunc(value)) } : value
}

/** A claim or bound value as a comparable key (Go compares the dynamic type and value). */
function comparable(v: unknown): string | null {
  if (typeof v === 'string') return `s:${v}`
  if (typeof v === 'boolean') return `b:${v}`
  if (typeof v === 'number') return `n:${v}`
  if (v && typeof v === 'object' && 'number' in v) return `n:${(v as { number: string }).number}`
  return null
}

function normalizeList(v: unknown): unknown[] | null {
  if (Array.isArray(v)) return v
  return comparable(v) === null ? null : [v]
}

/** `validateBoundClaims`; returns the error text or undefined. */
function checkBoundClaims(role: JwtRole, claims: Claims): string | undefined {
  for (const [claim, expected] of Object.entries(role.boundClaims ?? {})) {
    const actual = getClaim(claims, claim)
    if (actual === undefined || actual === null) return `claim ${JSON.stringify(claim)} is missing`
    const actVals = normalizeList(actual)
    if (!actVals)
      return `received claim is not a string, bool, int or list: ${JSON.stringify(actual)}`
    const expVals = normalizeList(expected)
    if (!expVals)
      return `bound claim is not a string, bool, int or list: ${JSON.stringify(expected)}`
    const found = expVals.some((e) =>
      actVals.some((a) =>
        role.boundClaimsType === 'glob'
          ? typeof a === 'string' && goGlob(String(e), a)
          : comparable(a) !== null && comparable(a) === comparable(e),
      ),
    )
    if (!found)
      return `claim ${JSON.stringify(claim)} does not match any associated bound claim values`
  }
  return undefined
}

/**
 * `POST login` (`pathLogin`): config → role → signature and registered claims → audience
 * without bound audiences → user claim, claim mappings and groups → bound claims → a token
 * whose entity has the alias `<user claim value>` on this mount.
 */
export async function login(
  host: EngineHost,
  mountPath: string,
  config: JwtConfig | null,
  source: KeySource | null,
  roles: Map<string, JwtRole>,
  data: Record<string, unknown>,
): Promise<EngineResponse> {
  const f = decodeFields(data, {
    role: 'string',
    jwt: 'string',
    distributed_claim_access_token: 'string',
  })
  if (!config || !source) throw errorResponse('could not load configuration')
  const roleName = (f.str('role') || config.defaultRole).toLowerCase()
  if (roleName === '') throw errorResponse('missing role')
  const role = roles.get(roleName)
  if (!role) throw errorResponse(`role ${JSON.stringify(roleName)} could not be found`)
  if (role.roleType === 'oidc') throw errorResponse('role with oidc role_type is not allowed')
  const token = f.str('jwt')
  if (token === '') throw errorResponse('missing token')
  // Security: the dev vault does not see the client address, so a CIDR-bound role can never be
  // proven to be used from an allowed network; refuse rather than ignore the binding.
  if (role.token.tokenBoundCidrs.length > 0) throw new VaultHttpError(403, ['permission denied'])
  const claims = await validateToken(token, source, config, role, host.now())
  if (typeof claims === 'string') throw errorResponse(`error validating token: ${claims}`)
  if ((role.boundAudiences ?? []).length === 0) {
    const aud = claims.aud
    if ((Array.isArray(aud) && aud.length > 0) || (typeof aud === 'string' && aud !== '')) {
      throw errorResponse('audience claim found in JWT but no audiences bound to the role')
    }
  }
  const userRaw = role.userClaimJsonPointer
    ? getClaim(claims, role.userClaim)
    : claims[role.userClaim]
  if (userRaw === undefined || userRaw === null) {
    throw errorResponse(`claim ${JSON.stringify(role.userClaim)} not found in token`)
  }
  if (typeof userRaw !== 'string') {
    throw errorResponse(`claim ${JSON.stringify(role.userClaim)} could not be converted to string`)
  }
  const metadata: Record<string, string> = {}
  for (const [source, target] of Object.entries(role.claimMappings ?? {})) {
    const value = getClaim(claims, source)
    if (value === undefined || value === null) continue
    if (typeof value !== 'string')
      throw errorResponse(`error converting claim '${source}' to string`)
    metadata[target] = value
  }
  metadata.role = roleName
  const groupsError = checkGroupsClaim(role, claims)
  if (groupsError) throw errorResponse(groupsError)
  const boundError = checkBoundClaims(role, claims)
  if (boundError) throw errorResponse(`error validating claims: ${boundError}`)
  const mount = mountPath.replace(/^auth\//, '')
  // The alias is the user claim's value on this mount; the core gives the token its entity.
  const auth = host.issueToken({
    ...tokenRequestFor(role.token, loginDisplayName(mountPath, userRaw), `auth/${mount}login`, {
      ...metadata,
    }),
    alias: { name: userRaw, metadata },
  })
  return { kind: 'envelope', data: null, auth }
}

/**
 * `createIdentity`'s groups: with `groups_claim` set the claim must be there, a string or a
 * list of strings (the dev vault makes no group aliases from it).
 * @returns the plugin's message, or undefined.
 */
function checkGroupsClaim(role: JwtRole, claims: Claims): string | undefined {
  if (role.groupsClaim === '') return undefined
  const raw = getClaim(claims, role.groupsClaim)
  const name = JSON.stringify(role.groupsClaim)
  if (raw === undefined || raw === null) {
    return `failed to fetch groups: ${name} claim not found in token`
  }
  const groups = normalizeList(raw)
  if (!groups) return `${name} claim could not be converted to string list`
  const bad = groups.find((g) => typeof g !== 'string')
  if (bad !== undefined) {
    const shown = typeof bad === 'object' && bad !== null && 'number' in bad ? bad.number : bad
    return `value ${String(shown)} in groups claim could not be parsed as string`
  }
  return undefined
}
