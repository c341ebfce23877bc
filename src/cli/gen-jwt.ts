/** @module cli/gen-jwt: `vault-mcp-bridge gen-jwt` signs a token for an agent (development and scripts). */
import { createPrivateKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { SignJWT } from 'jose'
import { SCOPES, isValidAgentId, type Scope } from '../core/identity.js'
import { parseDuration } from '../config/schema.js'
import { parseCommandArgs, usageError } from './args.js'
import { processIo, type CliIo } from './io.js'

export const GEN_JWT_USAGE = `Usage: vault-mcp-bridge gen-jwt --sub <agent> [options]

Prints a signed JWT for <agent> on stdout.

  --sub <agent>        agent id (the token's subject; JWT_SUBJECT_CLAIM names the claim)
  --scopes <list>      comma-separated scopes (${SCOPES.join(', ')}); omitted: the token names
                       none and gets JWT_DEFAULT_SCOPES
  --ttl <duration>     lifetime such as 10m, 1h, 1d (default 1h)
  --alg <alg>          HS256 (default, secret from JWT_HS256_SECRET), RS256, PS256, ES256, EdDSA
  --key <file.pem>     PKCS#8 private key for the asymmetric algorithms
  --kid <id>           key id put in the header (match the kid in your JWKS)
  --iss <issuer>       issuer (default JWT_ISSUER)
  --aud <audience>     audience, repeatable (default JWT_AUDIENCE and OAUTH_RESOURCE)
  -h, --help
HS256 needs JWT_HS256_SECRET of at least 32 bytes, as the bridge does.
`

const ALGORITHMS = ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA'] as const

const GEN_JWT_OPTIONS = {
  sub: { type: 'string' },
  scopes: { type: 'string' },
  ttl: { type: 'string', default: '1h' },
  alg: { type: 'string', default: 'HS256' },
  key: { type: 'string' },
  kid: { type: 'string' },
  iss: { type: 'string' },
  aud: { type: 'string', multiple: true },
} as const

/** What the bridge requires of JWT_HS256_SECRET (unless JWT_ALLOW_WEAK_SECRET=true). */
const MIN_SECRET_BYTES = 32

/**
 * Runs `gen-jwt`. The secret and defaults come from `env` (JWT_HS256_SECRET, JWT_ISSUER,
 * JWT_AUDIENCE, OAUTH_RESOURCE, JWT_SUBJECT_CLAIM); only the token is printed, never the secret.
 *
 * @returns the exit code: 0 with the token on stdout, 2 for bad usage (message on stderr).
 */
export async function runGenJwtCommand(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
  io: CliIo = processIo,
): Promise<number> {
  const fail = (message: string) => usageError('gen-jwt', GEN_JWT_USAGE, message, io)
  const parsed = parseCommandArgs('gen-jwt', GEN_JWT_USAGE, argv, GEN_JWT_OPTIONS, io)
  if (typeof parsed === 'number') return parsed
  const values = parsed
  if (!values.sub || !isValidAgentId(values.sub)) {
    return fail('--sub must be an agent id (1-64 letters, digits, "_", "." or "-")')
  }
  let scopes: Scope[] | undefined
  if (values.scopes !== undefined) {
    const items = values.scopes.split(/[\s,]+/).filter(Boolean)
    const unknown = items.filter((s) => !(SCOPES as readonly string[]).includes(s))
    if (unknown.length > 0) return fail(`--scopes takes ${SCOPES.join(', ')}`)
    scopes = items as Scope[]
  }
  const ttl = parseDuration(values.ttl)
  if (ttl === undefined || ttl <= 0) return fail('--ttl must be a duration such as 10m or 1h')
  const alg = ALGORITHMS.find((a) => a === values.alg)
  if (!alg) return fail(`--alg must be one of ${ALGORITHMS.join(', ')}`)

  let key
  if (alg === 'HS256') {
    const secret = env.JWT_HS256_SECRET
    if (!secret) return fail('HS256 needs JWT_HS256_SECRET in the environment')
    // The bridge refuses a shorter secret at start, so a token signed with one is of no use.
    if (Buffer.byteLength(secret) < MIN_SECRET_BYTES && !isTrue(env.JWT_ALLOW_WEAK_SECRET)) {
      return fail(
        `JWT_HS256_SECRET must be at least ${MIN_SECRET_BYTES} bytes, as the bridge requires (for example $(openssl rand -hex 32)); JWT_ALLOW_WEAK_SECRET=true allows a shorter one for development`,
      )
    }
    key = new TextEncoder().encode(secret)
  } else {
    if (!values.key) return fail(`${alg} needs --key <private-key.pem>`)
    try {
      key = createPrivateKey(readFileSync(values.key))
    } catch {
      return fail(`--key: cannot read a PEM private key from ${values.key}`)
    }
  }

  const now = Math.floor(Date.now() / 1000)
  const claims: Record<string, unknown> = { [env.JWT_SUBJECT_CLAIM || 'sub']: values.sub }
  if (scopes) claims.scopes = scopes
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg, typ: 'JWT', ...(values.kid ? { kid: values.kid } : {}) })
    .setIssuedAt(now)
    .setExpirationTime(now + Math.round(ttl))
  if (!claims.sub) jwt.setSubject(values.sub)
  const issuer = values.iss ?? env.JWT_ISSUER
  if (issuer) jwt.setIssuer(issuer)
  const audience = values.aud ?? [env.JWT_AUDIENCE, env.OAUTH_RESOURCE].filter((a) => !!a)
  const unique = [...new Set(audience as string[])]
  if (unique.length === 1) jwt.setAudience(unique[0] as string)
  else if (unique.length > 1) jwt.setAudience(unique)
  try {
    io.stdout(`${await jwt.sign(key)}\n`)
  } catch {
    return fail(
      `the key does not fit ${alg} (an RSA key for RS256/PS256, P-256 for ES256, Ed25519 for EdDSA)`,
    )
  }
  return 0
}

const isTrue = (v: string | undefined) => v?.toLowerCase() === 'true' || v === '1'
