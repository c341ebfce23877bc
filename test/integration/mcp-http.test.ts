/**
 * @module MCP over Streamable HTTP against the production app: both protocol generations on the
 * one stateless `/mcp` (2025-11-25 with `initialize`, 2026-07-28 with `server/discover` and the
 * per-request `_meta` envelope), each auth method with both SDK clients, the transport's edge
 * cases (Origin, Host, credentials in the URL, Accept, Content-Type, batches, methods, 401/403
 * challenges) as raw requests with their JSON-RPC refusals, and MCP_SECRET_VALUES in every mode.
 */
import { InsufficientScopeError } from '@modelcontextprotocol/client'
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBridge } from '../../src/bridge.js'
import { loadConfig } from '../../src/config/load.js'
import { SCOPES, type Scope } from '../../src/core/identity.js'
import { OPERATIONS } from '../../src/core/operations.js'
import { REDACTED } from '../../src/observability/logger.js'
import {
  CLIENT_KINDS,
  MCP_HEADERS,
  MODERN,
  apiKeyOf,
  authHeaders,
  connectHttp,
  connectStdio,
  postMcp,
  postModern,
  startMcpApp,
  suiteResources,
  toolErrorCode,
  type AuthKind,
  type ClientKind,
  type McpApp,
} from '../helpers/mcp-harness.js'
import { recordingLogger } from '../helpers/loggers.js'
import { INITIALIZE_2025 } from '../helpers/stdio-pipe.js'
import { httpClient, type RestResponse } from '../helpers/test-app.js'
import { startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

let stack: VaultStack
let app: McpApp
const opened = suiteResources()
const track = opened.track
let rw: string
let ro: string

beforeAll(async () => {
  stack = await startVaultStack()
  rw = stack.agent('http')
  ro = stack.agent('ro')
  app = await startMcpApp(stack, { [rw]: [...SCOPES], [ro]: ['read'] })
  opened.app(app)
})

afterAll(async () => {
  await opened.closeAll()
  await stack?.close()
})

const INIT = INITIALIZE_2025

/** A raw POST /mcp as the read-write agent unless the headers say otherwise. */
const post = (
  body: unknown,
  headers: Record<string, string> = {},
  options: { to?: McpApp; path?: string; raw?: string } = {},
): Promise<RestResponse> =>
  postMcp((options.to ?? app).url, body, { 'x-api-key': apiKeyOf(rw), ...headers }, options)

/** A raw 2026-07-28 request as the read-write agent unless the headers say otherwise. */
const modern = (
  method: string,
  params: Record<string, unknown> = {},
  options: { id?: number | string; headers?: Record<string, string>; to?: McpApp } = {},
): Promise<RestResponse> =>
  postModern((options.to ?? app).url, method, params, {
    ...options,
    headers: { 'x-api-key': apiKeyOf(rw), ...options.headers },
  })

/** A JSON-RPC refusal: the HTTP status, the bridge's code in `data.code`, and the id. */
const expectRefusal = (
  res: RestResponse,
  status: number,
  code: string,
  id: number | string | null = null,
) => {
  expect(res.status).toBe(status)
  expect(res.json).toMatchObject({ jsonrpc: '2.0', id, error: { data: { code } } })
  expect(typeof res.json.error.code).toBe('number')
  expect(res.json.error.message).toMatch(new RegExp(`^${code}: \\S`))
}

describe('Streamable HTTP, 2025-11-25', () => {
  it('answers initialize with JSON, protocol 2025-11-25 and no session', async () => {
    const res = await post(INIT)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.json.result).toMatchObject({
      protocolVersion: '2025-11-25',
      serverInfo: { name: 'vault-mcp-bridge' },
      capabilities: { tools: {} },
    })
    expect(res.json.result).not.toHaveProperty('resultType')
    expect(res.headers.get('mcp-session-id')).toBeNull()
    expect(res.headers.get('x-request-id')).toBeTruthy()
  })

  it('serves any request without a prior initialize (stateless) and 202s notifications', async () => {
    const list = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' })
    expect(list.status).toBe(200)
    expect(list.json.result.tools.length).toBe(OPERATIONS.length)
    expect(list.json.result).not.toHaveProperty('ttlMs')
    const note = await post({ jsonrpc: '2.0', method: 'notifications/initialized' })
    expect(note.status).toBe(202)
  })

  it('takes the 2025 protocol versions and refuses an unknown one with 400', async () => {
    const list = { jsonrpc: '2.0', id: 3, method: 'tools/list' }
    for (const v of ['2025-11-25', '2025-06-18', '2025-03-26']) {
      expect((await post(list, { 'mcp-protocol-version': v })).status).toBe(200)
    }
    expectRefusal(
      await post(list, { 'mcp-protocol-version': '1999-01-01' }),
      400,
      'INVALID_INPUT',
      3,
    )
  })

  it('answers an unknown tool with -32602 once, not prefixed twice', async () => {
    const res = await post({
      jsonrpc: '2.0',
      id: 4,
      method: 'tools/call',
      params: { name: 'sudo', arguments: {} },
    })
    expect(res.json.error.code).toBe(-32602)
    expect(res.json.error.message).not.toContain('-32602')
    expect(res.json.error.message).toContain('tools/list')
  })
})

