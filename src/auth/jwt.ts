/** @module auth/jwt: `Authorization: Bearer <JWT>` with HS256 secrets and JWKS/OIDC public keys. */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwksCache,
  jwtVerify,
  type CompactJWSHeaderParameters,
  type CryptoKey,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose'
import { AppError } from '../core/errors.js'
import { SCOPES, withCredential, type Principal, type Scope } from '../core/identity.js'
import type { Config } from '../config/schema.js'
import type { Logger } from '../observability/logger.js'
import type { AuthStrategy } from './strategy.js'
import { createVerifiedTokens } from './verified-tokens.js'

type JwtConfig = Omit<Config['auth']['jwt'], 'enabled'>

/** Tokens longer than this are refused before they are parsed. */
export const MAX_TOKEN_BYTES = 8 * 1024

export interface JwtStrategyOptions {
  logger: Logger
  /** OAUTH_RESOURCE: when set, the token's `aud` must contain it (RFC 8707). */
  resource?: string | undefined
  /** Seconds after a successful JWKS fetch before an unknown `kid` may trigger another (30). */
  jwksCooldownSeconds?: number
  /** Seconds a fetched JWKS is used before it is fetched again (600). */
  jwksMaxAgeSeconds?: number
  /** Seconds after a failed JWKS fetch during which only cached keys are used (10). */
  jwksRetrySeconds?: number
  /** Timeout of one JWKS or OIDC discovery request, in seconds (5). */
  fetchTimeoutSeconds?: number
  /**
   * Keep the verified token on the principal (`credentialOf`) for JWT exchange
   * (VAULT_JWT_EXCHANGE_ENABLED). Off by default: without exchange nothing needs the raw token,
   * so neither the principal nor the verified-token cache holds it.
   */
  keepCredential?: boolean
}

const isHmac = (alg: string) => alg.startsWith('HS')

/** Header parameters that carry or point at a key. */
const KEY_IN_HEADER = ['jwk', 'jku', 'x5u'] as const

/**
 * `typ` values of tokens meant for a resource server: RFC 7519 (`JWT`) and RFC 9068 access
 * tokens (`at+jwt`), with or without `application/`. Security: other types (`dpop+jwt`,
 * `logout+jwt`, `secevent+jwt`, ...) are signed by the same keys for other purposes.
 */
