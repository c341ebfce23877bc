/**
 * @module The operator's control of the tool surface (OPERATIONS, READ_ONLY) and the whoami that
 * explains access, over real HTTP (REST and /mcp) and the stdio session: an operation the bridge
 * does not offer is no MCP tool, answers REST with 403 OPERATION_DISABLED and changes nothing;
 * whoami says where the agent lives in Vault, what it may call and what is left of its budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SCOPES, type Scope } from '../../src/core/identity.js'
import { OPERATIONS } from '../../src/core/operations.js'
import {
  apiKeyOf,
  restAs,
  connectHttp,
  connectStdio,
  resultText,
  startMcpApp,
  toolErrorCode,
  type Connected,
  type McpApp,
} from '../helpers/mcp-harness.js'
import { startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

const open: { close(): Promise<unknown> }[] = []
afterAll(async () => {
  for (const c of open.reverse()) await c.close().catch(() => undefined)
})
const track = <T extends { close(): Promise<unknown> }>(c: T): T => (open.push(c), c)

/** A stack whose core offers what `env` says, and an HTTP layer over it with API keys. */
async function start(env: Record<string, string>, agents: Record<string, readonly Scope[]>) {
  const stack = track(await startVaultStack({ env }))
  const app = track(await startMcpApp(stack, agents))
  return { stack, app }
}

const toolNames = async (c: Connected) => (await c.client.listTools()).tools.map((t) => t.name)

/** Whether Vault holds the agent's secret at `path` (root token). */
async function inVault(stack: VaultStack, agent: string, path: string): Promise<boolean> {
  try {
    await stack.root.read(`secret/data/${stack.prefix}/${agent}/${path}`)
    return true
  } catch {
    return false
  }
}

describe('OPERATIONS: an allow-list of operations', () => {
  let stack: VaultStack
  let app: McpApp
  const all = 'allow-all'
  const reader = 'allow-reader'

  beforeAll(async () => {
    ;({ stack, app } = await start(
      { OPERATIONS: 'read_secret,list_secrets,encrypt' },
      { [all]: SCOPES, [reader]: ['read'] },
    ))
  })

  it('says at startup which operations are enabled', () => {
    const line = stack.logs.find(
      (l) => (l.obj as { event?: string }).event === 'operations_enabled',
    )
    expect(line?.level).toBe('info')
    expect(line?.obj).toMatchObject({
      operations: ['read_secret', 'list_secrets', 'encrypt', 'whoami'],
      readOnly: false,
    })
    expect(line?.msg).toContain('read_secret, list_secrets, encrypt, whoami')
  })

  it('lists only the offered tools, over HTTP and stdio', async () => {
    const http = track(
      await connectHttp(app.mcpUrl, { 'x-api-key': apiKeyOf(all) }, { client: 'v2' }),
    )
    expect(await toolNames(http)).toEqual(['read_secret', 'list_secrets', 'encrypt', 'whoami'])
    const who = { agent: all, scopes: [...SCOPES], method: 'stdio' as const }
    const stdio = track(await connectStdio(stack.runner, who, { client: 'v1' }))
    expect(await toolNames(stdio)).toEqual(['read_secret', 'list_secrets', 'encrypt', 'whoami'])
    const ro = track(
      await connectHttp(app.mcpUrl, { 'x-api-key': apiKeyOf(reader) }, { client: 'v1' }),
    )
    expect(await toolNames(ro)).toEqual(['read_secret', 'whoami'])
  })

  it('refuses an operation it does not offer with 403 OPERATION_DISABLED over REST, changing nothing', async () => {
    for (const [method, path, body] of [
      ['PUT', '/secrets/app/db', { data: { a: 1 } }],
      ['DELETE', '/secrets/app/db', undefined],
      ['POST', '/transit/keys', { key: 'k' }],
      ['GET', '/transit/keys', undefined],
      ['POST', '/transit/decrypt', { key: 'k', ciphertext: 'vault:v1:AAAA' }],
    ] as const) {
      const res = await restAs(app, all, method, path, body)
      expect([method, path, res.status, res.json?.error?.code]).toEqual([
        method,
        path,
        403,
        'OPERATION_DISABLED',
      ])
      // Not a scope problem: no insufficient_scope challenge sends the client for more scope.
      expect(res.headers.get('www-authenticate') ?? '').not.toContain('insufficient_scope')
    }
    expect(await inVault(stack, all, 'app/db')).toBe(false)
    const audited = stack.events.filter((e) => e.agent === all && e.operation === 'write_secret')
    expect(audited.map((e) => e.outcome)).toEqual(['OPERATION_DISABLED'])
    // Even bad input gets the refusal first: the operation is off, whatever it is sent.
    const bad = await restAs(app, all, 'PUT', '/secrets/app/db', { nonsense: true })
    expect([bad.status, bad.json.error.code]).toEqual([403, 'OPERATION_DISABLED'])
  })

  it('serves what it offers', async () => {
    const enc = await restAs(app, all, 'POST', '/transit/encrypt', { key: 'k', plaintext: 'aGk=' })
    expect(enc.status).toBe(200)
    const read = await restAs(app, all, 'GET', '/secrets/none')
    expect([read.status, read.json.error.code]).toEqual([404, 'SECRET_NOT_FOUND'])
  })

  it('answers a call of a tool it does not offer with an OPERATION_DISABLED tool error', async () => {
    for (const agent of [all, reader]) {
      const c = track(
        await connectHttp(app.mcpUrl, { 'x-api-key': apiKeyOf(agent) }, { client: 'v2' }),
      )
      const r = await c.client.callTool({
        name: 'write_secret',
        arguments: { path: 'mcp/x', data: { a: 1 } },
      })
      expect([agent, toolErrorCode(r)]).toEqual([agent, 'OPERATION_DISABLED'])
      expect(resultText(r)).toContain('whoami')
    }
    expect(await inVault(stack, all, 'mcp/x')).toBe(false)
  })

  it('whoami lists what the caller may call: offered and allowed by its scopes', async () => {
    const me = await restAs(app, all, 'GET', '/whoami')
    expect(me.json).toMatchObject({
      agent: all,
      operations: ['read_secret', 'list_secrets', 'encrypt', 'whoami'],
    })
    const them = await restAs(app, reader, 'GET', '/whoami')
    expect(them.json.operations).toEqual(['read_secret', 'whoami'])
  })
})

