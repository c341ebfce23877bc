/** @module http/transport-guard tests: loopback host names, and the guard on a path of any kind. */
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../observability/logger.js'
import type { AppEnv } from './context.js'
import { createErrorHandler } from './error-response.js'
import { allowedHostsWarning, createTransportGuard, isLoopbackHost } from './transport-guard.js'

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

describe('allowedHostsWarning', () => {
  it('warns when the bridge listens beyond loopback without ALLOWED_HOSTS, and only then', () => {
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'bridge.example.com']) {
      expect(allowedHostsWarning(host, [])).toMatch(
        /^HOST=.* ALLOWED_HOSTS is unset.*DNS rebinding/,
      )
    }
    expect(allowedHostsWarning('0.0.0.0', ['bridge.example.com'])).toBeUndefined()
    for (const host of ['127.0.0.1', 'localhost', '::1']) {
      expect(allowedHostsWarning(host, [])).toBeUndefined()
    }
  })
})

describe('createTransportGuard', () => {
  const appGuarding = (host = '127.0.0.1', allowedHosts: string[] = []) => {
    const app = new Hono<AppEnv>()
    app.onError(createErrorHandler({ logger: createLogger({ level: 'silent' }) }))
    const guard = createTransportGuard({
      allowedOrigins: ['https://ok.example/'],
      allowedHosts,
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
    expect(body.error.message).toContain('ALLOWED_ORIGINS')
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

  it('refuses a loopback Origin whose request the browser marks cross-site (CSRF)', async () => {
    const res = await post(appGuarding(), '/guarded', {
      origin: 'http://localhost:3000',
      'sec-fetch-site': 'cross-site',
    })
    expect(res.status).toBe(403)
    const sameSite = { origin: 'http://localhost:3000', 'sec-fetch-site': 'same-site' }
    expect((await post(appGuarding(), '/guarded', sameSite)).status).toBe(200)
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

  it('answers the names of ALLOWED_HOSTS (and loopback names), on any bind address', async () => {
    for (const bind of ['127.0.0.1', '0.0.0.0']) {
      const app = appGuarding(bind, ['Bridge.Example.com'])
      for (const host of ['bridge.example.com', 'BRIDGE.example.com:8443', 'localhost:8089']) {
        expect((await post(app, '/guarded', { host })).status, `${bind} ${host}`).toBe(200)
      }
      for (const host of ['evil.example', 'bridge.example.com.evil', 'example.com']) {
        expect((await post(app, '/guarded', { host })).status, `${bind} ${host}`).toBe(403)
      }
    }
  })

  it('refuses Sec-Fetch-Site: cross-site unless the Origin is allowed', async () => {
    const app = appGuarding()
    const cross = { 'sec-fetch-site': 'cross-site' }
    const res = await post(app, '/guarded', cross)
    expect([res.status, await code(res)]).toEqual([403, 'FORBIDDEN'])
    expect((await post(app, '/guarded', { ...cross, origin: 'https://ok.example' })).status).toBe(
      200,
    )
    for (const site of ['same-origin', 'same-site', 'none']) {
      expect((await post(app, '/guarded', { 'sec-fetch-site': site })).status).toBe(200)
    }
  })

  it('accepts a body only as application/json (415 otherwise), and no body at all', async () => {
    const app = appGuarding()
    const withBody = (type?: string) =>
      app.request('/guarded', {
        method: 'POST',
        // As on the wire: HTTP/1.1 announces a request body with Content-Length (or chunking).
        headers: {
          host: '127.0.0.1',
          'content-length': '16',
          ...(type ? { 'content-type': type } : {}),
        },
        body: '{"versions":[1]}',
      })
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonx',
      undefined,
    ]) {
      const res = await withBody(type)
      expect([res.status, await code(res)], String(type)).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE'])
    }
    for (const type of ['application/json', 'Application/JSON; charset=utf-8']) {
      expect((await withBody(type)).status, type).toBe(200)
    }
    expect((await post(app, '/guarded')).status).toBe(200)
  })

  it.each(['access_token', 'API_KEY', 'jwt'])(
    'refuses a credential in the query (%s)',
    async (p) => {
      const res = await post(appGuarding(), `/guarded?${p}=x`)
      expect([res.status, await code(res)]).toEqual([400, 'INVALID_INPUT'])
    },
  )
})
