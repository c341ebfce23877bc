/** @module limits/rate-limits tests: budgets, overrides, auth-failure blocking, address keys, expiry and the key cap. */
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

describe('admitVerified', () => {
  it('admits every verified credential within the limit, and only those it knew once over it', async () => {
    const limits = createRateLimits(config(), logger)
    expect(await limits.admitVerified('10.0.0.1', 'early')).toEqual({
      blocked: false,
      retryAfterSeconds: 0,
    })
    await limits.recordAuthFailure('10.0.0.1')
    await limits.recordAuthFailure('10.0.0.1')
    expect((await limits.admitVerified('10.0.0.1', 'early')).blocked).toBe(false)
    const late = await limits.admitVerified('10.0.0.1', 'late')
    expect(late.blocked).toBe(true)
    expect(late).toEqual(await limits.isAddressBlocked('10.0.0.1'))
    // Known per address: the same credential is new at another one, which is not blocked.
    expect((await limits.admitVerified('10.0.0.2', 'late')).blocked).toBe(false)
    await limits.close()
  })

  it('counts an IPv6 /64 as one address for known credentials too', async () => {
    const limits = createRateLimits(config(), logger)
    expect((await limits.admitVerified('2001:db8:1:2::1', 'k')).blocked).toBe(false)
    await limits.recordAuthFailure('2001:db8:1:2::7')
    await limits.recordAuthFailure('2001:db8:1:2::8')
    expect((await limits.admitVerified('2001:db8:1:2::ffff', 'k')).blocked).toBe(false)
    expect((await limits.admitVerified('2001:db8:1:2::ffff', 'other')).blocked).toBe(true)
    await limits.close()
  })

  it('admits new credentials again once the window has ended', async () => {
    vi.useFakeTimers()
    const limits = createRateLimits(
      config({ authFailures: { requests: 1, windowSeconds: 10 } }),
      logger,
    )
    await limits.recordAuthFailure('10.0.0.9')
    expect((await limits.admitVerified('10.0.0.9', 'new')).blocked).toBe(true)
    vi.advanceTimersByTime(10_001)
    expect((await limits.admitVerified('10.0.0.9', 'new')).blocked).toBe(false)
    await limits.close()
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

// Memory: every key is dropped when its window ends, and a table holds at most `maxKeys` keys,
// dropping the least recently seen. These are the functional checks (fake clock); what a table
// costs at its cap is measured by `npm run bench` (scripts/bench/limits-memory.ts).
describe('expiry', () => {
  it('gives every agent and address a fresh count once its window has ended', async () => {
    vi.useFakeTimers()
    const limits = createRateLimits(
      config({ requests: 2, windowSeconds: 10, authFailures: { requests: 2, windowSeconds: 10 } }),
      logger,
    )
    for (let i = 0; i < 200; i++) {
      await limits.consumeAgent(`agent-${i}`)
      await limits.consumeAgent(`agent-${i}`)
      await limits.recordAuthFailure(`10.0.${i >> 8}.${i & 255}`)
      await limits.recordAuthFailure(`10.0.${i >> 8}.${i & 255}`)
    }
    expect((await limits.consumeAgent('agent-7')).allowed).toBe(false)
    expect((await limits.isAddressBlocked('10.0.0.7')).blocked).toBe(true)
    vi.advanceTimersByTime(10_001)
    expect((await limits.consumeAgent('agent-7')).remaining).toBe(1)
    expect((await limits.isAddressBlocked('10.0.0.7')).blocked).toBe(false)
    await limits.close()
  })

  it('forgets expired keys in the cap as well, so they never fill the table', async () => {
    vi.useFakeTimers()
    const lines: string[] = []
    const log = createLogger({
      level: 'warn',
      destination: { write: (l: string) => lines.push(l) },
    })
    const limits = createRateLimits(config({ requests: 5, windowSeconds: 10 }), log, { maxKeys: 3 })
    for (const agent of ['a', 'b', 'c']) await limits.consumeAgent(agent)
    vi.advanceTimersByTime(10_001)
    // Three new keys after the old three expired: the table holds three, none is dropped.
    for (const agent of ['d', 'e', 'f']) await limits.consumeAgent(agent)
    expect(lines.filter((l) => l.includes('"event":"rate_limit_table_full"'))).toHaveLength(0)
    await limits.close()
  })
})

describe('key cap', () => {
  it('holds at most maxKeys keys: the least recently seen is dropped, the recent ones kept', async () => {
    vi.useFakeTimers()
    const lines: string[] = []
    const log = createLogger({
      level: 'warn',
      destination: { write: (l: string) => lines.push(l) },
    })
    const limits = createRateLimits(config({ requests: 2, windowSeconds: 3600 }), log, {
      maxKeys: 5,
    })
    await limits.consumeAgent('first')
    await limits.consumeAgent('first')
    expect((await limits.consumeAgent('first')).allowed).toBe(false)
    vi.advanceTimersByTime(1000)
    for (let i = 0; i < 5; i++) {
      await limits.consumeAgent(`more-${i}`)
      await limits.consumeAgent(`more-${i}`)
    }
    // 'first' was the least recently seen of six: dropped, so it starts over.
    expect((await limits.consumeAgent('first')).allowed).toBe(true)
    // The most recent keys were kept: their budgets are spent.
    expect((await limits.consumeAgent('more-4')).allowed).toBe(false)
    expect((await limits.consumeAgent('more-3')).allowed).toBe(false)
    expect(lines.filter((l) => l.includes('"event":"rate_limit_table_full"'))).toHaveLength(1)
    await limits.close()
  })

  it('caps the address table too', async () => {
    vi.useFakeTimers()
    const limits = createRateLimits(config(), logger, { maxKeys: 3 })
    await limits.recordAuthFailure('192.0.2.1')
    await limits.recordAuthFailure('192.0.2.1')
    expect((await limits.isAddressBlocked('192.0.2.1')).blocked).toBe(true)
    for (const ip of ['192.0.2.2', '192.0.2.3', '192.0.2.4']) await limits.recordAuthFailure(ip)
    expect((await limits.isAddressBlocked('192.0.2.1')).blocked).toBe(false)
    expect((await limits.isAddressBlocked('192.0.2.4')).blocked).toBe(false)
    await limits.recordAuthFailure('192.0.2.4')
    expect((await limits.isAddressBlocked('192.0.2.4')).blocked).toBe(true)
    await limits.close()
  })
})
