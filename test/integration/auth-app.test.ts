/**
 * @module test/integration/auth-app: the three methods through the production app (createApp with
 * the real authenticator, the REST operation routes and /mcp) over real HTTP, against the dev
 * vault (or a real Vault when VAULT_ADDR is set).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT, base64url, exportJWK, generateKeyPair, type CryptoKey } from 'jose'
import { createHttpLayer } from '../../src/bridge.js'
import { loadConfig } from '../../src/config/load.js'
import type { Config } from '../../src/config/schema.js'
import { startHttpServer, type HttpServer } from '../../src/http/server.js'
import { recordingLogger, startVaultStack, type VaultStack } from '../helpers/vault-stack.js'
import { startKeyServer, type KeyServer } from '../helpers/auth-app.js'
import { proxyEnv, proxyHeaders } from '../helpers/mtls-proxy.js'

const SECRET = 'auth-app-test-secret-of-at-least-32-bytes'
const RESOURCE = 'http://bridge.test/mcp'
const ISSUER = 'http://idp.test/realms/mcp'
const METADATA = 'http://bridge.test/.well-known/oauth-protected-resource/mcp'

let stack: VaultStack
let keys: KeyServer
let server: HttpServer
let untrusted: HttpServer
let rsa: CryptoKey
const ids = { api: '', ro: '', jwt: '', rs: '', mtls: '' }
const apiKey = `key-${Math.random().toString(36).slice(2)}-0123456789`
const roKey = `ro-${Math.random().toString(36).slice(2)}-0123456789`
const { logger, lines } = recordingLogger()

const now = () => Math.floor(Date.now() / 1000)
const hs256 = (sub: string, extra: Record<string, unknown> = {}) =>
  new SignJWT({ sub, iss: ISSUER, aud: RESOURCE, iat: now(), exp: now() + 300, ...extra })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET))

async function serveApp(config: Config): Promise<HttpServer> {
  const { app } = createHttpLayer(stack.core, { logger, config })
  return startHttpServer({ fetch: app.fetch, host: '127.0.0.1', port: 0 })
}

async function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return {
    status: res.status,
    challenge: res.headers.get('www-authenticate'),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    json: (text ? JSON.parse(text) : undefined) as any,
  }
}

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'auth-app-test', version: '1.0.0' },
  },
}

/** The same request to a REST route and to /mcp: both must give the same refusal. */
async function onBoth(base: string, headers: Record<string, string>) {
  const rest = await call(base, 'GET', '/secrets/app/db', headers)
  const mcp = await call(
    base,
    'POST',
    '/mcp',
    { ...headers, accept: 'application/json, text/event-stream' },
    INIT,
  )
  return [rest, mcp]
}

