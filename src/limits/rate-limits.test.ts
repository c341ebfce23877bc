/** @module limits/rate-limits tests: budgets, overrides, auth-failure blocking, address keys, bounded memory. */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLogger } from '../observability/logger.js'
import { addressKey, createRateLimits, type RateLimitConfig } from './rate-limits.js'

const logger = createLogger({ level: 'silent' })

const config = (over: Partial<RateLimitConfig> = {}): RateLimitConfig => ({
  enabled: true,
  requests: 3,
  windowSeconds: 60,
  overrides: {},
  redisUrl: undefined,
  authFailures: { requests: 2, windowSeconds: 300 },
  ...over,
})

afterEach(() => {
  vi.useRealTimers()
})

describe('consumeAgent (memory)', () => {
  it('allows the budget, then refuses with a retry time, per agent', async () => {
    const limits = createRateLimits(config(), logger)
    const seen = []
    for (let i = 0; i < 4; i++) seen.push(await limits.consumeAgent('alice'))
    expect(seen.map((r) => r.allowed)).toEqual([true, true, true, false])
    expect(seen.map((r) => r.remaining)).toEqual([2, 1, 0, 0])
    expect(seen[0]?.limit).toBe(3)
    expect(seen[3]?.retryAfterSeconds).toBeGreaterThanOrEqual(1)
    expect(seen[3]?.retryAfterSeconds).toBeLessThanOrEqual(60)
    expect((await limits.consumeAgent('bob')).allowed).toBe(true)
    await limits.close()
  })

  it('resets when the window ends', async () => {
    vi.useFakeTimers()
    const limits = createRateLimits(config({ requests: 1, windowSeconds: 10 }), logger)
    expect((await limits.consumeAgent('a')).allowed).toBe(true)
    expect((await limits.consumeAgent('a')).allowed).toBe(false)
    vi.advanceTimersByTime(10_001)
    expect((await limits.consumeAgent('a')).allowed).toBe(true)
  })

  it('applies per-agent overrides and leaves others on the default', async () => {
    const limits = createRateLimits(
      config({ overrides: { big: { requests: 5, window_seconds: 30 } } }),
      logger,
    )
    const big = []
    for (let i = 0; i < 6; i++) big.push((await limits.consumeAgent('big')).allowed)
    expect(big).toEqual([true, true, true, true, true, false])
    expect((await limits.consumeAgent('small')).limit).toBe(3)
  })

  it('allows everything when disabled', async () => {
    const limits = createRateLimits(config({ enabled: false, requests: 1 }), logger)
    expect(limits.agentLimitsEnabled).toBe(false)
    for (let i = 0; i < 5; i++) expect((await limits.consumeAgent('a')).allowed).toBe(true)
  })
})

describe('auth failures (memory)', () => {
  it('blocks an address after the limit, independently of agent budgets', async () => {
    const limits = createRateLimits(config({ enabled: false }), logger)
    expect(await limits.isAddressBlocked('10.0.0.1')).toEqual({
      blocked: false,
      retryAfterSeconds: 0,
    })
    await limits.recordAuthFailure('10.0.0.1')
    expect((await limits.isAddressBlocked('10.0.0.1')).blocked).toBe(false)
    await limits.recordAuthFailure('10.0.0.1')
    const blocked = await limits.isAddressBlocked('10.0.0.1')
    expect(blocked.blocked).toBe(true)
    expect(blocked.retryAfterSeconds).toBeGreaterThan(0)
    expect((await limits.isAddressBlocked('10.0.0.2')).blocked).toBe(false)
  })

  it('counts an IPv6 /64 as one address', async () => {
    const limits = createRateLimits(config(), logger)
    await limits.recordAuthFailure('2001:db8:1:2::1')
    await limits.recordAuthFailure('2001:db8:1:2:ffff::9')
    expect((await limits.isAddressBlocked('2001:db8:1:2:abcd::1')).blocked).toBe(true)
    expect((await limits.isAddressBlocked('2001:db8:1:3::1')).blocked).toBe(false)
  })
})

describe('addressKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:0db8:0001:0002:0003:0004:0005:0006', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0::/64'],
    ['unknown', 'unknown'],
  ])('%s -> %s', (ip, key) => {
    expect(addressKey(ip)).toBe(key)
  })
})

