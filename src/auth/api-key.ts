/** @module auth/api-key: `X-API-Key` authentication against the keys of API_KEYS_JSON. */
import { hash, timingSafeEqual } from 'node:crypto'
import { AppError } from '../core/errors.js'
import type { Config } from '../config/schema.js'
import type { AuthStrategy } from './strategy.js'

type ApiKeyConfig = Config['auth']['apiKey']

/** Keys longer than this are refused without hashing: no real key is this long. */
const MAX_KEY_LENGTH = 4096

// Made only on a failure: an error's stack trace is not free, and most requests succeed.
const rejected = () =>
  new AppError(
    'UNAUTHENTICATED',
    'The API key is not valid. Check the X-API-Key header against the keys the operator issued.',
    { details: { tokenPresented: true } },
  )

/** SHA-256 of `text`, in hex: one call, no Hash object (this runs on every request). */
const digestHex = (text: string): string => hash('sha256', text, 'hex')
const digest = (text: string): Buffer => Buffer.from(digestHex(text), 'hex')

/**
 * Creates the API key strategy. The configured keys are kept only as SHA-256 digests.
 *
 * Security: the lookup is by the digest of the presented key, so a timing difference in the map
 * lookup reveals at most something about a hash of the attacker's own input, never a prefix of a
 * real key; the final check is `timingSafeEqual` on equal-length digests, done also on a miss so
 * that hits and misses cost the same. Neither the key nor its digest is ever logged or rendered.
 *
 * @throws UNAUTHENTICATED (from `authenticate`) when `X-API-Key` is present but unknown.
 */
export function createApiKeyStrategy(cfg: Pick<ApiKeyConfig, 'keys'>): AuthStrategy {
  const byDigest = new Map(cfg.keys.map((k) => [digestHex(k.key), { ...k, digest: digest(k.key) }]))
  const decoy = digest('decoy: never a valid key')
  return {
    method: 'api_key',
    async authenticate(req) {
      const presented = req.headers.get('x-api-key')
      // An empty header is no key (some proxies forward absent headers as empty ones).
      if (presented === null || presented === '') return null
      if (presented.length > MAX_KEY_LENGTH) throw rejected()
      const candidate = digestHex(presented)
      const entry = byDigest.get(candidate)
      const matches = timingSafeEqual(Buffer.from(candidate, 'hex'), entry?.digest ?? decoy)
      if (!entry || !matches) throw rejected()
      return { agent: entry.agent, scopes: [...entry.scopes], method: 'api_key' }
    },
  }
}
