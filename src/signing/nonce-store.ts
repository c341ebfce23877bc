/**
 * @module signing/nonce-store: the single-use memory of one-time tokens (the NonceStore port),
 * in this process or in Redis (RATE_LIMIT_REDIS_URL) so that every replica refuses a second use.
 */
import type { NonceStore } from '../core/ports.js'
import { createWatchedRedisClient } from '../limits/redis-client.js'
import type { Logger } from '../observability/logger.js'

/** Most nonces one process remembers; about 100 bytes each. */
export const DEFAULT_MAX_NONCES = 100_000

/**
 * Nonces in this process: right for one instance (and for stdio). Expired nonces are forgotten
 * when the table fills up; a table still full of live nonces refuses (fail closed) rather than
 * forget one that could then be replayed.
 */
export function createMemoryNonceStore(
  options: { now?: () => number; maxEntries?: number } = {},
): NonceStore {
  const now = options.now ?? Date.now
  const max = options.maxEntries ?? DEFAULT_MAX_NONCES
  const used = new Map<string, number>()
  const forgetExpired = (at: number) => {
    for (const [nonce, expiresAt] of used) if (expiresAt <= at) used.delete(nonce)
  }
  return {
    async consume(nonce, expiresAt) {
      const at = now()
      const seen = used.get(nonce)
      if (seen !== undefined && seen > at) return false
      if (used.size >= max) forgetExpired(at)
      if (used.size >= max) throw new Error('nonce store full')
      used.set(nonce, expiresAt)
      return true
    },
    async close() {
      used.clear()
    },
  }
}

const KEY_PREFIX = 'vault-mcp-bridge:nonce:'

/**
 * Nonces in Redis, shared by every replica: `SET key 1 NX PX <ttl>` marks a nonce used in one
 * atomic step. Commands fail fast while Redis is away, and the caller then refuses: a token whose
 * single use cannot be checked is not honoured.
 */
export function createRedisNonceStore(
  url: string,
  logger: Logger,
  options: { now?: () => number } = {},
): NonceStore {
  const now = options.now ?? Date.now
  const { client, close } = createWatchedRedisClient(
    url,
    logger.child({ component: 'nonce-store' }),
    {
      down: 'Redis unreachable: one-time tokens are refused',
      up: 'Redis reachable again: one-time tokens work',
    },
  )
  return {
    async consume(nonce, expiresAt) {
      const ttlMs = Math.max(1, Math.ceil(expiresAt - now()))
      return (await client.set(`${KEY_PREFIX}${nonce}`, '1', 'PX', ttlMs, 'NX')) === 'OK'
    },
    close,
  }
}
