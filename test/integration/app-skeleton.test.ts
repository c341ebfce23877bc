/**
 * @module the HTTP skeleton: request ids, health and readiness, JSON 404/405, the body limit,
 * error rendering with WWW-Authenticate, the middleware order, and the server's graceful close.
 */
import { request as httpRequest } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { createAuthenticator } from '../../src/auth/index.js'
import { loadConfig } from '../../src/config/load.js'
import { AppError } from '../../src/core/errors.js'
import type { VaultReadiness } from '../../src/core/ports.js'
import { createApp, type AppDeps } from '../../src/http/app.js'
import { clientRequestId } from '../../src/http/edge.js'
import { startHttpServer, type HttpServer } from '../../src/http/server.js'
import { createRateLimits } from '../../src/limits/rate-limits.js'
import { createLogger } from '../../src/observability/logger.js'
import { createMetrics } from '../../src/observability/metrics.js'

const KEY = 'app-test-key-0123456789'
const logger = createLogger({ level: 'silent' })

function build(env: Record<string, string> = {}, overrides: Partial<AppDeps> = {}) {
  const config = loadConfig({
    API_KEYS_JSON: JSON.stringify({ [KEY]: 'agent_app' }),
    MAX_BODY_BYTES: '2048',
    ...env,
  })
  const rateLimits = createRateLimits(config.rateLimit, logger)
  const metrics = createMetrics({ processMetrics: false })
  let ready: VaultReadiness = { ready: true }
  let probes = 0
  const app = createApp({
    config,
    logger,
    vault: {
      readiness: async () => {
        probes++
        return ready
      },
    },
    authenticator: createAuthenticator(config.auth, logger),
    rateLimits,
    metrics,
    routes: [
      (a) => {
        a.post('/echo', async (c) =>
          c.json({ got: await c.req.json(), agent: c.var.principal?.agent }),
        )
        a.get('/boom', () => {
          throw new Error('internal detail with token=hvs.SECRETSECRETSECRET')
        })
        a.get('/busy', () => {
          throw new AppError('VAULT_UNAVAILABLE', 'Vault is unreachable.')
        })
        a.get('/scope', () => {
          throw new AppError('FORBIDDEN', 'needs write', { details: { requiredScope: 'write' } })
        })
      },
    ],
    ...overrides,
  })
  return {
    app,
    setReady: (r: VaultReadiness) => (ready = r),
    probes: () => probes,
    metrics,
  }
}

const auth = { 'X-API-Key': KEY }

describe('request ids', () => {
  // Issue 12: the key is always the bridge's own id (it used to be a sane caller's id).
  it.each(['abc-123.x', 'has space', 'x'.repeat(129), 'semi;colon', 'new\tline'])(
    'answers with its own UUID whatever X-Request-Id the caller sent (%j)',
    async (id) => {
      const { app } = build()
      const res = await app.request('/healthz', { headers: { 'X-Request-Id': id } })
      expect(res.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/)
    },
  )

  it.each([
    ['abc-123.x', 'abc-123.x'],
    ['has space', 'has_space'],
    ['semi;colon\u0000', 'semi_colon_'],
    ['x'.repeat(200), 'x'.repeat(128)],
    ['   ', undefined],
    [undefined, undefined],
  ])('keeps the caller’s id %j cleaned as clientRequestId: %j', (given, kept) => {
    expect(clientRequestId(given)).toBe(kept)
  })

  it('puts a request id on errors, 404s and 401s', async () => {
    const { app } = build()
    for (const [path, init] of [
      ['/nowhere', { headers: auth }],
      ['/nowhere', {}],
      ['/boom', { headers: auth }],
    ] as const) {
      const res = await app.request(path, init)
      expect(res.headers.get('X-Request-Id'), path).toMatch(/^[0-9a-f-]{36}$/)
    }
  })
})

