/**
 * @module MCP over Streamable HTTP against the production app: each auth method with the SDK
 * Client, the transport's edge cases (Origin, Host, protocol version, Accept, batch, methods,
 * 401/403 challenges) with raw requests, and MCP_SECRET_VALUES in every mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBridge } from '../../src/bridge.js'
import { loadConfig } from '../../src/config/load.js'
import { SCOPES, type Scope } from '../../src/core/identity.js'
import { REDACTED } from '../../src/observability/logger.js'
import {
  apiKeyOf,
  authHeaders,
  connectHttp,
  connectInMemory,
  startMcpApp,
  toolErrorCode,
  type AuthKind,
  type Connected,
  type McpApp,
} from '../helpers/mcp-harness.js'
import { silentLogger } from '../helpers/loggers.js'
import { httpClient, type RestResponse } from '../helpers/test-app.js'
import { startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

let stack: VaultStack
let app: McpApp
const open: Connected[] = []
const started: McpApp[] = []
let rw: string
let ro: string

beforeAll(async () => {
  stack = await startVaultStack()
  rw = stack.agent('http')
  ro = stack.agent('ro')
  app = await startMcpApp(stack, { [rw]: [...SCOPES], [ro]: ['read'] })
  started.push(app)
})

afterAll(async () => {
  for (const c of open) await c.close().catch(() => undefined)
  for (const a of started) await a.close()
  await stack?.close()
})

const track = (c: Connected) => {
  open.push(c)
  return c
}

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1.0.0' },
  },
}
const MCP_HEADERS = {
  accept: 'application/json, text/event-stream',
  'content-type': 'application/json',
  'mcp-protocol-version': '2025-11-25',
}

/** A raw POST /mcp (node:http, so that Host and Origin are sent as given). */
function post(
  body: unknown,
  headers: Record<string, string> = {},
  options: { to?: McpApp; path?: string; raw?: string } = {},
): Promise<RestResponse> {
  return httpClient((options.to ?? app).url).call('POST', options.path ?? '/mcp', {
    rawBody: options.raw ?? JSON.stringify(body),
    headers: { ...MCP_HEADERS, 'x-api-key': apiKeyOf(rw), ...headers },
  })
}

const expectError = (res: RestResponse, status: number, code: string) => {
  expect(res.status).toBe(status)
  expect(res.json?.error?.code).toBe(code)
}

