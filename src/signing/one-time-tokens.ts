/**
 * @module signing/one-time-tokens: tokens the bridge hands out and accepts back once: signed
 * (HMAC-SHA256), issued to one principal, expiring, and single-use through a nonce store. The MCP
 * requestState of the consent flow is one; request_secret's one-time links are another.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { NonceStore } from '../core/ports.js'

/** Why a token was refused: a stable code for the audit trail, never the token itself. */
export type TokenRefusal =
  'malformed' | 'signature' | 'expired' | 'principal' | 'replayed' | 'unavailable'

/**
 * A refused token. The reason is safe to log; nothing of the token is kept but, for an expired
 * one, its verified claims (whom it was issued to, for the audit trail).
 */
export class TokenRefusedError extends Error {
  override name = 'TokenRefusedError'
  constructor(
    readonly reason: TokenRefusal,
    /** Only with `expired`: the claims of a token whose signature was good. */
    readonly expired?: TokenClaims<unknown>,
  ) {
    super(`token refused: ${reason}`)
  }
}

export interface OneTimeTokens<T> {
  /** A token carrying `payload` for `subject` (an agent id), valid once until it expires. */
  issue(subject: string, payload: T): string
  /**
   * The payload of a token issued to `subject`, which is used up by this call.
   * @throws TokenRefusedError: `malformed`, `signature` (tampered, or signed with another key or
   *   for another purpose), `expired`, `principal` (issued to someone else), `replayed` (used
   *   before), `unavailable` (the nonce store cannot tell: refused, fail closed).
   */
  redeem(token: string, subject: string): Promise<T>
  /**
   * What a token says, without using it up: for a page that shows what a link is for before
   * the person submits (which then redeems it).
   * @throws TokenRefusedError: `malformed`, `signature`, `expired` (carrying the verified
   *   claims, so that a refusal can name whom the token was issued to).
   */
  inspect(token: string): TokenClaims<T>
}

/** What a good token says. */
export interface TokenClaims<T> {
  subject: string
  payload: T
  /** The nonce: unique per token, the key of its single use. */
  nonce: string
  expiresAt: number
}

export interface OneTimeTokenOptions {
  /** The purpose's subkey (signing-keys.ts); the same on every replica that redeems. */
  key: Buffer
  ttlMs: number
  nonces: NonceStore
  now?: () => number
}

const VERSION = 'v1'
/** Longer than any token this bridge issues; anything longer is not parsed at all. */
const MAX_TOKEN_LENGTH = 8192

interface Claims<T> {
  /** Subject: the agent the token was issued to. */
  s: string
  /** Expiry, epoch milliseconds. */
  e: number
  /** Nonce: what makes the token single-use. */
  n: string
  p: T
}

/**
 * Creates the issuer and redeemer. Wire form: `v1.<base64url(JSON claims)>.<base64url(HMAC)>`,
 * the MAC over `v1.<body>`. Security: signed, not encrypted: the holder can read the payload, so
 * it never carries a secret. The MAC is checked first and in constant time, so nothing else of a
 * forged token is looked at.
 */
export function createOneTimeTokens<T>(options: OneTimeTokenOptions): OneTimeTokens<T> {
  const { key, ttlMs, nonces } = options
  const now = options.now ?? Date.now
  const mac = (signed: string) => createHmac('sha256', key).update(signed).digest()
  /** The claims of a token signed with `key` that has not expired. */
  const verified = (token: string): Claims<T> => {
    const parts = token.length <= MAX_TOKEN_LENGTH ? token.split('.') : []
    if (parts.length !== 3 || parts[0] !== VERSION) throw new TokenRefusedError('malformed')
    const [, body = '', given = ''] = parts
    const expected = mac(`${VERSION}.${body}`)
    const presented = Buffer.from(given, 'base64url')
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw new TokenRefusedError('signature')
    }
    const claims = parseClaims<T>(body)
    // Security: only claims under a good MAC are ever handed out, expired or not.
    if (claims.e <= now()) throw new TokenRefusedError('expired', claimsOf(claims))
    return claims
  }

  return {
    issue(subject, payload) {
      const claims: Claims<T> = {
        s: subject,
        e: now() + ttlMs,
        n: randomBytes(16).toString('base64url'),
        p: payload,
      }
      const body = Buffer.from(JSON.stringify(claims)).toString('base64url')
      const signed = `${VERSION}.${body}`
      return `${signed}.${mac(signed).toString('base64url')}`
    },

    inspect: (token) => claimsOf(verified(token)),

    async redeem(token, subject) {
      const claims = verified(token)
      if (claims.s !== subject) throw new TokenRefusedError('principal')
      let fresh: boolean
      try {
        fresh = await nonces.consume(claims.n, claims.e)
      } catch {
        throw new TokenRefusedError('unavailable')
      }
      if (!fresh) throw new TokenRefusedError('replayed')
      return claims.p
    },
  }
}

const claimsOf = <T>(c: Claims<T>): TokenClaims<T> => ({
  subject: c.s,
  payload: c.p,
  nonce: c.n,
  expiresAt: c.e,
})

/** The claims of a body whose MAC is good; a bad shape there still refuses (fail closed). */
function parseClaims<T>(body: string): Claims<T> {
  let claims: Partial<Claims<T>>
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Claims<T>>
  } catch {
    throw new TokenRefusedError('malformed')
  }
  if (
    typeof claims?.s !== 'string' ||
    typeof claims.e !== 'number' ||
    typeof claims.n !== 'string' ||
    claims.n.length < 16
  ) {
    throw new TokenRefusedError('malformed')
  }
  return claims as Claims<T>
}