describe('Streamable HTTP, 2026-07-28 on the same endpoint', () => {
  it('answers server/discover with the modern revision, capabilities and server info', async () => {
    const res = await modern('server/discover')
    expect(res.status).toBe(200)
    expect(res.json.id).toBe(7)
    expect(res.json.result).toMatchObject({
      supportedVersions: expect.arrayContaining([MODERN]),
      capabilities: { tools: { listChanged: false } },
      resultType: 'complete',
      cacheScope: 'public',
      ttlMs: expect.any(Number),
      _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'vault-mcp-bridge' } },
    })
  })

  it('lists tools privately cacheable, in the catalogue order, the same every time', async () => {
    const first = await modern('tools/list')
    expect(first.json.result).toMatchObject({
      resultType: 'complete',
      cacheScope: 'private',
      ttlMs: 60_000,
    })
    const names = first.json.result.tools.map((t: { name: string }) => t.name)
    expect(names).toEqual(OPERATIONS.map((op) => op.name))
    const again = await modern('tools/list', {}, { id: 8 })
    expect(again.json.result.tools).toEqual(first.json.result.tools)
  })

  it('calls a tool: a complete result with structured content and the request id', async () => {
    const res = await modern('tools/call', { name: 'whoami', arguments: {} }, { id: 'w-1' })
    expect(res.status).toBe(200)
    expect(res.json.id).toBe('w-1')
    expect(res.json.result).toMatchObject({
      resultType: 'complete',
      structuredContent: { agent: rw, method: 'api_key' },
    })
    expect(res.json.result).not.toHaveProperty('ttlMs')
  })

  it.each([
    ['Mcp-Method that is not the body method', { 'mcp-method': 'tools/call' }, 'tools/list', {}],
    ['no MCP-Protocol-Version', { 'mcp-protocol-version': '' }, 'tools/list', {}],
    [
      'MCP-Protocol-Version unlike the envelope',
      { 'mcp-protocol-version': '2025-11-25' },
      'tools/list',
      {},
    ],
    [
      'Mcp-Name that is not the tool',
      { 'mcp-name': 'read_secret' },
      'tools/call',
      { name: 'whoami', arguments: {} },
    ],
  ])('refuses %s with 400 -32020 and the request id', async (_c, headers, method, params) => {
    const res = await modern(method, params, { id: 42, headers })
    expect(res.status).toBe(400)
    expect(res.json).toMatchObject({ jsonrpc: '2.0', id: 42, error: { code: -32020 } })
  })

  it('refuses an envelope naming an unknown revision with -32022 and the supported ones', async () => {
    const body = {
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/list',
      params: {
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2099-01-01',
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    }
    const res = await post(body, {
      'mcp-protocol-version': '2099-01-01',
      'mcp-method': 'tools/list',
    })
    expect(res.status).toBe(400)
    expect(res.json).toMatchObject({
      id: 9,
      error: { code: -32022, data: { supported: expect.arrayContaining([MODERN]) } },
    })
  })

  it('refuses a modern header without the _meta envelope with 400 -32602', async () => {
    const res = await post(
      { jsonrpc: '2.0', id: 10, method: 'tools/list' },
      { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' },
    )
    expect(res.status).toBe(400)
    expect(res.json).toMatchObject({ id: 10, error: { code: -32602 } })
  })

  it('acknowledges subscriptions/listen with nothing to deliver and ends the stream at once', async () => {
    // The tool list never changes (listChanged: false), so no filter is honoured and no
    // long-lived stream is held open (none to outlast a graceful shutdown).
    const res = await modern('subscriptions/listen', { notifications: { toolsListChanged: true } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const events = res.text
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as Record<string, any>) // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(events[0]).toMatchObject({
      method: 'notifications/subscriptions/acknowledged',
      params: { notifications: {} },
    })
    expect(events.at(-1)).toMatchObject({ id: 7, result: { resultType: 'complete' } })
  })

  it('answers methods the revision removed (initialize, ping) with 404 -32601', async () => {
    for (const method of ['ping', 'initialize']) {
      const res = await modern(method, method === 'initialize' ? INIT.params : {}, { id: 11 })
      expect([method, res.status, res.json?.error?.code]).toEqual([method, 404, -32601])
    }
  })

  it('answers an unknown tool with -32602 once, not prefixed twice', async () => {
    const res = await modern('tools/call', { name: 'sudo', arguments: {} })
    expect(res.json.error.code).toBe(-32602)
    expect(res.json.error.message).not.toContain('-32602')
  })
})

