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

/** `cap/jwt` `Validator.Validate`: signature, then algorithm, then registered claims. */
async function validateToken(
  token: string,
  source: KeySource,
  config: JwtConfig,
  role: JwtRole,
  nowSec: number,
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
    return `invalid algorithm (alg) header: token signed with unsupported algorithm ${JSON.stringify(header.alg)}`
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
  const num = (k: string): number | undefined =>
    typeof claims[k] === 'number' ? (claims[k] as number) : undefined
  const iat = num('iat')
  const nbf = num('nbf')
  let exp = num('exp')
  if (iat === undefined && nbf === undefined && exp === undefined) {
    return 'no issued at (iat), not before (nbf), or expiration time (exp) claims in token'
  }
  if (exp === undefined) exp = (iat ?? nbf ?? 0) + DEFAULT_EXP_NBF_LEEWAY
  const leeway = (v: number, dflt: number): number => (v === 0 ? dflt : v < 0 ? 0 : v)
  const skew = leeway(role.clockSkewLeeway, DEFAULT_SKEW_LEEWAY)
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
  if (nowSec > exp + leeway(role.expirationLeeway, DEFAULT_EXP_NBF_LEEWAY) + skew) {
    return 'invalid expiration time (exp) claim: token is expired'
  }
  if (
    nbf !== undefined &&
    nowSec < nbf - leeway(role.notBeforeLeeway, DEFAULT_EXP_NBF_LEEWAY) - skew
  ) {
    return 'invalid not before (nbf) claim: token not yet valid'
  }
  if (iat !== undefined && nowSec < iat - skew) {
    return 'invalid issued at (iat) claim: token issued in the future'
  }
  return claims
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

/** `*` globs as ryanuber/go-glob matches them. */
function globMatch(pattern: string, value: string): boolean {
  const re = pattern
    .split('*')
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
  return new RegExp(`^${re}$`, 's').test(value)
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
          ? typeof a === 'string' && globMatch(String(e), a)
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
 * without bound audiences → user claim and claim mappings → bound claims → token.
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
  const claims = await validateToken(token, source, config, role, Math.floor(host.now() / 1000))
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
  const boundError = checkBoundClaims(role, claims)
  if (boundError) throw errorResponse(`error validating claims: ${boundError}`)
  const mount = mountPath.replace(/^auth\//, '')
  const auth = host.issueToken(
    tokenRequestFor(
      role.token,
      loginDisplayName(mountPath, userRaw),
      `auth/${mount}login`,
      metadata,
    ),
  )
  return { kind: 'envelope', data: null, auth }
}