describe('Streamable HTTP transport', () => {
  it('answers initialize with JSON, protocol 2025-11-25 and no session', async () => {
    const res = await post(INIT)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.json.result).toMatchObject({
      protocolVersion: '2025-11-25',
      serverInfo: { name: 'vault-mcp-bridge' },
      capabilities: { tools: {} },
    })
    expect(res.headers.get('mcp-session-id')).toBeNull()
    expect(res.headers.get('x-request-id')).toBeTruthy()
  })

  it('serves any request without a prior initialize (stateless) and 202s notifications', async () => {
    const list = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' })
    expect(list.status).toBe(200)
    expect(list.json.result.tools.length).toBe(14)
    const note = await post({ jsonrpc: '2.0', method: 'notifications/initialized' })
    expect(note.status).toBe(202)
  })

  it.each([
    ['a foreign site', 'https://evil.example'],
    ['an opaque origin', 'null'],
    ['a local page', 'http://localhost:3000'],
  ])('refuses an Origin from %s with 403 (none allowed by default)', async (_c, origin) => {
    expectError(await post(INIT, { origin }), 403, 'FORBIDDEN')
  })

  it('checks Origin and Host before authentication: 403, not 401, without a credential', async () => {
    const origin = await post(INIT, { origin: 'https://evil.example', 'x-api-key': '' })
    expectError(origin, 403, 'FORBIDDEN')
    expect(origin.headers.get('www-authenticate')).toBeNull()
    expectError(await post(INIT, { host: 'evil.example', 'x-api-key': '' }), 403, 'FORBIDDEN')
    const query = await post(INIT, { 'x-api-key': '' }, { path: '/mcp?access_token=abc' })
    expectError(query, 400, 'INVALID_INPUT')
  })

  it('accepts an Origin listed in ALLOWED_ORIGINS, and only that one', async () => {
    const allowing = await startMcpApp(
      stack,
      { [rw]: [...SCOPES] },
      { ALLOWED_ORIGINS: 'https://app.example.com' },
    )
    started.push(allowing)
    const ok = await post(INIT, { origin: 'https://app.example.com' }, { to: allowing })
    expect(ok.status).toBe(200)
    const other = await post(INIT, { origin: 'https://app.example.com.evil' }, { to: allowing })
    expectError(other, 403, 'FORBIDDEN')
  })

  it.each(['evil.example.com', 'evil.example.com:80', '10.0.0.1', 'localhost.evil.com'])(
    'refuses Host %s on a loopback-bound server with 403 (DNS rebinding)',
    async (host) => {
      expectError(await post(INIT, { host }), 403, 'FORBIDDEN')
    },
  )

  it.each(['localhost:8089', '127.0.0.1', '[::1]:8089', 'LOCALHOST'])(
    'accepts Host %s on a loopback-bound server',
    async (host) => {
      expect((await post(INIT, { host })).status).toBe(200)
    },
  )

  it('does not check Host when bound to all interfaces (a proxy sets it)', async () => {
    const wide = await startMcpApp(stack, { [rw]: [...SCOPES] }, { HOST: '0.0.0.0' })
    started.push(wide)
    expect((await post(INIT, { host: 'bridge.example.com' }, { to: wide })).status).toBe(200)
  })

  it.each(['access_token', 'api_key', 'token', 'X-API-Key'])(
    'refuses a credential in the query string (%s)',
    async (param) => {
      const res = await post(INIT, {}, { path: `/mcp?${param}=${apiKeyOf(rw)}` })
      expectError(res, 400, 'INVALID_INPUT')
      expect(res.text).not.toContain(apiKeyOf(rw))
    },
  )

  it('refuses an unsupported MCP-Protocol-Version with 400 and takes the supported ones', async () => {
    const list = { jsonrpc: '2.0', id: 3, method: 'tools/list' }
    expectError(await post(list, { 'mcp-protocol-version': '1999-01-01' }), 400, 'INVALID_INPUT')
    for (const v of ['2025-11-25', '2025-06-18', '2025-03-26']) {
      expect((await post(list, { 'mcp-protocol-version': v })).status).toBe(200)
    }
  })

  it.each(['application/json', 'text/event-stream', 'text/html', ''])(
    'refuses Accept "%s" with 406',
    async (accept) => {
      expectError(await post(INIT, { accept }), 406, 'NOT_ACCEPTABLE')
    },
  )

  it('refuses a body that is not one JSON-RPC message', async () => {
    expectError(await post([INIT]), 400, 'INVALID_INPUT')
    expectError(await post(null, {}, { raw: '{"jsonrpc":' }), 400, 'INVALID_INPUT')
    expectError(await post(INIT, { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE')
  })

  it.each(['GET', 'DELETE', 'PUT'])('answers %s with 405 and Allow: POST', async (method) => {
    const res = await httpClient(app.url).call(method, '/mcp', {
      headers: { accept: 'text/event-stream', 'x-api-key': apiKeyOf(rw) },
    })
    expectError(res, 405, 'METHOD_NOT_ALLOWED')
    expect(res.headers.get('allow')).toBe('POST')
  })

  it('answers 401 with a Bearer challenge without a credential, or with a bad one', async () => {
    const none = await post(INIT, { 'x-api-key': '' })
    expectError(none, 401, 'UNAUTHENTICATED')
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer\b/)
    const bad = await post(INIT, { authorization: 'Bearer not-a-jwt', 'x-api-key': '' })
    expectError(bad, 401, 'UNAUTHENTICATED')
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"')
  })

  it('points the 401 challenge at the protected-resource metadata when OAuth is set', async () => {
    const oauth = await startMcpApp(
      stack,
      { [rw]: [...SCOPES] },
      {
        OAUTH_RESOURCE: 'https://bridge.example.com/mcp',
        OAUTH_AUTHORIZATION_SERVERS: 'https://auth.example.com',
      },
    )
    started.push(oauth)
    const res = await post(INIT, { 'x-api-key': '' }, { to: oauth })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain(
      'resource_metadata="https://bridge.example.com/.well-known/oauth-protected-resource/mcp"',
    )
  })

  it('answers a tool call outside the scopes with 403 insufficient_scope', async () => {
    const call = {
      jsonrpc: '2.0',
      id: 4,
      method: 'tools/call',
      params: { name: 'write_secret', arguments: { path: 'x', data: { a: 1 } } },
    }
    const res = await post(call, { 'x-api-key': apiKeyOf(ro) })
    expectError(res, 403, 'FORBIDDEN')
    expect(res.headers.get('www-authenticate')).toMatch(
      /^Bearer error="insufficient_scope", scope="write"/,
    )
    const read = await post(
      { ...call, params: { name: 'read_secret', arguments: { path: 'x' } } },
      { 'x-api-key': apiKeyOf(ro) },
    )
    expect(read.status).toBe(200)
    expect(read.json.result.isError).toBe(true)
  })
})

describe.each(['api_key', 'jwt', 'mtls'] as const)('the SDK client with %s', (kind: AuthKind) => {
  it('lists tools, writes and reads a secret, and knows who it is', async () => {
    const agent = stack.agent(kind.replace('_', ''))
    const scoped = await startMcpApp(stack, { [agent]: [...SCOPES] })
    started.push(scoped)
    const { client } = track(
      await connectHttp(scoped.mcpUrl, await authHeaders(kind, agent, SCOPES)),
    )
    expect((await client.listTools()).tools).toHaveLength(14)
    const me = await client.callTool({ name: 'whoami', arguments: {} })
    expect(me.structuredContent).toMatchObject({ agent, method: kind })
    const w = await client.callTool({
      name: 'write_secret',
      arguments: { path: 'k', data: { v: kind } },
    })
    expect(w.isError).toBeFalsy()
    const r = await client.callTool({ name: 'read_secret', arguments: { path: 'k' } })
    expect(r.structuredContent).toMatchObject({ data: { v: kind } })
  })
})

describe('scopes from a JWT', () => {
  it('lists only the tools the token’s scopes allow', async () => {
    const agent = stack.agent('jwtro')
    const scopes: Scope[] = ['read', 'list']
    const { client } = track(await connectHttp(app.mcpUrl, await authHeaders('jwt', agent, scopes)))
    const names = (await client.listTools()).tools.map((t) => t.name)
    expect(names).toEqual([
      'read_secret',
      'list_secrets',
      'read_secret_metadata',
      'decrypt',
      'whoami',
    ])
  })
})

describe('MCP_SECRET_VALUES', () => {
  let agent: string
  beforeAll(async () => {
    agent = stack.agent('modes')
    const principal = { agent, scopes: [...SCOPES], method: 'stdio' as const }
    const { client } = track(await connectInMemory(stack.runner, principal))
    await client.callTool({
      name: 'write_secret',
      arguments: { path: 'db', data: { user: 'app', password: 's3cret-value' } },
    })
  })

  const appWith = async (mode: string) => {
    const a = await startMcpApp(stack, { [agent]: [...SCOPES] }, { MCP_SECRET_VALUES: mode })
    started.push(a)
    return a
  }

  it('reveal (default) returns the values over HTTP', async () => {
    const { client } = track(await connectHttp(app.mcpUrl, { 'x-api-key': apiKeyOf(rw) }))
    await client.callTool({ name: 'write_secret', arguments: { path: 'r', data: { p: 'v1' } } })
    const r = await client.callTool({ name: 'read_secret', arguments: { path: 'r' } })
    expect(r.structuredContent).toMatchObject({ data: { p: 'v1' } })
  })

  it('redact masks values over HTTP and keeps keys and metadata', async () => {
    const a = await appWith('redact')
    const { client } = track(await connectHttp(a.mcpUrl, { 'x-api-key': apiKeyOf(agent) }))
    const r = await client.callTool({ name: 'read_secret', arguments: { path: 'db' } })
    expect(r.structuredContent).toMatchObject({
      path: 'db',
      data: { user: REDACTED, password: REDACTED },
      metadata: { version: 1 },
    })
    expect(JSON.stringify(r)).not.toContain('s3cret-value')
    const enc = await client.callTool({
      name: 'encrypt',
      arguments: { key: 'k', plaintext: Buffer.from('pt').toString('base64') },
    })
    const ct = (enc.structuredContent as { ciphertext: string }).ciphertext
    const dec = await client.callTool({ name: 'decrypt', arguments: { key: 'k', ciphertext: ct } })
    expect(dec.structuredContent).toEqual({ key: 'k', plaintext: REDACTED })
  })

  it('elicit over stateless HTTP refuses clearly, even for a client that could be asked', async () => {
    const a = await appWith('elicit')
    const c = track(
      await connectHttp(a.mcpUrl, { 'x-api-key': apiKeyOf(agent) }, { elicit: 'accept' }),
    )
    const r = await c.client.callTool({ name: 'read_secret', arguments: { path: 'db' } })
    expect(toolErrorCode(r)).toBe('FORBIDDEN')
    expect(JSON.stringify(r)).not.toContain('s3cret-value')
    expect(c.asked).toEqual([])
    // Results without secret values still work.
    const meta = await c.client.callTool({
      name: 'read_secret_metadata',
      arguments: { path: 'db' },
    })
    expect(meta.isError).toBeFalsy()
  })

  it('elicit in memory (as stdio) asks the user and reveals only on accept', async () => {
    const principal = { agent, scopes: [...SCOPES], method: 'stdio' as const }
    const yes = track(
      await connectInMemory(stack.runner, principal, { secretValues: 'elicit', elicit: 'accept' }),
    )
    const r = await yes.client.callTool({ name: 'read_secret', arguments: { path: 'db' } })
    expect(r.structuredContent).toMatchObject({ data: { password: 's3cret-value' } })
    expect(yes.asked).toHaveLength(1)
    expect(yes.asked[0]).not.toContain('s3cret-value')
    const no = track(
      await connectInMemory(stack.runner, principal, { secretValues: 'elicit', elicit: 'decline' }),
    )
    const d = await no.client.callTool({ name: 'read_secret', arguments: { path: 'db' } })
    expect(toolErrorCode(d)).toBe('FORBIDDEN')
    expect(JSON.stringify(d)).not.toContain('s3cret-value')
  })
})

describe('the bridge as `serve` composes it', () => {
  it('serves /mcp with authentication, scopes and the audit trail on', async () => {
    const agent = stack.agent('serve')
    const config = loadConfig({
      VAULT_ADDR: stack.vault.url,
      VAULT_TOKEN: stack.vault.rootToken,
      DEFAULT_PREFIX: stack.prefix,
      PORT: '0',
      API_KEYS_JSON: JSON.stringify({ [apiKeyOf(agent)]: { agent, scopes: ['read', 'write'] } }),
      AUDIT_LOG: 'off',
      METRICS_ENABLED: 'false',
    })
    const bridge = await startBridge(config, silentLogger())
    try {
      const c = track(
        await connectHttp(new URL('/mcp', bridge.url), { 'x-api-key': apiKeyOf(agent) }),
      )
      const names = (await c.client.listTools()).tools.map((t) => t.name)
      expect(names).not.toContain('delete_secret')
      expect(names).toContain('write_secret')
      const w = await c.client.callTool({
        name: 'write_secret',
        arguments: { path: 'served', data: { a: 'b' } },
      })
      expect(w.isError).toBeFalsy()
      const r = await c.client.callTool({ name: 'read_secret', arguments: { path: 'served' } })
      expect(r.structuredContent).toMatchObject({ data: { a: 'b' } })
      const anonymous = await httpClient(bridge.url).call('POST', '/mcp', {
        rawBody: JSON.stringify(INIT),
        headers: MCP_HEADERS,
      })
      expect(anonymous.status).toBe(401)
      const foreign = await httpClient(bridge.url).call('POST', '/mcp', {
        rawBody: JSON.stringify(INIT),
        headers: { ...MCP_HEADERS, origin: 'https://evil.example' },
      })
      expect(foreign.status).toBe(403)
    } finally {
      await bridge.stop()
    }
  })
})