describe('refusals on /mcp are JSON-RPC errors with the spec’s status', () => {
  it.each([
    ['a foreign site', 'https://evil.example'],
    ['an opaque origin', 'null'],
    ['a look-alike of localhost', 'http://localhost.evil.example:3000'],
  ])('refuses an Origin from %s with 403 and id null (body never read)', async (_c, origin) => {
    expectRefusal(await post(INIT, { origin }), 403, 'FORBIDDEN', null)
  })

  it('accepts a loopback Origin on a loopback-bound bridge by default', async () => {
    // A page this machine serves itself; DNS rebinding is refused by the Host check instead.
    for (const origin of ['http://localhost:3000', `http://127.0.0.1:${app.server.port}`]) {
      expect([origin, (await post(INIT, { origin })).status]).toEqual([origin, 200])
    }
  })

  it('checks Origin and Host before authentication: 403, not 401, without a credential', async () => {
    const origin = await post(INIT, { origin: 'https://evil.example', 'x-api-key': '' })
    expectRefusal(origin, 403, 'FORBIDDEN')
    expect(origin.headers.get('www-authenticate')).toBeNull()
    expectRefusal(await post(INIT, { host: 'evil.example', 'x-api-key': '' }), 403, 'FORBIDDEN')
    const query = await post(INIT, { 'x-api-key': '' }, { path: '/mcp?access_token=abc' })
    expectRefusal(query, 400, 'INVALID_INPUT')
  })

  it('accepts an Origin listed in ALLOWED_ORIGINS, and only that one', async () => {
    const allowing = await startMcpApp(
      stack,
      { [rw]: [...SCOPES] },
      { ALLOWED_ORIGINS: 'https://app.example.com', HOST: '0.0.0.0' },
    )
    opened.app(allowing)
    const ok = await post(INIT, { origin: 'https://app.example.com' }, { to: allowing })
    expect(ok.status).toBe(200)
    const other = await post(INIT, { origin: 'https://app.example.com.evil' }, { to: allowing })
    expectRefusal(other, 403, 'FORBIDDEN')
    // Not bound to loopback: a loopback Origin is as foreign as any other unless listed.
    const local = await post(INIT, { origin: 'http://localhost:3000' }, { to: allowing })
    expectRefusal(local, 403, 'FORBIDDEN')
  })

  it.each(['evil.example.com', 'evil.example.com:80', '10.0.0.1', 'localhost.evil.com'])(
    'refuses Host %s on a loopback-bound server with 403 (DNS rebinding)',
    async (host) => {
      expectRefusal(await post(INIT, { host }), 403, 'FORBIDDEN')
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
    opened.app(wide)
    expect((await post(INIT, { host: 'bridge.example.com' }, { to: wide })).status).toBe(200)
  })

  it.each(['access_token', 'api_key', 'token', 'X-API-Key'])(
    'refuses a credential in the query string (%s)',
    async (param) => {
      const res = await post(INIT, {}, { path: `/mcp?${param}=${apiKeyOf(rw)}` })
      expectRefusal(res, 400, 'INVALID_INPUT')
      expect(res.text).not.toContain(apiKeyOf(rw))
    },
  )

  it.each(['application/json', 'text/event-stream', 'text/html', ''])(
    'refuses Accept "%s" with 406 and the request id',
    async (accept) => {
      expectRefusal(await post(INIT, { accept }), 406, 'NOT_ACCEPTABLE', 1)
    },
  )

  it('refuses a body that is not one JSON-RPC message, with the JSON-RPC codes', async () => {
    const batch = await post([INIT])
    expectRefusal(batch, 400, 'INVALID_INPUT')
    expect(batch.json.error.code).toBe(-32600)
    const garbled = await post(null, {}, { raw: '{"jsonrpc":' })
    expectRefusal(garbled, 400, 'INVALID_INPUT')
    expect(garbled.json.error.code).toBe(-32700)
    expectRefusal(await post(INIT, { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE')
  })

  it.each(['GET', 'DELETE', 'PUT'])('answers %s with 405 and Allow: POST', async (method) => {
    const res = await httpClient(app.url).call(method, '/mcp', {
      headers: { accept: 'text/event-stream', 'x-api-key': apiKeyOf(rw) },
    })
    expectRefusal(res, 405, 'METHOD_NOT_ALLOWED')
    expect(res.headers.get('allow')).toBe('POST')
  })

  it('answers 401 with a Bearer challenge without a credential, or with a bad one', async () => {
    const none = await post(INIT, { 'x-api-key': '' })
    expectRefusal(none, 401, 'UNAUTHENTICATED')
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer\b/)
    const bad = await post(INIT, { authorization: 'Bearer not-a-jwt', 'x-api-key': '' })
    expectRefusal(bad, 401, 'UNAUTHENTICATED')
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"')
  })

  it('keeps the REST error envelope on REST routes', async () => {
    const res = await httpClient(app.url).call('GET', '/whoami', {})
    expect(res.status).toBe(401)
    expect(res.json).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } })
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
    opened.app(oauth)
    const res = await post(INIT, { 'x-api-key': '' }, { to: oauth })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain(
      'resource_metadata="https://bridge.example.com/.well-known/oauth-protected-resource/mcp"',
    )
  })
})

