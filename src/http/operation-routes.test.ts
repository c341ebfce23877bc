/**
 * @module http/operation-routes tests: REST answers with the operation's output as its schema
 * declares it (the runner validates; the routes pass on what it returns).
 */
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { createOperationRunner } from '../core/operations.js'
import type { SecretsService } from '../core/secrets-service.js'
import { createLogger } from '../observability/logger.js'
import type { AppEnv } from './context.js'
import { createErrorHandler } from './error-response.js'
import { registerOperationRoutes } from './operation-routes.js'

const META = {
  version: 2,
  created_time: '2026-01-01T00:00:00Z',
  deletion_time: '',
  destroyed: false,
  custom_metadata: null,
}

function appAnswering(out: unknown) {
  const logger = createLogger({ level: 'silent' })
  const service = { readSecret: async () => out } as unknown as SecretsService
  const app = new Hono<AppEnv>()
  app.onError(createErrorHandler({ logger }))
  app.use('*', async (c, next) => {
    c.set('requestId', 'r')
    c.set('log', logger)
    c.set('principal', { agent: 'alice', scopes: ['read'], method: 'api_key' })
    await next()
  })
  registerOperationRoutes(app, createOperationRunner({ service }))
  return app
}

describe('REST output', () => {
  it('carries no field the output schema does not declare', async () => {
    const app = appAnswering({ path: 'db', data: { a: 1 }, metadata: META, internal: 'mcp/x' })
    const res = await app.request('/secrets/db')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ path: 'db', data: { a: 1 }, metadata: META })
  })

  it('is a 500 INTERNAL when the operation breaks its output schema', async () => {
    const res = await appAnswering({ path: 'db', data: { a: 1 } }).request('/secrets/db')
    expect(res.status).toBe(500)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INTERNAL')
  })
})
