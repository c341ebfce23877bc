/**
 * @module limits/redis-client: how the bridge connects to the Redis of RATE_LIMIT_REDIS_URL
 * (shared rate limits, and the nonces of one-time tokens): one set of settings for both.
 */
import { Redis } from 'ioredis'

/**
 * A client whose commands fail fast while Redis is away (no offline queue, 1 s command timeout),
 * so that callers answer at once (the rate limits from memory, one-time tokens by refusing);
 * ioredis keeps reconnecting in the background.
 */
export function createRedisClient(url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 1000,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(100 * times, 2000),
  })
}
