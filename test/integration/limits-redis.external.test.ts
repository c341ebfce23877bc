/**
 * @module integration test: two bridge instances share one agent budget through a real
 * redis-server; with Redis gone they keep serving and limiting (insurance limiter), and they
 * share again once it is back.
 */
import type { ChildProcess } from 'node:child_process'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Principal } from '../../src/core/identity.js'
import { createErrorHandler } from '../../src/http/error-response.js'
import type { AppEnv } from '../../src/http/context.js'
import { agentRateLimit } from '../../src/http/limit-middleware.js'
import { createRateLimits, type RateLimits } from '../../src/limits/rate-limits.js'
import { createLogger } from '../../src/observability/logger.js'
import { freePort } from '../helpers/free-port.js'
import { redisSuitesRun, startRedis, stopRedis } from '../helpers/redis-server.js'

const runIt = redisSuitesRun
if (!runIt) {
  console.warn('SKIPPED limits-redis: redis-server is not installed (scripts/ci/install-redis.sh)')
}

/** One bridge instance: its own limiter and app, the real middleware, a fixed principal. */
function instance(limits: RateLimits) {
  const logger = createLogger({ level: 'silent' })
  const app = new Hono<AppEnv>()
  app.onError(createErrorHandler({ logger }))
  app.use('*', async (c, next) => {
    c.set('requestId', 'test')
    c.set('log', logger)
    const agent = c.req.header('x-test-agent')
    if (agent) c.set('principal', { agent, scopes: ['read'], method: 'api_key' } as Principal)
    await next()
  })
  app.use('*', agentRateLimit(limits))
  app.get('/v1/whoami', (c) => c.json({ ok: true }))
  return (agent: string) => app.request('/v1/whoami', { headers: { 'x-test-agent': agent } })
}

// Bounded poll for a condition that depends on a reconnect happening in the background.
async function eventually(check: () => Promise<boolean>, attempts = 100, ms = 100) {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, ms))
  }
  return false
}

describe.skipIf(!runIt)('rate limits shared through Redis', () => {
  let port: number
  let redis: ChildProcess
  let a: RateLimits
  let b: RateLimits
  const lines: string[] = []
  const logger = createLogger({
    level: 'info',
    destination: { write: (s: string) => lines.push(s) },
  })

  beforeAll(async () => {
    port = await freePort()
    redis = await startRedis(port)
    const cfg = {
      enabled: true,
      requests: 6,
      windowSeconds: 600,
      overrides: {},
      redisUrl: `redis://127.0.0.1:${port}`,
      authFailures: { requests: 3, windowSeconds: 600 },
    }
    a = createRateLimits(cfg, logger)
    b = createRateLimits(cfg, logger)
  })

  afterAll(async () => {
    await a?.close()
    await b?.close()
    if (redis) await stopRedis(redis)
  })

  it('shares one budget across two instances, survives Redis going away, and recovers', async () => {
    const agent = `agent-${Date.now().toString(36)}`
    const one = instance(a)
    const two = instance(b)
    // Wait until both instances are connected (they connect in the background).
    expect(
      await eventually(
        async () => lines.filter((l) => l.includes('"event":"redis_connected"')).length === 2,
      ),
    ).toBe(true)

    // 6 requests alternating between the instances use the one shared budget of 6.
    const statuses: number[] = []
    const remaining: (string | null)[] = []
    for (let i = 0; i < 6; i++) {
      const res = await (i % 2 === 0 ? one : two)(agent)
      statuses.push(res.status)
      remaining.push(res.headers.get('RateLimit-Remaining'))
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200])
    expect(remaining).toEqual(['5', '4', '3', '2', '1', '0'])
    const over = await two(agent)
    expect(over.status).toBe(429)
    expect(Number(over.headers.get('Retry-After'))).toBeGreaterThan(0)
    expect(over.headers.get('RateLimit-Limit')).toBe('6')
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED')
    expect((await one(agent)).status).toBe(429)

    // Auth failures are shared too; a credential that verified at one replica before the
    // address went over the limit keeps working there, and is new (refused) at the other.
    expect((await a.admitVerified('198.51.100.9', 'established')).blocked).toBe(false)
    await a.recordAuthFailure('198.51.100.9')
    await b.recordAuthFailure('198.51.100.9')
    await a.recordAuthFailure('198.51.100.9')
    expect((await b.isAddressBlocked('198.51.100.9')).blocked).toBe(true)
    expect((await a.admitVerified('198.51.100.9', 'established')).blocked).toBe(false)
    expect((await b.admitVerified('198.51.100.9', 'established')).blocked).toBe(true)
    expect((await a.admitVerified('198.51.100.9', 'correct-guess')).blocked).toBe(true)
    expect((await b.admitVerified('198.51.100.9', 'correct-guess')).blocked).toBe(true)

    // Redis goes away: both instances keep serving, each limited by its in-memory insurance.
    await stopRedis(redis)
    const down = `down-${Date.now().toString(36)}`
    const during: number[] = []
    for (let i = 0; i < 7; i++) during.push((await one(down)).status)
    expect(during).toEqual([200, 200, 200, 200, 200, 200, 429])
    expect((await two(down)).status).toBe(200)
    // Logged once per instance (the disconnect is noticed in the background).
    const unreachable = () => lines.filter((l) => l.includes('"event":"redis_unreachable"')).length
    expect(await eventually(async () => unreachable() === 2)).toBe(true)

    // Redis is back on the same address: the instances reconnect and share again.
    redis = await startRedis(port)
    const back = `back-${Date.now().toString(36)}`
    expect(
      await eventually(
        async () => lines.filter((l) => l.includes('"event":"redis_recovered"')).length === 2,
      ),
    ).toBe(true)
    const after: number[] = []
    for (let i = 0; i < 7; i++) after.push((await (i % 2 === 0 ? two : one)(back)).status)
    expect(after).toEqual([200, 200, 200, 200, 200, 200, 429])
    expect(unreachable()).toBe(2)
  }, 60_000)
})
