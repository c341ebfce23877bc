/** @module http/transport-guard tests: loopback host names, and the guard on a path of any kind. */
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../observability/logger.js'
import type { AppEnv } from './context.js'
import { createErrorHandler } from './error-response.js'
import { createTransportGuard, isLoopbackHost } from './transport-guard.js'

describe('isLoopbackHost', () => {
  it.each(['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '::1', '[::1]', 'app.localhost'])(
    '%s is loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(true)
    },
  )

  it.each([
    '0.0.0.0',
    '::',
    '10.0.0.1',
    '192.168.1.10',
    'localhost.evil.com',
    '127.0.0.1.evil.com',
    'evil-localhost',
    '1270.0.0.1',
    '',
  ])('%s is not loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(false)
  })
})

describe('createTransportGuard', () => {
  const appGuarding = (host = '127.0.0.1') => {
    const app = new Hono<AppEnv>()
    app.onError(createErrorHandler({ logger: createLogger({ level: 'silent' }) }))
    const guard = createTransportGuard({
      allowedOrigins: ['https://ok.example/'],
      allowedOriginsSetting: 'SOME_ALLOWED_ORIGINS',
      host,
    })
    // Any path: the guard knows nothing of what it protects.
    app.use('/guarded', guard)
    app.post('/guarded', (c) => c.json({ ok: true }))
    return app
  }
  const code = async (res: Response) =>
    ((await res.json()) as { error: { code: string } }).error.code
  const post = (app: Hono<AppEnv>, path: string, headers: Record<string, string> = {}) =>
    app.request(path, { method: 'POST', headers: { host: '127.0.0.1:8089', ...headers } })

  it('lets through a request without Origin, from an allowed Origin, to a loopback Host', async () => {
    const app = appGuarding()
    expect((await post(app, '/guarded')).status).toBe(200)
    expect((await post(app, '/guarded', { origin: 'https://OK.example' })).status).toBe(200)
  })

  it('refuses another Origin with FORBIDDEN, naming the setting that allows it', async () => {
    const res = await post(appGuarding(), '/guarded', { origin: 'https://evil.example' })
    expect(res.status).toBe(403)
    const body = (await res.clone().json()) as { error: { message: string } }
    expect(body.error.message).toContain('SOME_ALLOWED_ORIGINS')
    expect(await code(res)).toBe('FORBIDDEN')
  })

  it.each([
    'http://localhost:3000',
    'http://127.0.0.1:8089',
    'https://127.0.0.1',
    'http://[::1]:5173',
    'http://app.localhost:8080',
  ])('accepts the loopback Origin %s while bound to loopback', async (origin) => {
    expect((await post(appGuarding(), '/guarded', { origin })).status).toBe(200)
  })

  it.each([
    'http://localhost.evil.example',
    'http://127.0.0.1.evil.example:8089',
    'http://evil.example#@127.0.0.1',
    'null',
    'file://',
    'http://localhost:3000/path',
  ])('refuses the Origin %s while bound to loopback', async (origin) => {
    expect((await post(appGuarding(), '/guarded', { origin })).status).toBe(403)
  })

  it('refuses a loopback Origin when not bound to loopback (unless listed)', async () => {
    const res = await post(appGuarding('0.0.0.0'), '/guarded', { origin: 'http://localhost:3000' })
    expect(res.status).toBe(403)
  })

  it('refuses a non-loopback Host while bound to loopback, and not otherwise', async () => {
    const rebinding = { host: 'evil.example:8089' }
    expect((await post(appGuarding(), '/guarded', rebinding)).status).toBe(403)
    expect((await post(appGuarding('0.0.0.0'), '/guarded', rebinding)).status).toBe(200)
  })

  it.each(['access_token', 'API_KEY', 'jwt'])(
    'refuses a credential in the query (%s)',
    async (p) => {
      const res = await post(appGuarding(), `/guarded?${p}=x`)
      expect([res.status, await code(res)]).toEqual([400, 'INVALID_INPUT'])
    },
  )
})