beforeAll(async () => {
  stack = await startVaultStack()
  for (const k of Object.keys(ids) as (keyof typeof ids)[]) ids[k] = stack.agent(k)
  const pair = await generateKeyPair('RS256', { extractable: true })
  rsa = pair.privateKey
  keys = await startKeyServer({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1' }] })
  const authEnv = {
    ...proxyEnv(),
    API_KEYS_JSON: JSON.stringify({
      [apiKey]: ids.api,
      [roKey]: { agent: ids.ro, scopes: ['read', 'list'] },
    }),
    JWT_HS256_SECRET: SECRET,
    JWT_JWKS_URL: keys.jwksUrl,
    JWT_ISSUER: ISSUER,
    OAUTH_RESOURCE: RESOURCE,
    OAUTH_AUTHORIZATION_SERVERS: 'http://idp.test/realms/mcp',
    DEBUG_ENDPOINTS: 'true',
  }
  const auth = loadConfig(authEnv).auth
  server = await serveApp({ ...stack.config, auth, debugEndpoints: true })
  const untrustedAuth = loadConfig({ ...authEnv, ...proxyEnv('10.0.0.0/8') }).auth
  untrusted = await serveApp({ ...stack.config, auth: untrustedAuth })
})

afterAll(async () => {
  await server?.close(1000)
  await untrusted?.close(1000)
  await keys?.stop()
  await stack?.close()
})

describe('each method works on the REST routes of the production app', () => {
  const methods: [string, () => Promise<Record<string, string>>, keyof typeof ids][] = [
    ['API key', async () => ({ 'x-api-key': apiKey }), 'api'],
    ['HS256 JWT', async () => ({ authorization: `Bearer ${await hs256(ids.jwt)}` }), 'jwt'],
    [
      'RS256 JWT (JWKS)',
      async () => {
        // A JWKS token names its scopes: without a scope claim it gets none.
        const token = await new SignJWT({
          sub: ids.rs,
          iss: ISSUER,
          aud: RESOURCE,
          exp: now() + 300,
          scope: 'read write delete list',
        })
          .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
          .sign(rsa)
        return { authorization: `Bearer ${token}` }
      },
      'rs',
    ],
    [
      'mTLS headers from the trusted proxy',
      async () => proxyHeaders(`CN=${ids.mtls},O=Example`),
      'mtls',
    ],
  ]

  it.each(methods)('%s: writes and reads its own secret', async (_, creds, who) => {
    const headers = await creds()
    const marker = `value-${ids[who]}`
    const put = await call(server.url, 'PUT', '/secrets/app/db', headers, {
      data: { password: marker },
    })
    expect(put.status).toBe(200)
    const got = await call(server.url, 'GET', '/secrets/app/db', headers)
    expect(got.status).toBe(200)
    expect(got.json.data).toEqual({ password: marker })
  })

  it('each agent sees only its own secret under the same path', async () => {
    const got = await call(server.url, 'GET', '/secrets/app/db', { 'x-api-key': apiKey })
    expect(got.json.data).toEqual({ password: `value-${ids.api}` })
  })
})

describe('refusals through the production app, on REST and /mcp alike', () => {
  const INVALID = `Bearer error="invalid_token", resource_metadata="${METADATA}"`
  const NONE = `Bearer resource_metadata="${METADATA}"`

  it('no credential: 401 with resource_metadata', async () => {
    const [rest, mcp] = await onBoth(server.url, {})
    for (const res of [rest!, mcp!]) {
      expect(res.status).toBe(401)
      expect(res.challenge).toBe(NONE)
    }
    // Same code; REST in its envelope, /mcp as a JSON-RPC error (before the body is read: id null).
    expect(rest!.json.error.code).toBe('UNAUTHENTICATED')
    expect(mcp!.json).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { data: { code: 'UNAUTHENTICATED' } },
    })
  })

  it('a near-miss API key: 401 invalid_token, nothing written', async () => {
    const near = { 'x-api-key': `${apiKey.slice(0, -1)}x` }
    for (const res of await onBoth(server.url, near)) {
      expect(res.status).toBe(401)
      expect(res.challenge).toBe(INVALID)
    }
    const put = await call(server.url, 'PUT', '/secrets/app/intruder', near, { data: { a: 1 } })
    expect(put.status).toBe(401)
    const check = await call(server.url, 'GET', '/secrets/app/intruder', { 'x-api-key': apiKey })
    expect(check.status).toBe(404)
  })

  it('alg none: 401 invalid_token', async () => {
    const h = base64url.encode(JSON.stringify({ alg: 'none' }))
    const p = base64url.encode(
      JSON.stringify({ sub: ids.jwt, iss: ISSUER, aud: RESOURCE, exp: now() + 60 }),
    )
    for (const res of await onBoth(server.url, { authorization: `Bearer ${h}.${p}.` })) {
      expect(res.status).toBe(401)
      expect(res.challenge).toBe(INVALID)
    }
  })

  it('a token issued for another resource: 401 invalid_token', async () => {
    const token = await hs256(ids.jwt, { aud: 'http://other.test/mcp' })
    for (const res of await onBoth(server.url, { authorization: `Bearer ${token}` })) {
      expect(res.status).toBe(401)
      expect(res.challenge).toBe(INVALID)
    }
  })

  it('a read-only key writing: 403 insufficient_scope naming write', async () => {
    const res = await call(
      server.url,
      'PUT',
      '/secrets/app/db',
      { 'x-api-key': roKey },
      { data: { a: 1 } },
    )
    expect(res.status).toBe(403)
    expect(res.challenge).toBe(
      `Bearer error="insufficient_scope", scope="write", resource_metadata="${METADATA}"`,
    )
  })

  it('spoofed mTLS headers from an untrusted peer: 401', async () => {
    const spoofed = proxyHeaders(`CN=${ids.mtls}`)
    for (const res of await onBoth(untrusted.url, spoofed)) {
      expect(res.status).toBe(401)
      expect(res.challenge).toBe(NONE)
    }
  })

  it('an API key and a JWT naming different agents: 401', async () => {
    const both = { 'x-api-key': apiKey, authorization: `Bearer ${await hs256(ids.jwt)}` }
    for (const res of await onBoth(server.url, both)) {
      expect(res.status).toBe(401)
      expect(res.challenge).toBe(INVALID)
    }
  })
})

describe('/mcp with the SDK client', () => {
  it('an RS256 token from the JWKS and mTLS headers both reach whoami', async () => {
    const rs = await new SignJWT({ sub: ids.rs, iss: ISSUER, aud: RESOURCE, exp: now() + 300 })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .sign(rsa)
    const cases: [Record<string, string>, string, string][] = [
      [{ authorization: `Bearer ${rs}` }, ids.rs, 'jwt'],
      [proxyHeaders(`CN=${ids.mtls},O=Example`), ids.mtls, 'mtls'],
    ]
    for (const [headers, agent, method] of cases) {
      const client = new Client({ name: 'auth-app-test', version: '1.0.0' })
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
          requestInit: { headers },
        }),
      )
      try {
        const me = await client.callTool({ name: 'whoami', arguments: {} })
        expect(me.structuredContent).toMatchObject({ agent, method })
      } finally {
        await client.close()
      }
    }
  })
})

describe('public and debug routes of the production app', () => {
  it('serves the RFC 9728 document without credentials', async () => {
    const res = await call(server.url, 'GET', '/.well-known/oauth-protected-resource/mcp', {})
    expect(res.status).toBe(200)
    expect(res.json.resource).toBe(RESOURCE)
  })

  it('/echo-headers needs a credential and redacts it', async () => {
    expect((await call(server.url, 'GET', '/echo-headers', {})).status).toBe(401)
    const res = await call(server.url, 'GET', '/echo-headers', { 'x-api-key': apiKey })
    expect(res.status).toBe(200)
    expect(res.json.headers['x-api-key']).toBe('[redacted]')
    expect(
      (await call(untrusted.url, 'GET', '/echo-headers', { 'x-api-key': apiKey })).status,
    ).toBe(404)
  })

  it('no credential reached the logs', () => {
    const text = JSON.stringify(lines)
    for (const secret of [apiKey, roKey, SECRET]) expect(text).not.toContain(secret)
  })
})