const ACCEPTED_TYP = new Set(['jwt', 'at+jwt'])
const acceptedTyp = (typ: unknown): boolean =>
  typ === undefined ||
  (typeof typ === 'string' && ACCEPTED_TYP.has(typ.toLowerCase().replace(/^application\//, '')))

/** jose errors that are about the token, not about reaching the key set. */
const TOKEN_KEY_ERRORS = new Set([
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JOSE_NOT_SUPPORTED',
])

const rejected = (message: string, cause?: unknown) =>
  new AppError('UNAUTHENTICATED', message, { cause, details: { tokenPresented: true } })

/** The token's `scopes` (array or string), `scope` (space-separated) or `scp`, else the defaults. */
export function scopesFromClaims(payload: JWTPayload, defaults: readonly Scope[]): Scope[] {
  for (const claim of ['scopes', 'scope', 'scp']) {
    const value = payload[claim]
    if (value === undefined) continue
    const items =
      typeof value === 'string'
        ? value.split(/[\s,]+/)
        : Array.isArray(value)
          ? value.filter((v): v is string => typeof v === 'string')
          : []
    // Security: a token that names its scopes gets only the ones we know, never the defaults.
    return SCOPES.filter((s) => items.includes(s))
  }
  return [...defaults]
}

function describeJoseError(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'The bearer token has expired; get a new one.'
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') {
      return `The bearer token has no "${err.claim}" claim; it needs one (exp, and iss/aud when configured).`
    }
    switch (err.claim) {
      case 'nbf':
        return 'The bearer token is not valid yet (nbf is in the future).'
      case 'iss':
        return 'The bearer token was issued by an issuer this bridge does not trust (iss).'
      case 'aud':
        return 'The bearer token was issued for another audience (aud).'
      default:
        return `The bearer token's "${err.claim}" claim is not acceptable.`
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return "The bearer token's algorithm is not accepted here (JWT_ALGORITHMS and the configured keys decide)."
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return "The bearer token's signature is not valid."
  }
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return "No signing key of the identity provider matches the token's kid and alg."
  }
  return 'The bearer token is malformed or uses an unsupported format.'
}

interface RemoteKeys {
  (header: CompactJWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey>
}

/**
 * Public keys from JWT_JWKS_URL, or from the `jwks_uri` that OIDC discovery of JWT_ISSUER names.
 * jose caches the set and refetches it on an unknown `kid` once the cool-down has passed.
 *
 * When the endpoint cannot be reached, a key from the last set that was fetched is still used if
 * one fits; otherwise the token is refused with 401 (never a 500). After a failure the endpoint
 * is not asked again for `jwksRetrySeconds`. The outage is logged once, and its end once,
 * however many requests run into it.
 */
function createRemoteKeys(
  source: { jwksUrl: string } | { issuer: string },
  opts: JwtStrategyOptions,
): RemoteKeys {
  const timeoutMs = Math.round((opts.fetchTimeoutSeconds ?? 5) * 1000)
  const cache: { uat?: number; jwks?: JSONWebKeySet } = {}
  let lastUat: number | undefined
  let down = false
  let failedAt: number | undefined
  const retryMs = (opts.jwksRetrySeconds ?? 10) * 1000
  let set: ReturnType<typeof createRemoteJWKSet> | undefined
  let discovering: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined
  const where = 'jwksUrl' in source ? source.jwksUrl : source.issuer

  const build = (url: string) =>
    createRemoteJWKSet(new URL(url), {
      timeoutDuration: timeoutMs,
      cooldownDuration: (opts.jwksCooldownSeconds ?? 30) * 1000,
      cacheMaxAge: (opts.jwksMaxAgeSeconds ?? 600) * 1000,
      [jwksCache]: cache as never,
    })

  async function discover(issuer: string) {
    const base = issuer.replace(/\/+$/, '')
    const res = await fetch(`${base}/.well-known/openid-configuration`, {
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    })
    if (res.status !== 200) throw new Error(`OIDC discovery answered HTTP ${res.status}`)
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown }
    // Security: OIDC Discovery 1.0 section 4.3: the document must name the issuer we asked about.
    if (typeof doc.issuer !== 'string' || doc.issuer.replace(/\/+$/, '') !== base) {
      throw new Error('OIDC discovery document names a different issuer')
    }
    if (typeof doc.jwks_uri !== 'string' || !/^https?:\/\//.test(doc.jwks_uri)) {
      throw new Error('OIDC discovery document has no http(s) jwks_uri')
    }
    return build(doc.jwks_uri)
  }

  async function getSet() {
    if (set) return set
    if ('jwksUrl' in source) return (set = build(source.jwksUrl))
    discovering ??= discover(source.issuer).finally(() => {
      discovering = undefined
    })
    return (set = await discovering)
  }

  const noteFetches = () => {
    if (cache.uat === lastUat) return
    lastUat = cache.uat
    failedAt = undefined
    if (down) opts.logger.info({ jwks: where }, 'JWKS endpoint reachable again')
    down = false
  }

  const unavailable = (err: unknown) => {
    if (!down) {
      down = true
      const reason = err instanceof Error ? err.message : String(err)
      opts.logger.warn(
        { jwks: where, reason },
        'JWKS endpoint unreachable: tokens that need a key it has not served yet are refused until it is back',
      )
    }
    return rejected(
      "The identity provider's signing keys (JWKS) cannot be fetched right now, so this token cannot be checked. Retry shortly; the operator should check JWT_JWKS_URL or JWT_ISSUER.",
      err,
    )
  }

  let lastGood: { jwks: JSONWebKeySet; keys: ReturnType<typeof createLocalJWKSet> } | undefined
  const cachedKey = async (header: CompactJWSHeaderParameters, token: FlattenedJWSInput) => {
    if (!cache.jwks) return undefined
    if (lastGood?.jwks !== cache.jwks) {
      lastGood = { jwks: cache.jwks, keys: createLocalJWKSet(cache.jwks) }
    }
    return lastGood.keys(header, token).catch(() => undefined)
  }

  const failed = async (
    header: CompactJWSHeaderParameters,
    token: FlattenedJWSInput,
    err: unknown,
  ): Promise<CryptoKey> => {
    failedAt = Date.now()
    // A key from the last set we saw may still fit: rotation is rare, outages are not.
    const key = await cachedKey(header, token)
    if (key) return key
    throw unavailable(err)
  }

  return async (header, token) => {
    // While the endpoint is failing, requests do not each wait for it (up to the fetch
    // timeout): for a while only the last set it served is used.
    if (failedAt !== undefined && Date.now() - failedAt < retryMs) {
      const key = await cachedKey(header, token)
      if (key) return key
      throw unavailable(undefined)
    }
    let keys
    try {
      keys = await getSet()
    } catch (err) {
      return failed(header, token, err)
    }
    try {
      const key = await keys(header, token)
      noteFetches()
      return key
    } catch (err) {
      if (err instanceof errors.JOSEError && TOKEN_KEY_ERRORS.has(err.code)) {
        noteFetches()
        throw err
      }
      return failed(header, token, err)
    }
  }
}

/**
 * The startup warning for JWT authentication that no key can pass: enabled, but no allowed
 * algorithm has a key (JWT_HS256_SECRET for HS*, a JWKS or OIDC issuer for the others).
 * Undefined when some token can be verified.
 */
export function jwtKeyWarning(cfg: JwtConfig): string | undefined {
  const remote = !!cfg.jwksUrl || (!!cfg.issuer && /^https?:\/\//.test(cfg.issuer))
  const usable = cfg.algorithms.some((a) => (isHmac(a) ? !!cfg.hs256Secret : remote))
  return usable
    ? undefined
    : 'JWT authentication is enabled but no key is configured (JWT_HS256_SECRET, JWT_JWKS_URL or JWT_ISSUER): every bearer token will be refused'
}

/**
 * Creates the JWT strategy.
 *
 * HS* tokens are verified only with JWT_HS256_SECRET and asymmetric ones only with keys from the
 * JWKS, so a public key can never be used as an HMAC secret (algorithm confusion). The accepted
 * algorithms are JWT_ALGORITHMS narrowed to those a key is configured for; `none` is never among
 * them. Keys named by the token itself (`jwk`, `jku`, `x5u`) are refused outright. A token must
 * not live longer than JWT_MAX_LIFETIME, and its `typ`, when present, must be `JWT` or `at+jwt`.
 *
 * Scopes: a token's own `scopes`/`scope`/`scp` claim, else JWT_DEFAULT_SCOPES for HS256 tokens
 * (the operator minted them) and JWT_JWKS_DEFAULT_SCOPES (none by default) for tokens from a
 * JWKS or OIDC issuer, which may have been issued for something else entirely.
 *
 * With `keepCredential` the verified token stays on the principal for a later exchange
 * (`credentialOf`), never enumerable, so it reaches no log line or response; without it the
 * principal carries no token at all.
 *
 * @throws UNAUTHENTICATED (from `authenticate`) for any bearer token that is not valid, including
 *   when the JWKS endpoint is unreachable and no cached key fits.
 */
export function createJwtStrategy(cfg: JwtConfig, opts: JwtStrategyOptions): AuthStrategy {
  const secret = cfg.hs256Secret ? new TextEncoder().encode(cfg.hs256Secret) : undefined
  const source = cfg.jwksUrl
    ? { jwksUrl: cfg.jwksUrl }
    : cfg.issuer && /^https?:\/\//.test(cfg.issuer)
      ? { issuer: cfg.issuer }
      : undefined
  const remote = source ? createRemoteKeys(source, opts) : undefined
  // With none left, every token is refused (jwtKeyWarning says so at startup).
  const algorithms = cfg.algorithms.filter((a) => (isHmac(a) ? secret : remote))
  const tolerance = cfg.clockToleranceSeconds
  const verifiedTokens = createVerifiedTokens()

  // One imported HMAC key per algorithm: importing the raw secret on every request costs more
  // than the verification itself.
  const hmacKeys = new Map<string, Promise<CryptoKey>>()
  const hmacKey = (alg: string, raw: Uint8Array<ArrayBuffer>) => {
    let key = hmacKeys.get(alg)
    if (!key) {
      const hash = { name: 'HMAC', hash: `SHA-${alg.slice(2)}` }
      key = crypto.subtle.importKey('raw', raw, hash, false, ['verify'])
      hmacKeys.set(alg, key)
    }
    return key
  }

  const getKey = async (header: CompactJWSHeaderParameters, token: FlattenedJWSInput) => {
    if (isHmac(header.alg) && secret) return hmacKey(header.alg, secret)
    if (!isHmac(header.alg) && remote) return remote(header, token)
    // Unreachable while `algorithms` is narrowed as above; kept as a guard.
    throw new errors.JOSEAlgNotAllowed('no key for this algorithm')
  }

  return {
    method: 'jwt',
    async authenticate(req) {
      const authorization = req.headers.get('authorization')
      if (authorization === null || !/^bearer(\s|$)/i.test(authorization)) return null
      const token = /^bearer +([A-Za-z0-9_.~+/=-]+) *$/i.exec(authorization)?.[1]
      if (!token) throw rejected('The Authorization header must be "Bearer <token>".')
      if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) {
        throw rejected(`The bearer token is larger than ${MAX_TOKEN_BYTES} bytes.`)
      }
      if (algorithms.length === 0) {
        throw rejected('JWT authentication has no verification key configured on this bridge.')
      }
      const known = verifiedTokens.get(token)
      if (known) return known
      let header
      try {
        header = decodeProtectedHeader(token)
      } catch (err) {
        throw rejected('The bearer token is malformed.', err)
      }
      // Security: the verification key comes from our configuration only, never from the token.
      if (KEY_IN_HEADER.some((p) => p in header)) {
        throw rejected(
          'The bearer token names its own key (jwk, jku or x5u); that is not accepted.',
        )
      }
      const options = {
        algorithms,
        issuer: cfg.issuer,
        audience: cfg.audience,
        requiredClaims: ['exp'],
        clockTolerance: tolerance,
      }
      const verified = await jwtVerify(token, getKey, options)
        .catch(async (err: unknown) => {
          // A token without `kid` and a JWKS with several keys of its type: try each key.
          if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err
          for await (const key of err as unknown as AsyncIterable<CryptoKey>) {
            const result = await jwtVerify(token, key, options).catch((e: unknown) => {
              if (e instanceof errors.JWSSignatureVerificationFailed) return undefined
              throw e
            })
            if (result) return result
          }
          throw new errors.JWSSignatureVerificationFailed()
        })
        .catch((err: unknown) => {
          if (err instanceof AppError) throw err
          throw rejected(describeJoseError(err), err)
        })
      const payload = verified.payload
      const nowSeconds = Date.now() / 1000
      if (typeof payload.iat === 'number' && payload.iat > nowSeconds + tolerance) {
        throw rejected('The bearer token was issued in the future (iat); check the clocks.')
      }
      // Security: `exp` is required; a token valid for decades is a credential that never dies.
      const start = typeof payload.iat === 'number' ? Math.min(payload.iat, nowSeconds) : nowSeconds
      if ((payload.exp as number) - start > cfg.maxLifetimeSeconds + tolerance) {
        throw rejected(
          'The bearer token lives longer than this bridge allows (JWT_MAX_LIFETIME); ask your issuer for a shorter-lived token.',
        )
      }
      if (!acceptedTyp(verified.protectedHeader.typ)) {
        throw rejected(
          'The bearer token is not an access token (its typ header must be JWT or at+jwt).',
        )
      }
      if (opts.resource) {
        const aud = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? [])
        if (!aud.includes(opts.resource)) {
          throw rejected(
            'The bearer token was not issued for this server (its aud must contain OAUTH_RESOURCE).',
          )
        }
      }
      const agent = payload[cfg.subjectClaim]
      if (typeof agent !== 'string' || agent.length === 0) {
        throw rejected(`The bearer token has no "${cfg.subjectClaim}" claim naming the agent.`)
      }
      const source = isHmac(verified.protectedHeader.alg) ? 'hs256' : 'jwks'
      const defaults = source === 'hs256' ? cfg.defaultScopes : cfg.jwksDefaultScopes
      const found: Principal = {
        agent,
        scopes: scopesFromClaims(payload, defaults),
        method: 'jwt',
      }
      const principal = opts.keepCredential
        ? withCredential(found, { kind: 'jwt', token, source, claims: payload })
        : found
      // `exp` is required and was checked: the token is good until then (plus the tolerance).
      verifiedTokens.set(token, principal, ((payload.exp as number) + tolerance) * 1000)
      return principal
    },
  }
}
