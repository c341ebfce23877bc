/** @module http/limit-middleware tests: headers, the JSON 429, the over-budget hook, and the auth-failure limit. */
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { AppError } from '../core/errors.js'
import type { Principal } from '../core/identity.js'
import { createRateLimits, type LimitResult } from '../limits/rate-limits.js'
import { createLogger } from '../observability/logger.js'
import { createMetrics } from '../observability/metrics.js'
import { authMiddleware } from './auth-middleware.js'
import type { AppEnv } from './context.js'
import { createErrorHandler } from './error-response.js'
import {
  agentRateLimit,
  authFailureLimit,
  rateLimitHeaders,
  type OverBudgetReply,
} from './limit-middleware.js'

const logger = createLogger({ level: 'silent' })
const over: LimitResult = {
  allowed: false,
  limit: 5,
  remaining: 0,
  resetSeconds: 42,
  retryAfterSeconds: 42,
}

const limitsFor = (requests: number, failures = 2) =>
  createRateLimits(
    {
      enabled: true,
      requests,
      windowSeconds: 60,
      overrides: {},
      redisUrl: undefined,
      authFailures: { requests: failures, windowSeconds: 60 },
    },
    logger,
  )

/** An app whose "auth" takes the agent from a test header and answers 401 without it. */
function appWith(
  requests: number,
  metrics = createMetrics({ processMetrics: false }),
  overBudget?: OverBudgetReply,
) {
  const limits = limitsFor(requests)
  const app = new Hono<AppEnv>()
  app.onError(createErrorHandler({ logger }))
  app.use('*', async (c, next) => {
    c.set('requestId', 'r')
    c.set('log', logger)
    await next()
  })
  // An authenticator that takes the agent from a test header and refuses requests without it.
  const authenticator = {
    async authenticate(req: Request): Promise<Principal> {
      const agent = req.headers.get('x-agent')
      if (!agent) throw new AppError('UNAUTHENTICATED', 'No agent.')
      return { agent, scopes: ['read'], method: 'api_key' }
    },
  }
  const hooks = authFailureLimit(limits, {
    metrics,
    credentialHeaders: {
      identityHeader: 'x-client-dn',
      verifyHeader: 'x-client-verify',
      proxySecretHeader: 'x-proxy-secret',
    },
    clientAddress: (c) => c.req.header('x-ip') ?? '?',
  })
  app.use('*', authMiddleware(authenticator, hooks))
  app.use('*', agentRateLimit(limits, { metrics, overBudget }))
  app.get('/whoami', (c) => c.json({ ok: true }))
  app.post('/own', (c) => c.json({ ok: true }))
  app.post('/mcp', (c) => c.json({ jsonrpc: '2.0', id: 1, result: {} }))
  return { app, metrics }
}

describe('rateLimitHeaders', () => {
  it('gives the three RateLimit headers, and Retry-After only when refused', () => {
    expect(rateLimitHeaders({ allowed: true, limit: 5, remaining: 4, resetSeconds: 60 })).toEqual({
      'RateLimit-Limit': '5',
      'RateLimit-Remaining': '4',
      'RateLimit-Reset': '60',
    })
    expect(rateLimitHeaders(over)['Retry-After']).toBe('42')
  })
})