describe('READ_ONLY=true', () => {
  let stack: VaultStack
  let app: McpApp
  const agent = 'readonly-agent'
  const readOnly = OPERATIONS.filter((op) => op.hints.readOnly).map((op) => op.name)

  beforeAll(async () => {
    ;({ stack, app } = await start({ READ_ONLY: 'true' }, { [agent]: SCOPES }))
  })

  it('offers only the read-only operations, as tools and routes', async () => {
    const c = track(
      await connectHttp(app.mcpUrl, { 'x-api-key': apiKeyOf(agent) }, { client: 'v1' }),
    )
    expect(await toolNames(c)).toEqual(readOnly)
    for (const op of OPERATIONS.filter((o) => !o.hints.readOnly)) {
      const r = await c.client.callTool({ name: op.name, arguments: {} })
      expect([op.name, toolErrorCode(r)]).toEqual([op.name, 'OPERATION_DISABLED'])
    }
    const put = await restAs(app, agent, 'PUT', '/secrets/ro', { data: { a: 1 } })
    expect([put.status, put.json.error.code]).toEqual([403, 'OPERATION_DISABLED'])
    const enc = await restAs(app, agent, 'POST', '/transit/encrypt', {
      key: 'k',
      plaintext: 'aGk=',
    })
    expect([enc.status, enc.json.error.code]).toEqual([403, 'OPERATION_DISABLED'])
    const list = await restAs(app, agent, 'GET', '/secrets?prefix=')
    expect(list.status).toBe(200)
    expect(await inVault(stack, agent, 'ro')).toBe(false)
    expect((await restAs(app, agent, 'GET', '/whoami')).json.operations).toEqual(readOnly)
  })
})

describe('whoami', () => {
  let stack: VaultStack
  let app: McpApp
  const agent = 'whoami-agent'

  beforeAll(async () => {
    stack = track(await startVaultStack())
    app = track(
      await startMcpApp(
        stack,
        { [agent]: ['read', 'list'] },
        { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_REQUESTS: '50', RATE_LIMIT_WINDOW_SECONDS: '60' },
      ),
    )
  })

  it('explains access over REST: namespace, operations, child tokens and the rate budget left', async () => {
    const first = await restAs(app, agent, 'GET', '/whoami')
    expect(first.status).toBe(200)
    expect(first.json).toEqual({
      agent,
      method: 'api_key',
      scopes: ['read', 'list'],
      kv_mount: 'secret',
      secrets_prefix: `${stack.prefix}/${agent}/`,
      transit_mount: 'transit',
      transit_key_prefix: `${stack.prefix}--${agent}--`,
      operations: OPERATIONS.filter(
        (op) => op.access === null || op.access === 'read' || op.access === 'list',
      ).map((op) => op.name),
      child_tokens: false,
      vault_identity: 'bridge_token',
      rate_limit: { limit: 50, remaining: 49, reset_seconds: expect.any(Number) },
    })
    // The same budget the RateLimit headers show, this request counted.
    expect(first.headers.get('ratelimit-remaining')).toBe('49')
    const second = await restAs(app, agent, 'GET', '/whoami')
    expect(second.json.rate_limit.remaining).toBe(48)
  })

  it('shows the budget to an MCP client over HTTP, and the namespace names work', async () => {
    const c = track(
      await connectHttp(app.mcpUrl, { 'x-api-key': apiKeyOf(agent) }, { client: 'v2' }),
    )
    const r = await c.client.callTool({ name: 'whoami', arguments: {} })
    const me = r.structuredContent as { rate_limit: { limit: number; remaining: number } }
    expect(me.rate_limit.limit).toBe(50)
    expect(me.rate_limit.remaining).toBeLessThan(50)
    // What whoami names is where the agent's data really is.
    const writer = { agent, scopes: [...SCOPES], method: 'stdio' as const }
    const w = track(await connectStdio(stack.runner, writer))
    await w.client.callTool({ name: 'write_secret', arguments: { path: 'x', data: { a: 1 } } })
    const mine = (await restAs(app, agent, 'GET', '/whoami')).json
    const raw = (await stack.root.read(`${mine.kv_mount}/data/${mine.secrets_prefix}x`)) as {
      data: { data: unknown }
    }
    expect(raw.data.data).toEqual({ a: 1 })
    await w.client.callTool({ name: 'create_transit_key', arguments: { key: 'k' } })
    const key = (await stack.root.read(
      `${mine.transit_mount}/keys/${mine.transit_key_prefix}k`,
    )) as { data: { type: string } }
    expect(key.data.type).toBe('aes256-gcm96')
  })
})
