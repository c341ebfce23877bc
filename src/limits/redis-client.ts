/**
 * @module limits/redis-client: how the bridge connects to the Redis of RATE_LIMIT_REDIS_URL
 * (shared rate limits, and the nonces of one-time tokens): one set of settings for both.
 */
import { createRequire } from 'node:module'
import type { Redis as RedisClient } from 'ioredis'
import { serializeError, type Logger } from '../observability/logger.js'

// ioredis is loaded on the first connection only: a bridge without Redis (one replica) does not
// pay its ~20 MB of resident memory.
const require = createRequire(import.meta.url)

/**
 * A client whose commands fail fast while Redis is away (no offline queue, 1 s command timeout),
 * so that callers answer at once (the rate limits from memory, one-time tokens by refusing);
 * ioredis keeps reconnecting in the background.
 */
export function createRedisClient(url: string): RedisClient {
  const { Redis } = require('ioredis') as typeof import('ioredis')
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 1000,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(100 * times, 2000),
  })
}

/**
 * A client of `url` for a store that refuses while Redis is away: it logs once when Redis
 * becomes unreachable (`down`) and once when it is back (`up`), and `close` quits it.
 */
export function createWatchedRedisClient(
  url: string,
  log: Logger,
  messages: { down: string; up: string },
): { client: RedisClient; close(): Promise<void> } {
  const client = createRedisClient(url)
  let down = false
  // Security: the URL may hold a password; the error serializer keeps only message and code.
  client.on('error', (err) => {
    if (down) return
    down = true
    log.warn({ event: 'redis_unreachable', err: serializeError(err) }, messages.down)
  })
  client.on('ready', () => {
    if (down) log.info({ event: 'redis_recovered' }, messages.up)
    down = false
  })
  return {
    client,
    async close() {
      client.removeAllListeners('ready')
      client.removeAllListeners('error')
      client.on('error', () => {})
      if (client.status !== 'ready') return client.disconnect()
      await client.quit().catch(() => client.disconnect())
    },
  }
}