describe('agentRateLimit', () => {
  it('REST: headers within the budget, 429 RATE_LIMITED with Retry-After over it', async () => {
    const { app, metrics } = appWith(1)
    const ok = await app.request('/whoami', { headers: { 'x-agent': 'a' } })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('RateLimit-Remaining')).toBe('0')
    const no = await app.request('/whoami', { headers: { 'x-agent': 'a' } })
    expect(no.status).toBe(429)
    expect(no.headers.get('RateLimit-Limit')).toBe('1')
    expect(Number(no.headers.get('Retry-After'))).toBeGreaterThan(0)
    expect(((await no.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED')
    expect(await metrics.render()).toContain('rate_limit_rejections_total{kind="agent"} 1')
  })

  it("uses a route's own over-budget answer when the hook gives one, else the JSON 429", async () => {
    const own = new Response('own answer', { status: 200 })
    const { app } = appWith(1, undefined, (c) => (c.req.path === '/own' ? own : undefined))
    const headers = { 'x-agent': 'h' }
    expect((await app.request('/whoami', { headers })).status).toBe(200)
    const mine = await app.request('/own', { method: 'POST', headers })
    expect([mine.status, await mine.text()]).toEqual([200, 'own answer'])
    // The HTTP layer itself knows no MCP: without a hook, /mcp gets the JSON 429 too.
    const rest = await app.request('/mcp', { method: 'POST', headers })
    expect(rest.status).toBe(429)
    expect(((await rest.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED')
  })
})

describe('authFailureLimit', () => {
  it('counts failures per address; over the limit failures get 429 and a credential that verified before still passes', async () => {
    const { app, metrics } = appWith(100)
    const from = (ip: string, agent?: string) =>
      app.request('/whoami', {
        headers: {
          'x-ip': ip,
          'x-api-key': `key-${agent ?? 'wrong'}`,
          ...(agent ? { 'x-agent': agent } : {}),
        },
      })
    expect((await from('1.1.1.1', 'early')).status).toBe(200)
    expect((await from('1.1.1.1')).status).toBe(401)
    expect((await from('1.1.1.1')).status).toBe(401)
    const blocked = await from('1.1.1.1')
    expect(blocked.status).toBe(429)
    expect(Number(blocked.headers.get('Retry-After'))).toBeGreaterThan(0)
    // A credential that verified from that address before it went over still passes...
    expect((await from('1.1.1.1', 'early')).status).toBe(200)
    // ...a new one, even valid, gets the very same answer as a failure...
    const late = await from('1.1.1.1', 'late')
    expect(late.status).toBe(429)
    expect(await late.json()).toEqual(await blocked.json())
    expect(late.headers.get('Retry-After')).toBe(blocked.headers.get('Retry-After'))
    // ...and is not remembered by being refused.
    expect((await from('1.1.1.1', 'late')).status).toBe(429)
    expect((await from('1.1.1.1')).status).toBe(429)
    // Another address is not affected, for failures or new credentials.
    expect((await from('2.2.2.2', 'late')).status).toBe(200)
    expect((await from('2.2.2.2')).status).toBe(401)
    const text = await metrics.render()
    expect(text).toContain('auth_failures_total{method="api_key"} 5')
    expect(text).toContain('rate_limit_rejections_total{kind="auth_failure"} 4')
  })

  it('tells credentials apart by every header that carries one', async () => {
    const { app } = appWith(100)
    const from = (headers: Record<string, string>) =>
      app.request('/whoami', { headers: { 'x-ip': '4.4.4.4', 'x-agent': 'a', ...headers } })
    expect((await from({ 'x-api-key': 'k1', 'x-proxy-secret': 's1' })).status).toBe(200)
    const fail = () => app.request('/whoami', { headers: { 'x-ip': '4.4.4.4' } })
    expect((await fail()).status).toBe(401)
    expect((await fail()).status).toBe(401)
    expect((await fail()).status).toBe(429)
    expect((await from({ 'x-api-key': 'k1', 'x-proxy-secret': 's1' })).status).toBe(200)
    // The same key with another proxy secret, DN or bearer token is another credential.
    expect((await from({ 'x-api-key': 'k1', 'x-proxy-secret': 's2' })).status).toBe(429)
    expect(
      (await from({ 'x-api-key': 'k1', 'x-proxy-secret': 's1', 'x-client-dn': 'CN=a' })).status,
    ).toBe(429)
    expect(
      (await from({ 'x-api-key': 'k1', 'x-proxy-secret': 's1', authorization: 'Bearer t' })).status,
    ).toBe(429)
  })

  it('labels a failure by the credential it carried, mTLS by the configured identity header', async () => {
    const { app, metrics } = appWith(100)
    const fail = (headers: Record<string, string>) =>
      app.request('/whoami', { headers: { 'x-ip': '3.3.3.3', ...headers } })
    expect((await fail({ 'x-client-dn': 'CN=a' })).status).toBe(401)
    expect((await fail({ 'x-ssl-client-s-dn': 'CN=a' })).status).toBe(401)
    const text = await metrics.render()
    expect(text).toContain('auth_failures_total{method="mtls"} 1')
    expect(text).toContain('auth_failures_total{method="none"} 1')
  })
})
