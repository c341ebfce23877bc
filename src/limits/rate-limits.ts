/** @module limits/rate-limits: per-agent budgets and per-address auth-failure limits (rate-limiter-flexible, memory or Redis). */
import { isIPv6 } from 'node:net'
import type { Redis } from 'ioredis'
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible'
import type { Config } from '../config/schema.js'
import { serializeError, type Logger } from '../observability/logger.js'
import { createKnownCredentials } from './known-credentials.js'
import { createRedisClient } from './redis-client.js'

/** The outcome of taking one request from a budget. Times are whole seconds, rounded up. */
export interface LimitResult {
  allowed: boolean
  /** Requests per window for this key. */
  limit: number
  remaining: number
  /** Seconds until the window resets. */
  resetSeconds: number
  /** Seconds to wait before retrying; set when `allowed` is false. */
  retryAfterSeconds?: number
}

export interface AddressStatus {
  blocked: boolean
  /** Seconds until the address may try again; 0 when not blocked. */
  retryAfterSeconds: number
}

export interface RateLimits {
  /** False when RATE_LIMIT_ENABLED=false: `consumeAgent` always allows and sends no headers. */
  readonly agentLimitsEnabled: boolean
  /** Takes one request from the agent's budget. Never throws: a store failure falls back to memory. */
  consumeAgent(agent: string): Promise<LimitResult>
  /** Whether this client address has failed authentication too often in the current window. */
  isAddressBlocked(ip: string): Promise<AddressStatus>
  /** Counts one failed authentication against the client address. */
  recordAuthFailure(ip: string): Promise<void>
  /**
   * Whether a request whose `credential` verified may pass: yes when the address is within its
   * failure limit (the credential is then remembered for this address), or when this credential
   * had verified from this address before; otherwise blocked, exactly as a failure would be.
   * @param credential everything the request authenticated with; kept only as an HMAC.
   */
  admitVerified(ip: string, credential: string): Promise<AddressStatus>
  /** Disconnects from Redis, if any. */
  close(): Promise<void>
}

export type RateLimitConfig = Config['rateLimit']

/**
 * Most keys (agents, or client addresses) one in-memory counter table holds; past it the least
 * recently seen key is dropped. At about 450 bytes a key (measured) that is some 50 MB a table.
 */
export const DEFAULT_MAX_KEYS = 100_000

const KEY_PREFIX = 'vault-mcp-bridge'

/**
 * The key a client address is counted under. Security: one IPv6 host usually controls a whole
 * /64, so counting each address separately would let it try 2^64 times; IPv6 addresses are
 * counted per /64, and IPv4-mapped IPv6 addresses as the IPv4 address they are.
 */
export function addressKey(ip: string): string {
  const bare = ip.replace(/%.*$/, '')
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare)
  if (mapped) return mapped[1] as string
  if (!isIPv6(bare)) return bare
  // A trailing dotted quad is the last two groups.
  const hex = bare.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a, b, c, d) => {
    const n = [a, b, c, d].map(Number) as [number, number, number, number]
    return `${((n[0] << 8) | n[1]).toString(16)}:${((n[2] << 8) | n[3]).toString(16)}`
  })
  const [head = '', tail] = hex.split('::') as [string, string | undefined]
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0')
  const groups = [...left, ...fill, ...right].slice(0, 4)
  return `${groups.map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`
}

const toResult = (res: RateLimiterRes, limit: number, allowed: boolean): LimitResult => {
  const resetSeconds = Math.max(Math.ceil(res.msBeforeNext / 1000), 0)
  return {
    allowed,
    limit,
    remaining: allowed ? res.remainingPoints : 0,
    resetSeconds,
    ...(allowed ? {} : { retryAfterSeconds: Math.max(resetSeconds, 1) }),
  }
}