describe('step-up: a tool outside the scopes is a 403 insufficient_scope in both generations', () => {
  const call = (name: string, args: Record<string, unknown>) => ({
    jsonrpc: '2.0',
    id: 4,
    method: 'tools/call',
    params: { name, arguments: args },
  })

  it('2025-11-25: 403 with the challenge and the request id; allowed tools still answer', async () => {
    const res = await post(call('write_secret', { path: 'x', data: { a: 1 } }), {
      'x-api-key': apiKeyOf(ro),
    })
    expectRefusal(res, 403, 'FORBIDDEN', 4)
    expect(res.headers.get('www-authenticate')).toMatch(
      /^Bearer error="insufficient_scope", scope="write"/,
    )
    const read = await post(call('read_secret', { path: 'x' }), { 'x-api-key': apiKeyOf(ro) })
    expect(read.status).toBe(200)
    expect(read.json.result.isError).toBe(true)
  })

  it('2026-07-28: the same 403 and challenge, with the request id', async () => {
    const res = await modern(
      'tools/call',
      { name: 'delete_secret', arguments: { path: 'x' } },
      { id: 'up-1', headers: { 'x-api-key': apiKeyOf(ro) } },
    )
    expectRefusal(res, 403, 'FORBIDDEN', 'up-1')
    expect(res.headers.get('www-authenticate')).toMatch(
      /^Bearer error="insufficient_scope", scope="delete"/,
    )
  })

  it('carries resource_metadata in the challenge when OAuth is set', async () => {
    const oauth = await startMcpApp(
      stack,
      { [ro]: ['read'] },
      {
        OAUTH_RESOURCE: 'https://bridge.example.com/mcp',
        OAUTH_AUTHORIZATION_SERVERS: 'https://auth.example.com',
      },
    )
    opened.app(oauth)
    const res = await modern(
      'tools/call',
      { name: 'write_secret', arguments: { path: 'x', data: { a: 1 } } },
      { to: oauth, headers: { 'x-api-key': apiKeyOf(ro) } },
    )
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", scope="write", resource_metadata=' +
        '"https://bridge.example.com/.well-known/oauth-protected-resource/mcp"',
    )
  })

  it.each(CLIENT_KINDS)('the %s client sees the refusal as its SDK reports a 403', async (kind) => {
    const { client } = track(
      await connectHttp(app.mcpUrl, { 'x-api-key': apiKeyOf(ro) }, { client: kind }),
    )
    const err = await client
      .callTool({ name: 'write_secret', arguments: { path: 'x', data: { a: 1 } } })
      .catch((e: unknown) => e)
    if (kind === 'v1') {
      expect(err).toBeInstanceOf(StreamableHTTPError)
      expect((err as StreamableHTTPError).code).toBe(403)
    } else {
      expect(err).toBeInstanceOf(InsufficientScopeError)
    }
  })
})

