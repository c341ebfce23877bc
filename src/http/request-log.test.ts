/** @module http/request-log tests: one line per request, each field once, the route pattern only. */
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { Principal } from '../core/identity.js'
import { createLogger } from '../observability/logger.js'
import type { AppEnv } from './context.js'
import { requestLog } from './request-log.js'

describe('requestLog', () => {
  it('logs method, route pattern, status, duration, request id and agent once each', async () => {
    const lines: string[] = []
    const logger = createLogger({
      level: 'info',
      destination: { write: (l: string) => lines.push(l) },
    })
    const app = new Hono<AppEnv>()
    app.use('*', async (c, next) => {
      c.set('requestId', 'req-9')
      c.set('log', logger.child({ requestId: 'req-9' }))
      await next()
    })
    app.use('*', requestLog(logger))
    app.use('*', async (c, next) => {
      c.set('principal', { agent: 'alice', scopes: ['read'], method: 'api_key' } as Principal)
      c.set('log', c.var.log.child({ agent: 'alice' }))
      await next()
    })
    app.get('/secrets/*', (c) => c.json({}))
    await app.request('/secrets/private-name?token=abc', {
      headers: { 'X-API-Key': 'k-123456789' },
    })
    expect(lines).toHaveLength(1)
    const line = lines[0] as string
    expect(line.match(/"requestId"/g)).toHaveLength(1)
    expect(line.match(/"agent"/g)).toHaveLength(1)
    expect(JSON.parse(line)).toMatchObject({
      msg: 'request',
      method: 'GET',
      route: '/secrets/*',
      status: 200,
      requestId: 'req-9',
      agent: 'alice',
    })
    expect(typeof (JSON.parse(line) as { durationMs: unknown }).durationMs).toBe('number')
    for (const leak of ['private-name', 'abc', 'k-123456789']) expect(line).not.toContain(leak)
  })
})