/**
 * Creates the rate limits. With `redisUrl`, counters live in Redis so that replicas share one
 * budget per agent; while Redis is unreachable each replica falls back to an in-memory
 * insurance limiter of the same size (so N replicas allow at most N budgets), logs that once,
 * and goes back to Redis by itself when it answers again.
 *
 * Memory: the in-memory stores drop each key when its window ends, and hold at most `maxKeys`
 * (default {@link DEFAULT_MAX_KEYS}) keys each, dropping the least recently seen beyond that.
 * The credentials known per address are bounded as `createKnownCredentials` says.
 *
 * Auth-failure limits apply even when `enabled` is false: `enabled` is the per-agent budget.
 */
export function createRateLimits(
  cfg: RateLimitConfig,
  logger: Logger,
  options: { maxKeys?: number } = {},
): RateLimits {
  const log = logger.child({ component: 'rate-limits' })
  const redis = cfg.redisUrl ? connectRedis(cfg.redisUrl, log) : undefined
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS
  const stops: (() => void)[] = []
  let warnedFull = false
  const onFull = () => {
    if (warnedFull) return
    warnedFull = true
    log.warn(
      { event: 'rate_limit_table_full', maxKeys },
      'rate-limit table full: the least recently seen agents or addresses are being dropped',
    )
  }

  const make = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract => {
    const bounded = boundKeys(
      new RateLimiterMemory({ keyPrefix, points, duration }),
      maxKeys,
      duration * 1000,
      onFull,
    )
    stops.push(bounded.stop)
    const memory = bounded.limiter
    if (!redis) return memory
    return new RateLimiterRedis({
      storeClient: redis.client,
      keyPrefix,
      points,
      duration,
      // Security: fail over to memory at once rather than queue behind a dead connection.
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory,
    })
  }

  const base = { points: cfg.requests, duration: cfg.windowSeconds }
  const agentLimiter = make(`${KEY_PREFIX}:agent`, base.points, base.duration)
  const overrideLimiters = new Map(
    Object.entries(cfg.overrides).map(([agent, o]) => [
      agent,
      {
        points: o.requests,
        limiter: make(`${KEY_PREFIX}:agent-override`, o.requests, o.window_seconds),
      },
    ]),
  )
  const failures = cfg.authFailures
  const failureLimiter = make(`${KEY_PREFIX}:auth-fail`, failures.requests, failures.windowSeconds)
  // Per process even with Redis: a replica that has not seen a credential treats it as new, which
  // only ever refuses more (docs/security.md).
  const known = createKnownCredentials()
  const open: AddressStatus = { blocked: false, retryAfterSeconds: 0 }

  const isAddressBlocked = async (ip: string): Promise<AddressStatus> => {
    try {
      const res = await failureLimiter.get(addressKey(ip))
      if (!res || res.consumedPoints < failures.requests) return open
      return { blocked: true, retryAfterSeconds: Math.max(Math.ceil(res.msBeforeNext / 1000), 1) }
    } catch (err) {
      log.error({ err: serializeError(err) }, 'auth-failure limiter failed; not blocking')
      return open
    }
  }

  return {
    agentLimitsEnabled: cfg.enabled,

    async consumeAgent(agent) {
      const override = overrideLimiters.get(agent)
      const limiter = override?.limiter ?? agentLimiter
      const limit = override?.points ?? base.points
      if (!cfg.enabled) return { allowed: true, limit, remaining: limit, resetSeconds: 0 }
      try {
        return toResult(await limiter.consume(agent), limit, true)
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return toResult(rejection, limit, false)
        // Both Redis and the insurance limiter failed: there is nothing left to count with.
        // Security: refuse rather than serve unlimited.
        log.error({ err: serializeError(rejection) }, 'rate limiter failed; refusing the request')
        return { allowed: false, limit, remaining: 0, resetSeconds: 1, retryAfterSeconds: 1 }
      }
    },

    isAddressBlocked,

    async recordAuthFailure(ip) {
      try {
        await failureLimiter.penalty(addressKey(ip))
      } catch (err) {
        log.error({ err: serializeError(err) }, 'auth-failure limiter failed to count a failure')
      }
    },

    // Security: a credential that verified from this address before it went over the limit keeps
    // working (the agents behind a shared proxy or host are not locked out by a guesser among
    // them); any other credential, valid or not, is refused until the window ends, so a guess that
    // turns out right after the limit learns nothing. A known credential needs no store call.
    async admitVerified(ip, credential) {
      const address = addressKey(ip)
      if (known.touch(address, credential)) return open
      const status = await isAddressBlocked(ip)
      if (!status.blocked) known.remember(address, credential)
      return status
    },

    async close() {
      for (const stop of stops) stop()
      await redis?.close()
    },
  }
}

