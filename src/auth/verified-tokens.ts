/**
 * @module auth/verified-tokens: bearer tokens whose signature and claims were already checked,
 * so that an agent sending the same JWT on every request pays for one signature check, not one
 * per request (an RS256 check costs more than the rest of a request).
 */
import { createHmac, randomBytes } from 'node:crypto'
import type { Principal } from '../core/identity.js'

export interface VerifiedTokens {
  /** The principal of `token` if it was verified before and may still be used now. */
  get(token: string): Principal | undefined
  /** Remembers a token that passed every check, until `usableUntilMs` (at most `maxAgeMs`). */
  set(token: string, principal: Principal, usableUntilMs: number): void
}

/**
 * Creates the cache: at most `maxEntries` tokens (the least recently used is dropped), each for
 * at most `maxAgeMs` and never past the time its own `exp` allows.
 *
 * Security: entries are keyed by an HMAC-SHA-256 of the whole token, signature included, under a
 * random key of this process: only the exact bytes that were verified match (a changed claim or
 * signature is a miss and is verified in full), and the cache holds neither the token nor a
 * digest that could be checked against one elsewhere. The principals it holds carry the raw
 * token only when JWT exchange needs it (`keepCredential` in jwt.ts). A token is never used past its `exp` (plus the clock tolerance the check
 * allowed). `maxAgeMs` bounds how long a token verified with a key that has since left the JWKS
 * stays accepted; a fetched key set is already used for up to 10 minutes (`jwksMaxAgeSeconds`
 * in jwt.ts), so a 60 s bound adds nothing to that window.
 */
export function createVerifiedTokens(
  options: { maxEntries?: number; maxAgeMs?: number; now?: () => number } = {},
): VerifiedTokens {
  const maxEntries = options.maxEntries ?? 10_000
  const maxAgeMs = options.maxAgeMs ?? 60_000
  const now = options.now ?? Date.now
  const entries = new Map<string, { principal: Principal; until: number }>()
  const hmacKey = randomBytes(32)
  const keyOf = (token: string) => createHmac('sha256', hmacKey).update(token).digest('base64url')
  return {
    get(token) {
      const key = keyOf(token)
      const entry = entries.get(key)
      if (!entry) return undefined
      entries.delete(key)
      if (now() >= entry.until) return undefined
      entries.set(key, entry)
      return entry.principal
    },
    set(token, principal, usableUntilMs) {
      const until = Math.min(usableUntilMs, now() + maxAgeMs)
      if (until <= now()) return
      const key = keyOf(token)
      entries.delete(key)
      entries.set(key, { principal, until })
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string)
    },
  }
}
