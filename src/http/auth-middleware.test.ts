/** @module http/auth-middleware tests: the principal on c.var, the error thrown, no socket = no peer. */
import { describe, expect, it } from 'vitest'
import { Hono } from 'hono'
import { createAuthenticator } from '../auth/index.js'
import { ERROR_SPEC, asAppError } from '../core/errors.js'
import { loadConfig } from '../config/load.js'
import type { Logger } from '../observability/logger.js'
import { authMiddleware } from './auth-middleware.js'
import type { AppEnv } from './context.js'

const bindings: Record<string, unknown>[] = []
const logger: Logger = {
  fatal: () => {},
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
  child: (b) => {
    bindings.push(b)
    return logger
  },
}

const PROXY_SECRET = 'auth-middleware-proxy-secret-0123456789'
const config = loadConfig({
  AUTH_MTLS_ENABLED: 'true',
  MTLS_MODE: 'header',
  MTLS_TRUSTED_PROXIES: '127.0.0.1,::1',
  MTLS_PROXY_SECRET: PROXY_SECRET,
  API_KEYS_JSON: JSON.stringify({ 'key-agent-a-123456': 'agent_a' }),
})
const app = new Hono<AppEnv>()
app.onError((err, c) => {
  const e = asAppError(err)
  return c.json({ code: e.code }, ERROR_SPEC[e.code].status as 401)
})
app.use('*', async (c, next) => {
  c.set('log', logger)
  await next()
})
app.use('*', authMiddleware(createAuthenticator(config.auth, logger)))
app.get('/p', (c) => c.json(c.var.principal ?? null))

describe('authMiddleware', () => {
  it('sets the principal and binds the agent to the request logger', async () => {
    const res = await app.request('/p', { headers: { 'x-api-key': 'key-agent-a-123456' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ agent: 'agent_a', method: 'api_key' })
    expect(bindings).toContainEqual({ agent: 'agent_a', authMethod: 'api_key' })
  })

  it('throws UNAUTHENTICATED for the error handler to render', async () => {
    const res = await app.request('/p')
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ code: 'UNAUTHENTICATED' })
  })

  it('treats a request without a socket as coming from no trusted proxy', async () => {
    const res = await app.request('/p', {
      headers: {
        'x-ssl-client-s-dn': 'CN=agent_a',
        'x-ssl-client-verify': 'SUCCESS',
        'x-mtls-proxy-secret': PROXY_SECRET,
      },
    })
    expect(res.status).toBe(401)
  })
})
