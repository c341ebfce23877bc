/**
 * @module http/edge tests: the one edge middleware: request ids, the body limit, one log line and
 * the HTTP metrics per request (refused ones too), each with the route pattern only.
 */
import { request as httpRequest } from 'node:http'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../core/errors.js'
import type { Principal } from '../core/identity.js'
import { createLogger } from '../observability/logger.js'
import { createMetrics } from '../observability/metrics.js'
import type { AppEnv } from './context.js'
import { requestEdge } from './edge.js'
import { createErrorHandler } from './error-response.js'
import { registerMetricsRoute } from './metrics-route.js'
import { startHttpServer, type HttpServer } from './server.js'

const MAX = 64

/** An app with the edge first, as app.ts mounts it, and the lines its logger wrote. */
function build() {
  const lines: string[] = []
  const logger = createLogger({
    level: 'info',
    destination: { write: (l: string) => lines.push(l) },
  })
  const metrics = createMetrics({ processMetrics: false })
  const app = new Hono<AppEnv>()
  const onError = createErrorHandler({ logger })
  app.onError(onError)
  app.use(
    '*',
    requestEdge({
      logger,
      metrics,
      maxBodyBytes: MAX,
      tooLarge: () => {
        throw new AppError('PAYLOAD_TOO_LARGE', 'too large')
      },
      onError,
    }),
  )
  registerMetricsRoute(app, metrics)
  app.use('*', async (c, next) => {
    if (c.req.header('x-api-key') === undefined) throw new AppError('UNAUTHENTICATED', 'no key')
    c.set('principal', { agent: 'alice', scopes: ['read'], method: 'api_key' } as Principal)
    c.set('log', c.var.log.child({ agent: 'alice' }))
    await next()
  })
  app.get('/secrets/*', (c) =>
    c.json({ requestId: c.get('requestId'), clientRequestId: c.get('clientRequestId') }),
  )
  app.post('/echo', async (c) => c.json({ got: await c.req.text() }))
  app.get('/own', () => new Response('built by the route'))
  app.get('/boom', () => {
    throw new Error('internal detail')
  })
  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  const requestLines = () => parsed().filter((l) => l.msg === 'request')
  return { app, lines, requestLines, metrics }
}

const key = { 'X-API-Key': 'k-123456789' }

