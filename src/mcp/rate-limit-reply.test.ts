/** @module mcp/rate-limit-reply tests: the JSON-RPC answers over the agent's budget, through the app's hook. */
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { Principal } from '../core/identity.js'
import type { AppEnv } from '../http/context.js'
import { createErrorHandler } from '../http/error-response.js'
import { agentRateLimit } from '../http/limit-middleware.js'
import { createRateLimits, type LimitResult } from '../limits/rate-limits.js'
import { createLogger } from '../observability/logger.js'
import { MCP_PATH, RPC_RATE_LIMITED } from './error-reply.js'
import { mcpOverBudgetReply, mcpRateLimitedResponse } from './rate-limit-reply.js'

const logger = createLogger({ level: 'silent' })
const over: LimitResult = {
  allowed: false,
  limit: 5,
  remaining: 0,
  resetSeconds: 42,
  retryAfterSeconds: 42,
}

/** An app with a budget of one request per agent, the agent taken from a test header. */
function appWith() {
  const limits = createRateLimits(
    {
      enabled: true,
      requests: 1,
      windowSeconds: 60,
      overrides: {},
      redisUrl: undefined,
      authFailures: { requests: 100, windowSeconds: 60 },
    },
    logger,
  )
  const app = new Hono<AppEnv>()
  app.onError(createErrorHandler({ logger }))
  app.use('*', async (c, next) => {
    c.set('requestId', 'r')
    c.set('log', logger)
    const agent = c.req.header('x-agent') ?? 'anon'
    c.set('principal', { agent, scopes: ['read'], method: 'api_key' } as Principal)
    await next()
  })
  app.use('*', agentRateLimit(limits, { overBudget: mcpOverBudgetReply }))
  app.get('/whoami', (c) => c.json({ ok: true }))
  app.post(MCP_PATH, (c) => c.json({ jsonrpc: '2.0', id: 1, result: {} }))
  return { app }
}

describe('mcpOverBudgetReply', () => {
  it('MCP: a tools/call over the budget is answered as a RATE_LIMITED tool error (HTTP 200)', async () => {
    const { app } = appWith()
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'whoami' },
    })
    const init = {
      method: 'POST',
      headers: { 'x-agent': 'm', 'content-type': 'application/json' },
      body,
    }
    expect((await app.request('/mcp', init)).status).toBe(200)
    const res = await app.request('/mcp', init)
    expect(res.status).toBe(200)
    expect(res.headers.get('Retry-After')).not.toBeNull()
    const json = (await res.json()) as {
      id: number
      result: { isError: boolean; content: { text: string }[] }
    }
    expect(json.id).toBe(7)
    expect(json.result.isError).toBe(true)
    expect(json.result.content[0]?.text).toMatch(/^RATE_LIMITED: .*retry after \d+ seconds/)
  })

  it('leaves other routes to the JSON 429', async () => {
    const { app } = appWith()
    const headers = { 'x-agent': 'r' }
    expect((await app.request('/whoami', { headers })).status).toBe(200)
    const res = await app.request('/whoami', { headers })
    expect(res.status).toBe(429)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED')
  })
})

describe('mcpRateLimitedResponse', () => {
  const post = (body: unknown) =>
    new Request('http://x/mcp', { method: 'POST', body: JSON.stringify(body) })

  it('answers other requests with a JSON-RPC error carrying the code and retry time', async () => {
    const res = await mcpRateLimitedResponse(
      post({ jsonrpc: '2.0', id: 'a', method: 'tools/list' }),
      over,
    )
    const json = (await res.json()) as { id: string; error: { code: number; data: unknown } }
    expect(json.id).toBe('a')
    expect(json.error.code).toBe(RPC_RATE_LIMITED)
    expect(json.error.data).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 42 })
  })

  it('marks the tool result of a 2026-07-28 request complete, and only that', async () => {
    const call = { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami' } }
    const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' }
    const modern = await mcpRateLimitedResponse(
      post({ ...call, params: { ...call.params, _meta: meta } }),
      over,
    )
    expect(((await modern.json()) as { result: object }).result).toMatchObject({
      resultType: 'complete',
      isError: true,
    })
    const legacy = await mcpRateLimitedResponse(post(call), over)
    expect(((await legacy.json()) as { result: object }).result).not.toHaveProperty('resultType')
  })

  it.each([
    ['notification', JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })],
    ['body that is not JSON', 'not json'],
    ['batch', JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'tools/list' }])],
  ])(
    'answers a %s (no request to answer) with 429 and a JSON-RPC error, id null',
    async (_c, b) => {
      const req = new Request('http://x/mcp', { method: 'POST', body: b })
      const res = await mcpRateLimitedResponse(req, over)
      expect(res.status).toBe(429)
      expect(res.headers.get('Retry-After')).toBe('42')
      expect(await res.json()).toMatchObject({
        jsonrpc: '2.0',
        id: null,
        error: { code: RPC_RATE_LIMITED, data: { code: 'RATE_LIMITED' } },
      })
    },
  )

  it('leaves the request body unread', async () => {
    const req = post({ jsonrpc: '2.0', id: 1, method: 'ping' })
    await mcpRateLimitedResponse(req, over)
    expect(req.bodyUsed).toBe(false)
  })
})