describe('health and readiness', () => {
  it('GET /healthz is 200 without credentials', async () => {
    const res = await build().app.request('/healthz')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  it('HEAD /healthz is 200 with no body', async () => {
    const res = await build().app.request('/healthz', { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
  })

  it('GET /readyz follows the VaultPort readiness, 503 with Retry-After when not ready', async () => {
    const { app, setReady } = build()
    expect((await app.request('/readyz')).status).toBe(200)
    setReady({ ready: false, reason: 'vault sealed' })
    const res = await app.request('/readyz')
    expect(res.status).toBe(503)
    expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('VAULT_UNAVAILABLE')
    setReady({ ready: true })
    expect((await app.request('/readyz')).status).toBe(200)
  })

  it('asks the VaultPort on every probe: the port keeps the one readiness cache', async () => {
    // The caching itself is the port's (vault-port.test.ts, vault-access-outage.test.ts).
    const { app, probes } = build()
    for (let i = 0; i < 5; i++) expect((await app.request('/readyz')).status).toBe(200)
    expect(probes()).toBe(5)
  })

  it('GET /readyz is 503 when the readiness check itself fails', async () => {
    const { app } = build({}, { vault: { readiness: () => Promise.reject(new Error('boom')) } })
    const res = await app.request('/readyz')
    expect(res.status).toBe(503)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('VAULT_UNAVAILABLE')
  })

  it.each(['POST', 'PUT', 'DELETE'])('%s /healthz is a JSON 405 with Allow', async (method) => {
    const res = await build().app.request('/healthz', { method })
    expect(res.status).toBe(405)
    expect(res.headers.get('Allow')).toContain('GET')
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      'METHOD_NOT_ALLOWED',
    )
  })
})

describe('errors become {"error": {code, message}}', () => {
  it('an unknown route is a JSON 404 NOT_FOUND for an authenticated caller', async () => {
    const res = await build().app.request('/no/such/route', { headers: auth })
    expect(res.status).toBe(404)
    expect(res.headers.get('Content-Type')).toContain('application/json')
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('NOT_FOUND')
    expect(typeof body.error.message).toBe('string')
  })

  it('an unknown route without credentials is 401 (routes are not revealed)', async () => {
    const res = await build().app.request('/no/such/route')
    expect(res.status).toBe(401)
    expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer/)
  })

  it('a bad credential is 401 with error="invalid_token"', async () => {
    const res = await build().app.request('/echo', { headers: { 'X-API-Key': `${KEY}x` } })
    expect(res.status).toBe(401)
    expect(res.headers.get('WWW-Authenticate')).toContain('invalid_token')
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED')
  })

  it('a missing scope is 403 with insufficient_scope', async () => {
    const res = await build().app.request('/scope', { headers: auth })
    expect(res.status).toBe(403)
    expect(res.headers.get('WWW-Authenticate')).toContain('error="insufficient_scope"')
    expect(res.headers.get('WWW-Authenticate')).toContain('scope="write"')
  })

  it('an unknown error is INTERNAL 500 and does not leak its message', async () => {
    const res = await build().app.request('/boom', { headers: auth })
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(JSON.parse(text).error.code).toBe('INTERNAL')
    expect(text).not.toContain('hvs.')
    expect(text).not.toContain('internal detail')
  })

  it('VAULT_UNAVAILABLE is 503 with Retry-After', async () => {
    const res = await build().app.request('/busy', { headers: auth })
    expect(res.status).toBe(503)
    expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0)
  })
})

describe('body limit (MAX_BODY_BYTES)', () => {
  it('accepts a body within the limit', async () => {
    const res = await build().app.request('/echo', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ a: 'x'.repeat(100) }),
    })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { agent: string }).agent).toBe('agent_app')
  })

  it('refuses a larger body with 413 PAYLOAD_TOO_LARGE before parsing', async () => {
    const res = await build().app.request('/echo', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: `{"a": "${'x'.repeat(4096)}"`, // not even valid JSON: never parsed
    })
    expect(res.status).toBe(413)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE')
  })
})

describe('over real HTTP', () => {
  let server: HttpServer | undefined
  afterEach(async () => {
    await server?.close(1000)
    server = undefined
  })

  it('refuses a chunked body over the limit with 413', async () => {
    server = await startHttpServer({ fetch: build().app.fetch, host: '127.0.0.1', port: 0 })
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        `${server!.url}/echo`,
        { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' } },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      // No Content-Length: Node sends it chunked, so only counting the stream can catch it.
      for (let i = 0; i < 8; i++) req.write('x'.repeat(1024))
      req.end()
    })
    expect(status).toBe(413)
  })

  it('close() lets an in-flight request finish, then refuses new connections', async () => {
    let release: () => void = () => {}
    let entered: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    const inside = new Promise<void>((r) => (entered = r))
    const { app } = build(
      {},
      {
        routes: [
          (a) =>
            a.get('/slow', async (c) => {
              entered()
              await gate
              return c.json({ done: true })
            }),
        ],
      },
    )
    server = await startHttpServer({ fetch: app.fetch, host: '127.0.0.1', port: 0 })
    const url = server.url
    const inflight = fetch(`${url}/slow`, { headers: auth })
    await inside
    const closed = server.close(5000)
    release()
    const res = await inflight
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ done: true })
    expect(await closed).toBe(true)
    await expect(fetch(`${url}/healthz`)).rejects.toThrow()
    server = undefined
  })
})

describe('auth-failure metrics', () => {
  it('label a failed mTLS identity by the configured MTLS_IDENTITY_HEADER', async () => {
    const { app, metrics } = build({ MTLS_IDENTITY_HEADER: 'X-Client-Subject' })
    const res = await app.request('/whoami', { headers: { 'x-client-subject': 'CN=nobody' } })
    expect(res.status).toBe(401)
    expect(await metrics.render()).toContain('auth_failures_total{method="mtls"} 1')
  })
})