/**
 * Caps the keys an in-memory limiter holds. Expiry alone bounds memory by what one window sees;
 * this bounds it outright: a million distinct agents or addresses within one window cost at most
 * `maxKeys` entries. The least recently seen key is dropped first, which only gives that key a
 * fresh budget. Security: to reset the failure count of one address this way an attacker must
 * fail from `maxKeys` other addresses within the window, each of which has its own full
 * allowance anyway, so the cap gives a brute force nothing it did not have.
 *
 * The wrapped methods are the ones RateLimiterRedis calls on its insurance limiter too.
 */
function boundKeys(
  limiter: RateLimiterMemory,
  maxKeys: number,
  windowMs: number,
  onFull: () => void,
): { limiter: RateLimiterMemory; stop(): void } {
  // Keys in the order they were last seen. A key unseen for a whole window has expired in the
  // limiter too (its window began at or before that moment), so it is forgotten here as well.
  const lastSeen = new Map<string, number>()
  const forgetExpired = () => {
    const cutoff = Date.now() - windowMs
    for (const [key, at] of lastSeen) {
      if (at > cutoff) break
      lastSeen.delete(key)
    }
  }
  const touch = (key: string | number) => {
    const k = String(key)
    lastSeen.delete(k)
    lastSeen.set(k, Date.now())
    forgetExpired()
    while (lastSeen.size > maxKeys) {
      const oldest = lastSeen.keys().next().value as string
      lastSeen.delete(oldest)
      void limiter.delete(oldest)
      onFull()
    }
  }
  const consume = limiter.consume.bind(limiter)
  const penalty = limiter.penalty.bind(limiter)
  limiter.consume = (key, points, opts) => {
    touch(key)
    return consume(key, points, opts)
  }
  limiter.penalty = (key, points, opts) => {
    touch(key)
    return penalty(key, points, opts)
  }
  // Idle processes forget too; unref'd, so it never keeps one alive.
  const sweep = setInterval(forgetExpired, Math.min(windowMs, 60_000))
  sweep.unref()
  return { limiter, stop: () => clearInterval(sweep) }
}

/**
 * One ioredis connection for every limiter. Commands fail fast (no offline queue, short command
 * timeout) so that the insurance limiter answers while Redis is away; ioredis keeps reconnecting
 * in the background, which is how the limits go back to Redis without a restart.
 */
function connectRedis(url: string, log: Logger): { client: Redis; close(): Promise<void> } {
  const client = createRedisClient(url)
  let degraded = false
  const goDown = (err?: unknown) => {
    if (degraded) return
    degraded = true
    // Security: the URL may hold a password; the error serializer keeps only message and code.
    log.warn(
      { event: 'redis_unreachable', err: serializeError(err) },
      'Redis unreachable: rate limits now count per replica in memory until it is back',
    )
  }
  client.on('error', goDown)
  client.on('close', () => goDown())
  let connected = false
  client.on('ready', () => {
    if (!connected) {
      connected = true
      degraded = false
      log.info(
        { event: 'redis_connected' },
        'Redis connected: rate limits are shared across replicas',
      )
      return
    }
    if (!degraded) return
    degraded = false
    log.info(
      { event: 'redis_recovered' },
      'Redis reachable again: rate limits are shared across replicas',
    )
  })
  let closing = false
  return {
    client,
    async close() {
      if (closing) return
      closing = true
      client.removeAllListeners('close')
      client.removeAllListeners('ready')
      client.on('error', () => {})
      // quit() waits for Redis; while it is away there is nothing to wait for.
      if (client.status !== 'ready') return client.disconnect()
      await client.quit().catch(() => client.disconnect())
    },
  }
}