describe.each(CLIENT_KINDS)('the %s SDK client', (kind: ClientKind) => {
  it.each(['api_key', 'jwt', 'mtls'] as const)(
    'with %s lists tools, writes and reads a secret, and knows who it is',
    async (auth: AuthKind) => {
      const agent = stack.agent(`${kind}${auth.replace('_', '')}`)
      const scoped = await startMcpApp(stack, { [agent]: [...SCOPES] })
      opened.app(scoped)
      const headers = await authHeaders(auth, agent, SCOPES)
      const { client } = track(await connectHttp(scoped.mcpUrl, headers, { client: kind }))
      expect((await client.listTools()).tools).toHaveLength(OPERATIONS.length)
      const me = await client.callTool({ name: 'whoami', arguments: {} })
      expect(me.structuredContent).toMatchObject({ agent, method: auth })
      const w = await client.callTool({
        name: 'write_secret',
        arguments: { path: 'k', data: { v: auth } },
      })
      expect(w.isError).toBeFalsy()
      const r = await client.callTool({ name: 'read_secret', arguments: { path: 'k' } })
      expect(r.structuredContent).toMatchObject({ data: { v: auth } })
    },
  )

  it('lists only the tools a JWT’s scopes allow', async () => {
    const agent = stack.agent(`${kind}jwtro`)
    const scopes: Scope[] = ['read', 'list']
    const headers = await authHeaders('jwt', agent, scopes)
    const { client } = track(await connectHttp(app.mcpUrl, headers, { client: kind }))
    const names = (await client.listTools()).tools.map((t) => t.name)
    expect(names).toEqual([
      'read_secret',
      'list_secrets',
      'read_secret_metadata',
      'decrypt',
      'list_transit_keys',
      'read_transit_key',
      'verify_hmac',
      'verify_signature',
      'whoami',
    ])
  })
})

