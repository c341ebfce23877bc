/** @module test/integration/auth-oauth: RFC 9728 metadata, challenges without OAuth, IPv6 proxies, debug routes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { get, startAuthApp, type AuthApp } from '../helpers/auth-app.js'
import { proxyEnv, proxyHeaders } from '../helpers/mtls-proxy.js'

const API_KEY = 'key-agent-api-0123456789abcdef'
const keys = JSON.stringify({ [API_KEY]: 'agent_api' })
const mtls = proxyHeaders('CN=agent_mtls')
let withOauth: AuthApp
let withoutOauth: AuthApp
let ipv6: AuthApp
let ipv6Untrusted: AuthApp

beforeAll(async () => {
  withOauth = await startAuthApp({
    API_KEYS_JSON: keys,
    DEBUG_ENDPOINTS: 'true',
    ...proxyEnv(),
    OAUTH_RESOURCE: 'http://mcp.127-0-0-1.sslip.io:8001/mcp',
    OAUTH_RESOURCE_NAME: 'MCP Server',
    OAUTH_AUTHORIZATION_SERVERS: 'http://keycloak.127-0-0-1.sslip.io:8002/realms/mcp',
  })
  withoutOauth = await startAuthApp({ API_KEYS_JSON: keys })
  ipv6 = await startAuthApp(proxyEnv(), {}, '::1')
  ipv6Untrusted = await startAuthApp(proxyEnv('127.0.0.1/32'), {}, '::1')
})

afterAll(async () => {
  await Promise.all([withOauth, withoutOauth, ipv6, ipv6Untrusted].map((a) => a?.close()))
})

describe('OAuth 2.1 protected-resource metadata (RFC 9728)', () => {
  it.each(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp'])(
    '%s is public and describes the resource',
    async (path) => {
      const res = await get(`${withOauth.url}${path}`)
      expect(res.status).toBe(200)
      expect(res.body).toEqual({
        resource: 'http://mcp.127-0-0-1.sslip.io:8001/mcp',
        resource_name: 'MCP Server',
        authorization_servers: ['http://keycloak.127-0-0-1.sslip.io:8002/realms/mcp'],
        bearer_methods_supported: ['header'],
        scopes_supported: ['read', 'write', 'delete', 'list'],
      })
    },
  )

  it('401s point at the path-aware metadata document, which exists', async () => {
    const res = await get(`${withOauth.url}/protected`)
    expect(res.status).toBe(401)
    const url = /resource_metadata="([^"]+)"/.exec(res.challenge ?? '')?.[1]
    expect(url).toBe('http://mcp.127-0-0-1.sslip.io:8001/.well-known/oauth-protected-resource/mcp')
    const path = new URL(url ?? 'http://x/').pathname
    expect((await get(`${withOauth.url}${path}`)).status).toBe(200)
  })

  it('without OAUTH_AUTHORIZATION_SERVERS: documents 404, 401s omit resource_metadata', async () => {
    expect((await get(`${withoutOauth.url}/.well-known/oauth-protected-resource`)).status).toBe(404)
    expect((await get(`${withoutOauth.url}/.well-known/oauth-protected-resource/mcp`)).status).toBe(
      404,
    )
    expect((await get(`${withoutOauth.url}/protected`)).challenge).toBe('Bearer')
    const bad = await get(`${withoutOauth.url}/protected`, { 'x-api-key': 'wrong-key-123' })
    expect(bad.challenge).toBe('Bearer error="invalid_token"')
  })
})

describe('mTLS proxies over IPv6', () => {
  it('trusts ::1 by default', async () => {
    const res = await get(`${ipv6.url}/protected`, mtls)
    expect(res.status).toBe(200)
    expect(res.body.principal).toMatchObject({ agent: 'agent_mtls', method: 'mtls' })
  })

  it('ignores ::1 when only 127.0.0.1/32 is trusted', async () => {
    const res = await get(`${ipv6Untrusted.url}/protected`, mtls)
    expect(res.status).toBe(401)
    expect(ipv6Untrusted.lines.some((l) => l.level === 'warn')).toBe(true)
  })
})

describe('debug routes', () => {
  it('/echo-headers requires authentication and redacts credentials', async () => {
    expect((await get(`${withOauth.url}/echo-headers`)).status).toBe(401)
    const res = await get(`${withOauth.url}/echo-headers`, { 'x-api-key': API_KEY, cookie: 'a=b' })
    expect(res.status).toBe(200)
    const headers = res.body.headers as Record<string, string>
    expect(headers['x-api-key']).toBe('[redacted]')
    expect(headers.cookie).toBe('[redacted]')
    expect(JSON.stringify(res.body)).not.toContain(API_KEY)
  })

  it('/echo-headers does not exist unless DEBUG_ENDPOINTS=true', async () => {
    const res = await get(`${withoutOauth.url}/echo-headers`, { 'x-api-key': API_KEY })
    expect(res.status).toBe(404)
  })
})