describe('requestEdge: request ids', () => {
  it('gives each request its own id, on the response and in c.var, and keeps the caller id apart', async () => {
    const { app } = build()
    const res = await app.request('/secrets/a', {
      headers: { ...key, 'X-Request-Id': 'caller id <x>' },
    })
    const id = res.headers.get('x-request-id')
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(await res.json()).toEqual({ requestId: id, clientRequestId: 'caller_id__x_' })
    const other = await app.request('/secrets/a', { headers: key })
    expect(other.headers.get('x-request-id')).not.toBe(id)
  })

  it('puts the id on a Response a route built itself, and on errors', async () => {
    const { app } = build()
    for (const [path, status] of [
      ['/own', 200],
      ['/boom', 500],
    ] as const) {
      const res = await app.request(path, { headers: key })
      expect(res.status).toBe(status)
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    }
    const refused = await app.request('/secrets/a')
    expect(refused.status).toBe(401)
    expect(refused.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe('requestEdge: the request log', () => {
  it('logs method, route pattern, status, duration, request id and agent once each', async () => {
    const { app, lines } = build()
    const res = await app.request('/secrets/private-name?token=abc', { headers: key })
    expect(lines).toHaveLength(1)
    const line = lines[0] as string
    expect(line.match(/"requestId"/g)).toHaveLength(1)
    expect(line.match(/"agent"/g)).toHaveLength(1)
    expect(JSON.parse(line)).toMatchObject({
      msg: 'request',
      method: 'GET',
      route: '/secrets/*',
      status: 200,
      requestId: res.headers.get('x-request-id'),
      agent: 'alice',
    })
    expect(typeof (JSON.parse(line) as { durationMs: unknown }).durationMs).toBe('number')
    for (const leak of ['private-name', 'abc', 'k-123456789']) expect(line).not.toContain(leak)
  })

  it('logs a refused request without an agent, and a 5xx at warn', async () => {
    const { app, requestLines } = build()
    await app.request('/secrets/a')
    await app.request('/boom', { headers: key })
    const [refused, failed] = requestLines()
    expect(refused).toMatchObject({ route: '/secrets/*', status: 401, level: 'info' })
    expect(refused).not.toHaveProperty('agent')
    expect(failed).toMatchObject({ route: '/boom', status: 500, level: 'warn', agent: 'alice' })
  })
})

describe('requestEdge: HTTP metrics', () => {
  it('counts requests by route pattern (never the raw path), refused and unmatched ones too', async () => {
    const { app } = build()
    await app.request('/secrets/very/private/name', { headers: key })
    await app.request('/secrets/very/private/name')
    await app.request('/nowhere', { headers: key })
    const res = await app.request('/metrics')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    expect(text).toContain('http_requests_total{method="GET",route="/secrets/*",status="200"} 1')
    expect(text).toContain('http_requests_total{method="GET",route="/secrets/*",status="401"} 1')
    expect(text).toContain('http_requests_total{method="GET",route="(unmatched)",status="404"} 1')
    expect(text).not.toContain('private')
  })
})

describe('requestEdge: the body limit', () => {
  let server: HttpServer | undefined
  afterEach(async () => {
    await server?.close(1000)
    server = undefined
  })

  const post = (url: string, body: string, chunked: boolean) =>
    new Promise<{ status: number; id: string | undefined; body: string }>((resolve, reject) => {
      const headers: Record<string, string> = { ...key, 'Content-Type': 'application/json' }
      if (!chunked) headers['Content-Length'] = String(Buffer.byteLength(body))
      const req = httpRequest(`${url}/echo`, { method: 'POST', headers }, (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => (text += d))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            id: res.headers['x-request-id'] as string | undefined,
            body: text,
          }),
        )
      })
      req.on('error', reject)
      if (chunked) for (let i = 0; i < body.length; i += 16) req.write(body.slice(i, i + 16))
      else req.write(body)
      req.end()
    })

  it('over a socket: passes a body within the limit, with a length or chunked', async () => {
    const { app } = build()
    server = await startHttpServer({ fetch: app.fetch, host: '127.0.0.1', port: 0 })
    for (const chunked of [false, true]) {
      const res = await post(server.url, 'x'.repeat(MAX), chunked)
      expect(res.status).toBe(200)
      expect(JSON.parse(res.body)).toEqual({ got: 'x'.repeat(MAX) })
    }
  })

  it('over a socket: refuses a larger body with 413 (length or chunked), logged, counted and with its id', async () => {
    const { app, requestLines } = build()
    server = await startHttpServer({ fetch: app.fetch, host: '127.0.0.1', port: 0 })
    for (const chunked of [false, true]) {
      const res = await post(server.url, 'x'.repeat(MAX + 1), chunked)
      expect(res.status).toBe(413)
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } })
      expect(res.id).toMatch(/^[0-9a-f-]{36}$/)
    }
    const logged = requestLines()
    expect(logged).toHaveLength(2)
    for (const l of logged) expect(l).toMatchObject({ method: 'POST', route: '/echo', status: 413 })
    const text = await (await app.request('/metrics')).text()
    expect(text).toContain('http_requests_total{method="POST",route="/echo",status="413"} 2')
  })

  it('in process (app.request): refuses a larger body with 413, logged', async () => {
    const { app, requestLines } = build()
    const res = await app.request('/echo', {
      method: 'POST',
      headers: { ...key, 'Content-Type': 'application/json' },
      body: 'x'.repeat(MAX + 1),
    })
    expect(res.status).toBe(413)
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(requestLines()).toMatchObject([{ route: '/echo', status: 413 }])
  })
})