describe('MCP_SECRET_VALUES over HTTP', () => {
  let agent: string
  beforeAll(async () => {
    agent = stack.agent('modes')
    const principal = { agent, scopes: [...SCOPES], method: 'stdio' as const }
    const { client } = track(await connectStdio(stack.runner, principal))
    await client.callTool({
      name: 'write_secret',
      arguments: { path: 'db', data: { user: 'app', password: 's3cret-value' } },
    })
  })

  const appWith = async (mode: string) => {
    const a = await startMcpApp(stack, { [agent]: [...SCOPES] }, { MCP_SECRET_VALUES: mode })
    opened.app(a)
    return a
  }

  it.each(CLIENT_KINDS)('reveal (default) returns the values to the %s client', async (kind) => {
    const { client } = track(
      await connectHttp(app.mcpUrl, { 'x-api-key': apiKeyOf(rw) }, { client: kind }),
    )
    await client.callTool({ name: 'write_secret', arguments: { path: 'r', data: { p: 'v1' } } })
    const r = await client.callTool({ name: 'read_secret', arguments: { path: 'r' } })
    expect(r.structuredContent).toMatchObject({ data: { p: 'v1' } })
  })

  it.each(CLIENT_KINDS)(
    'redact masks values for the %s client, keeps keys and metadata',
    async (kind) => {
      const a = await appWith('redact')
      const { client } = track(
        await connectHttp(a.mcpUrl, { 'x-api-key': apiKeyOf(agent) }, { client: kind }),
      )
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
      const dec = await client.callTool({
        name: 'decrypt',
        arguments: { key: 'k', ciphertext: ct },
      })
      expect(dec.structuredContent).toEqual({ key: 'k', plaintext: REDACTED })
    },
  )

  it('elicit refuses a 2025 client over stateless HTTP clearly, even one that could be asked', async () => {
    const a = await appWith('elicit')
    const c = track(
      await connectHttp(
        a.mcpUrl,
        { 'x-api-key': apiKeyOf(agent) },
        { client: 'v1', elicit: 'accept' },
      ),
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

  it('elicit over stdio asks a 2025 client and reveals only on accept', async () => {
    const principal = { agent, scopes: [...SCOPES], method: 'stdio' as const }
    const options = { secretValues: 'elicit' as const }
    const yes = track(await connectStdio(stack.runner, principal, { ...options, elicit: 'accept' }))
    const r = await yes.client.callTool({ name: 'read_secret', arguments: { path: 'db' } })
    expect(r.structuredContent).toMatchObject({ data: { password: 's3cret-value' } })
    expect(yes.asked).toHaveLength(1)
    expect(yes.asked[0]).not.toContain('s3cret-value')
    const no = track(await connectStdio(stack.runner, principal, { ...options, elicit: 'decline' }))
    const d = await no.client.callTool({ name: 'read_secret', arguments: { path: 'db' } })
    expect(toolErrorCode(d)).toBe('FORBIDDEN')
    expect(JSON.stringify(d)).not.toContain('s3cret-value')
  })
})

describe('the bridge as `serve` composes it', () => {
  it('serves /mcp with authentication, scopes and the audit trail on, to both clients', async () => {
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
    const { logger, lines } = recordingLogger()
    const bridge = await startBridge(config, logger)
    try {
      // No STATE_SIGNING_KEY: the bridge signs with a key of its own and says what that means.
      const generated = lines.filter(
        (l) => (l.obj as { event?: string }).event === 'signing_key_generated',
      )
      expect(generated).toHaveLength(1)
      expect(generated[0]!.msg).toContain('STATE_SIGNING_KEY')
      for (const kind of CLIENT_KINDS) {
        const c = track(
          await connectHttp(
            new URL('/mcp', bridge.url),
            { 'x-api-key': apiKeyOf(agent) },
            { client: kind },
          ),
        )
        const names = (await c.client.listTools()).tools.map((t) => t.name)
        expect(names).not.toContain('delete_secret')
        expect(names).toContain('write_secret')
        const w = await c.client.callTool({
          name: 'write_secret',
          arguments: { path: 'served', data: { a: kind } },
        })
        expect(w.isError).toBeFalsy()
        const r = await c.client.callTool({ name: 'read_secret', arguments: { path: 'served' } })
        expect(r.structuredContent).toMatchObject({ data: { a: kind } })
      }
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
