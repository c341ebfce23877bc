/** @module http/debug-routes tests: /echo-headers exists only when enabled, and echoes an allow-list of header values. */
import { describe, expect, it } from 'vitest'
import { Hono } from 'hono'
import { loadConfig } from '../config/load.js'
import type { AppEnv } from './context.js'
import { REDACTED } from '../observability/logger.js'
import { registerDebugRoutes } from './debug-routes.js'

const appFor = (env: Record<string, string>) => {
  const app = new Hono<AppEnv>()
  registerDebugRoutes(app, loadConfig(env))
  return app
}

describe('registerDebugRoutes', () => {
  it('registers nothing by default', async () => {
    expect((await appFor({}).request('/echo-headers')).status).toBe(404)
  })

  it('echoes the values of allow-listed headers only, and the names of the others', async () => {
    const app = appFor({ DEBUG_ENDPOINTS: 'true' })
    const res = await app.request('/echo-headers', {
      headers: {
        authorization: 'Bearer secret-token-1',
        'x-api-key': 'secret-key-2',
        cookie: 'session=secret-cookie-3',
        'x-client-dn': 'CN=agent_x',
        'x-ssl-client-verify': 'SUCCESS',
        'x-vault-token': 'hvs.secret-4',
        'x-my-session-token': 'secret-5',
        // What a deny-list of credential-looking names missed (issue 12).
        'private-key': 'secret-6',
        'x-client-key': 'secret-7',
        'x-mtls-proxy-secret': 'secret-8',
        'x-request-id': 'visible-id',
        'user-agent': 'visible-agent',
      },
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { headers: Record<string, string> }
    for (const name of [
      'authorization',
      'x-api-key',
      'cookie',
      'x-client-dn',
      'x-ssl-client-verify',
      'x-vault-token',
      'x-my-session-token',
      'private-key',
      'x-client-key',
      'x-mtls-proxy-secret',
    ]) {
      expect(body.headers[name], name).toBe(REDACTED)
    }
    expect(body.headers['x-request-id']).toBe('visible-id')
    expect(body.headers['user-agent']).toBe('visible-agent')
    expect(JSON.stringify(body)).not.toMatch(/secret-\d|CN=agent_x|SUCCESS/)
  })
})