/** Measures the heap in use after two full collections (gc exposed at run time). */
function heapMeter(): () => number {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  return () => {
    gc()
    gc()
    return process.memoryUsage().heapUsed
  }
}

// Memory is bounded by expiry: every key is dropped when its window ends. Measured on the real
// heap (gc exposed) for 50k distinct agents and 50k distinct addresses, a tenth of the million
// the issue names; the per-key cost is printed so it can be extrapolated. Real timers: the fake
// clock walks every pending timer on each tick, which is quadratic for this many keys.
describe('bounded memory', () => {
  it('drops every key of 100k distinct agents and addresses when their window ends', async () => {
    const heap = heapMeter()
    const windowSeconds = 6
    const limits = createRateLimits(
      config({ requests: 5, windowSeconds, authFailures: { requests: 5, windowSeconds } }),
      logger,
    )
    await limits.consumeAgent('warm-up')
    await limits.recordAuthFailure('192.0.2.1')
    const before = heap()
    const started = Date.now()
    const n = 50_000
    for (let i = 0; i < n; i++) {
      await limits.consumeAgent(`agent-${i}`)
      await limits.recordAuthFailure(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)
    }
    const full = heap()
    const filledInWindow = Date.now() - started < windowSeconds * 1000
    // Wait for the windows to end (bounded), then measure again.
    await new Promise((resolve) => setTimeout(resolve, windowSeconds * 1000 + 500))
    // The limiter dropped its entries by their own timers; the key cap's recency list forgets
    // them on the next request (or its periodic sweep, when idle).
    await limits.consumeAgent('later')
    await limits.recordAuthFailure('192.0.2.2')
    const after = heap()
    const grown = full - before
    const left = after - before
    console.info(
      `rate-limit memory: ${2 * n} keys +${(grown / 1e6).toFixed(1)} MB ` +
        `(${Math.round(grown / (2 * n))} B/key); after the window +${(left / 1e6).toFixed(2)} MB`,
    )
    // The keys really took memory (when the machine filled them within one window), and it is
    // given back once their window ended.
    if (filledInWindow) expect(grown).toBeGreaterThan(5e6)
    expect(left).toBeLessThan(Math.max(grown * 0.1, 2e6))
    // And the counters restarted: a fresh budget for an agent seen before.
    expect((await limits.consumeAgent('agent-1')).remaining).toBe(4)
  }, 60_000)
})

// The hard cap: a smaller bound (5k keys) and 60k distinct agents within one long window.
describe('key cap', () => {
  it('holds at most maxKeys keys: memory stays flat past the cap, the oldest key is dropped', async () => {
    const heap = heapMeter()
    const lines: string[] = []
    const log = createLogger({
      level: 'warn',
      destination: { write: (l: string) => lines.push(l) },
    })
    const maxKeys = 5_000
    const limits = createRateLimits(config({ requests: 2, windowSeconds: 3600 }), log, { maxKeys })
    await limits.consumeAgent('first')
    await limits.consumeAgent('first')
    expect((await limits.consumeAgent('first')).allowed).toBe(false)
    const before = heap()
    for (let i = 0; i < maxKeys; i++) await limits.consumeAgent(`fill-${i}`)
    const atCap = heap()
    for (let i = 0; i < 55_000; i++) await limits.consumeAgent(`more-${i}`)
    const past = heap()
    const toCap = atCap - before
    const beyond = past - atCap
    console.info(
      `rate-limit cap ${maxKeys}: +${(toCap / 1e6).toFixed(2)} MB to the cap, ` +
        `+${(beyond / 1e6).toFixed(2)} MB for 55k more keys`,
    )
    expect(toCap).toBeGreaterThan(maxKeys * 100)
    // Eleven times the keys, yet the table did not grow past the cap's size.
    expect(beyond).toBeLessThan(toCap * 0.5)
    // The least recently seen agent was dropped (fresh budget); the most recent one was not.
    expect((await limits.consumeAgent('first')).allowed).toBe(true)
    expect((await limits.consumeAgent('more-54999')).remaining).toBe(0)
    expect(lines.filter((l) => l.includes('"event":"rate_limit_table_full"')).length).toBe(1)
  }, 60_000)
})
