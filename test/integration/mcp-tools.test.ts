/**
 * @module MCP tools end to end: every tool, every error path and bad arguments through real SDK
 * clients of both protocol generations (v1: 2025-11-25, v2: 2026-07-28), over the stdio session
 * (fixed principal) and over real HTTP (API key), against the dev vault (or a real Vault) through
 * the production secrets service.
 */
import { InsufficientScopeError } from '@modelcontextprotocol/client'
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SCOPES, type Scope } from '../../src/core/identity.js'
import { loadConfig } from '../../src/config/load.js'
import { OPERATIONS } from '../../src/core/operations.js'
import { createBridgeCore } from '../../src/bridge.js'
import {
  apiKeyOf,
  connectHttp,
  connectStdio,
  resultText,
  startMcpApp,
  toolErrorCode,
  type ClientKind,
  type Connected,
  type McpApp,
  type TestClient,
} from '../helpers/mcp-harness.js'
import { freePort } from '../helpers/free-port.js'
import { silentLogger } from '../helpers/loggers.js'
import { startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

let stack: VaultStack
let app: McpApp
const agents: Record<string, Scope[]> = {}
const open: Connected[] = []

type Kind = `${'stdio' | 'http'}-${ClientKind}`
const ALL_KINDS: Kind[] = ['stdio-v1', 'stdio-v2', 'http-v1', 'http-v2']
// The child-token run (vitest.child-tokens.config.ts) changes only how Vault is reached, which no
// client or transport can tell apart: it names two kinds that cover both transports and clients.
const kinds: Kind[] =
  process.env.MCP_TOOLS_KINDS?.split(',').filter((k): k is Kind => ALL_KINDS.includes(k as Kind)) ??
  ALL_KINDS
const transportOf = (kind: Kind) => kind.split('-')[0] as 'stdio' | 'http'
const clientOf = (kind: Kind) => kind.split('-')[1] as ClientKind
const names = {} as Record<Kind, { rw: string; ro: string; other: string }>

beforeAll(async () => {
  stack = await startVaultStack()
  for (const kind of kinds) {
    names[kind] = { rw: stack.agent(`mcp-${kind}`), ro: stack.agent('ro'), other: stack.agent('o') }
    agents[names[kind].rw] = [...SCOPES]
    agents[names[kind].ro] = ['read']
    agents[names[kind].other] = [...SCOPES]
  }
  app = await startMcpApp(stack, agents)
})

afterAll(async () => {
  for (const c of open) await c.close().catch(() => undefined)
  await app?.close()
  await stack?.close()
})

async function connect(kind: Kind, agent: string): Promise<TestClient> {
  const client = clientOf(kind)
  const c =
    transportOf(kind) === 'stdio'
      ? await connectStdio(
          stack.runner,
          { agent, scopes: agents[agent]!, method: 'stdio' },
          { client },
        )
      : await connectHttp(app.mcpUrl, { 'x-api-key': apiKeyOf(agent) }, { client })
  open.push(c)
  return c.client
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')

/**
 * A result as a repeat must match it: a metadata write leaves the same state, but Vault stamps
 * `updated_time` on every write (no additional effect, a new time).
 */
function comparable(name: string, r: Awaited<ReturnType<TestClient['callTool']>>) {
  if (name !== 'update_secret_metadata') return r
  return { ...(r.structuredContent as object), updated_time: 'each write' }
}

/** Calls a tool that must succeed; checks that the text is the same JSON as the structure. */
async function ok(client: TestClient, name: string, args: Record<string, unknown> = {}) {
  const r = await client.callTool({ name, arguments: args })
  if (r.isError) throw new Error(`${name} failed: ${resultText(r)}`)
  expect(JSON.parse(resultText(r))).toEqual(r.structuredContent)
  return r.structuredContent as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Calls a tool that must fail; returns its code after checking the text is safe. */
async function fails(client: TestClient, name: string, args: Record<string, unknown>) {
  const r = await client.callTool({ name, arguments: args })
  const text = resultText(r)
  expect(r.isError).toBe(true)
  expect(text).toMatch(/^[A-Z_]+: \S/)
  expect(text).not.toContain(stack.prefix)
  expect(text).not.toContain(stack.vault.rootToken)
  expect(text).not.toMatch(/hv[sb]\.|\n\s+at /)
  return toolErrorCode(r)
}

describe.each(kinds)('MCP tools over %s', (kind) => {
  let client: TestClient
  let agent: string

  beforeAll(async () => {
    agent = names[kind].rw
    client = await connect(kind, agent)
  })

  it('lists every tool for an agent with every scope', async () => {
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toEqual(OPERATIONS.map((op) => op.name))
  })

  it('whoami names the agent and how it authenticated', async () => {
    const me = await ok(client, 'whoami')
    expect(me).toEqual({
      agent,
      method: transportOf(kind) === 'stdio' ? 'stdio' : 'api_key',
      scopes: [...SCOPES],
      kv_mount: 'secret',
      secrets_prefix: `${stack.prefix}/${agent}/`,
      transit_mount: 'transit',
      transit_key_prefix: `${stack.prefix}--${agent}--`,
      operations: OPERATIONS.map((op) => op.name),
      child_tokens: stack.config.childToken.enabled,
      vault_identity: stack.config.childToken.enabled ? 'child_token' : 'bridge_token',
      // The test stack runs without rate limits (limits-http tests whoami's budget).
      rate_limit: null,
    })
  })

  it('writes, reads, patches, lists and reads metadata', async () => {
    const w = await ok(client, 'write_secret', { path: 'app/db', data: { user: 'u', pw: 'p1' } })
    expect(w).toMatchObject({ path: 'app/db', metadata: { version: 1, destroyed: false } })
    expect(await ok(client, 'read_secret', { path: 'app/db' })).toMatchObject({
      path: 'app/db',
      data: { user: 'u', pw: 'p1' },
      metadata: { version: 1 },
    })
    const p = await ok(client, 'patch_secret', { path: 'app/db', data: { pw: null, n: 2 } })
    expect(p.metadata.version).toBe(2)
    expect((await ok(client, 'read_secret', { path: 'app/db' })).data).toEqual({ user: 'u', n: 2 })
    expect((await ok(client, 'read_secret', { path: 'app/db', version: 1 })).data.pw).toBe('p1')
    await ok(client, 'write_secret', { path: 'app/deep/x', data: { a: 1 } })
    expect(await ok(client, 'list_secrets', { prefix: 'app/' })).toEqual({
      prefix: 'app/',
      keys: ['db', 'deep/'],
      truncated: false,
    })
    expect((await ok(client, 'list_secrets', { recursive: true })).keys).toEqual([
      'app/db',
      'app/deep/x',
    ])
    const meta = await ok(client, 'read_secret_metadata', { path: 'app/db' })
    expect(meta).toMatchObject({ path: 'app/db', current_version: 2 })
    expect(JSON.stringify(meta)).not.toContain('p1')
    // It is really in Vault, inside this agent's namespace.
    const raw = (await stack.root.read(`secret/data/${stack.prefix}/${agent}/app/db`)) as {
      data: { data: Record<string, unknown> }
    }
    expect(raw.data.data).toEqual({ user: 'u', n: 2 })
  })

  it('deletes, undeletes, destroys and removes, with the codes of each state', async () => {
    for (const v of [1, 2, 3]) await ok(client, 'write_secret', { path: 'life', data: { v } })
    expect(await ok(client, 'delete_secret', { path: 'life' })).toEqual({
      path: 'life',
      versions: 'latest',
    })
    expect(await fails(client, 'read_secret', { path: 'life' })).toBe('VERSION_DELETED')
    expect(await ok(client, 'undelete_secret', { path: 'life', versions: [3] })).toEqual({
      path: 'life',
      versions: [3],
    })
    expect((await ok(client, 'read_secret', { path: 'life' })).data).toEqual({ v: 3 })
    await ok(client, 'delete_secret', { path: 'life', versions: [1] })
    await ok(client, 'destroy_secret', { path: 'life', versions: [2] })
    expect(await fails(client, 'read_secret', { path: 'life', version: 1 })).toBe('VERSION_DELETED')
    expect(await fails(client, 'read_secret', { path: 'life', version: 2 })).toBe(
      'VERSION_DESTROYED',
    )
    const states = (await ok(client, 'read_secret_metadata', { path: 'life' })).versions.map(
      (v: { state: string }) => v.state,
    )
    expect(states).toEqual(['deleted', 'destroyed', 'live'])
    expect(await ok(client, 'delete_secret_metadata', { path: 'life' })).toEqual({
      path: 'life',
      deleted: true,
    })
    expect(await fails(client, 'read_secret', { path: 'life' })).toBe('SECRET_NOT_FOUND')
  })

  it('answers a repeat of each tool annotated idempotent the same way', async () => {
    await ok(client, 'write_secret', { path: 'idem', data: { v: 1 } })
    await ok(client, 'write_secret', { path: 'idem', data: { v: 2 } })
    const { ciphertext } = await ok(client, 'encrypt', { key: 'idem', plaintext: b64('x') })
    // The key exists before: a first create would answer created: true, every later one false.
    await ok(client, 'create_transit_key', { key: 'idem-ed', type: 'ed25519' })
    const input = b64('m')
    const { hmac } = await ok(client, 'generate_hmac', { key: 'idem', input })
    // Ed25519 signs deterministically (ECDSA does not: its repeats differ in value only).
    const { signature } = await ok(client, 'sign', { key: 'idem-ed', input })
    // In an order where each call leaves what the next needs; each is made twice in a row.
    const repeats: Record<string, Record<string, unknown>> = {
      whoami: {},
      read_secret: { path: 'idem' },
      read_secret_metadata: { path: 'idem' },
      update_secret_metadata: { path: 'idem', custom_metadata: { owner: 'a' } },
      list_secrets: { prefix: '' },
      decrypt: { key: 'idem', ciphertext },
      create_transit_key: { key: 'idem-ed', type: 'ed25519' },
      list_transit_keys: {},
      read_transit_key: { key: 'idem-ed' },
      generate_hmac: { key: 'idem', input },
      verify_hmac: { key: 'idem', input, hmac },
      sign: { key: 'idem-ed', input },
      verify_signature: { key: 'idem-ed', input, signature },
      delete_secret: { path: 'idem', versions: [1] },
      undelete_secret: { path: 'idem', versions: [1] },
      destroy_secret: { path: 'idem', versions: [1] },
    }
    const idempotent = OPERATIONS.filter((op) => op.hints.idempotent).map((op) => op.name)
    expect(Object.keys(repeats).sort()).toEqual([...idempotent].sort())
    for (const [name, args] of Object.entries(repeats)) {
      const first = await client.callTool({ name, arguments: args })
      const again = await client.callTool({ name, arguments: args })
      expect([name, first.isError ?? false]).toEqual([name, false])
      expect([name, comparable(name, again)]).toEqual([name, comparable(name, first)])
    }
  })

  it('says delete_secret_metadata is not idempotent: a repeat answers SECRET_NOT_FOUND', async () => {
    const op = OPERATIONS.find((o) => o.name === 'delete_secret_metadata')!
    expect(op.hints.idempotent).toBe(false)
    await ok(client, 'write_secret', { path: 'once', data: { v: 1 } })
    await ok(client, 'delete_secret_metadata', { path: 'once' })
    expect(await fails(client, 'delete_secret_metadata', { path: 'once' })).toBe('SECRET_NOT_FOUND')
  })

  it('lists a folder, not names that start with the prefix', async () => {
    await ok(client, 'write_secret', { path: 'shelf/a', data: { v: 1 } })
    expect((await ok(client, 'list_secrets', { prefix: 'shelf' })).keys).toEqual(['a'])
    expect((await ok(client, 'list_secrets', { prefix: 'shelf/' })).keys).toEqual(['a'])
    expect((await ok(client, 'list_secrets', { prefix: 'sh' })).keys).toEqual([])
  })

  it('answers SECRET_NOT_FOUND for every operation on an absent secret', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['read_secret', { path: 'absent' }],
      ['patch_secret', { path: 'absent', data: { a: 1 } }],
      ['delete_secret', { path: 'absent' }],
      ['undelete_secret', { path: 'absent', versions: [1] }],
      ['destroy_secret', { path: 'absent', versions: [1] }],
      ['read_secret_metadata', { path: 'absent' }],
      ['delete_secret_metadata', { path: 'absent' }],
    ]
    for (const [name, args] of cases) {
      expect([name, await fails(client, name, args)]).toEqual([name, 'SECRET_NOT_FOUND'])
    }
  })

  it('refuses a stale check-and-set with CAS_MISMATCH and keeps the data', async () => {
    await ok(client, 'write_secret', { path: 'cas', data: { n: 1 }, cas: 0 })
    expect(await fails(client, 'write_secret', { path: 'cas', data: { n: 2 }, cas: 0 })).toBe(
      'CAS_MISMATCH',
    )
    expect((await ok(client, 'read_secret', { path: 'cas' })).data).toEqual({ n: 1 })
  })

  it.each([
    ['../escape', 'INVALID_PATH'],
    ['/abs', 'INVALID_PATH'],
    ['a//b', 'INVALID_PATH'],
  ])('refuses the path %s with %s and writes nothing', async (path, code) => {
    expect(await fails(client, 'write_secret', { path, data: { a: 1 } })).toBe(code)
  })

  it.each([
    ['read_secret', { path: 7 }],
    ['read_secret', {}],
    ['read_secret', { path: 'a', extra: 1 }],
    ['read_secret', { path: 'a', version: -1 }],
    ['write_secret', { path: 'bad-args', data: {} }],
    ['write_secret', { path: 'bad-args', data: 'nope' }],
    ['write_secret', { path: 'bad-args', data: { a: 1 }, cas: -1 }],
    ['delete_secret', { path: 'a', versions: [] }],
    ['list_secrets', { recursive: 'maybe' }],
    ['encrypt', { key: 'k' }],
    ['encrypt', { key: 'bad key', plaintext: b64('x') }],
    ['encrypt', { key: 'k', plaintext: 'not base64!' }],
    ['decrypt', { key: 'k', ciphertext: 'x', batch: [{ ciphertext: 'y' }] }],
    ['generate_data_key', { key: 'k', bits: 100 }],
    ['whoami', { anything: true }],
  ])('renders bad arguments to %s as INVALID_INPUT', async (name, args) => {
    expect(await fails(client, name, args)).toBe('INVALID_INPUT')
  })

  it('wrote nothing for the bad arguments', async () => {
    expect(await fails(client, 'read_secret', { path: 'bad-args' })).toBe('SECRET_NOT_FOUND')
  })

  it('encrypts, decrypts, rewraps and generates data keys with its own transit keys', async () => {
    const enc = await ok(client, 'encrypt', { key: 'app', plaintext: b64('hello') })
    expect(enc.ciphertext).toMatch(/^vault:v1:/)
    expect(await ok(client, 'decrypt', { key: 'app', ciphertext: enc.ciphertext })).toEqual({
      key: 'app',
      plaintext: b64('hello'),
    })
    const re = await ok(client, 'rewrap', { key: 'app', ciphertext: enc.ciphertext })
    expect(re.ciphertext).toMatch(/^vault:v1:/)
    const batch = await ok(client, 'encrypt', {
      key: 'app',
      batch: [{ plaintext: b64('a') }, { plaintext: b64('b') }],
    })
    expect(batch.batch).toHaveLength(2)
    const back = await ok(client, 'decrypt', {
      key: 'app',
      batch: batch.batch.map((i: { ciphertext: string }) => ({ ciphertext: i.ciphertext })),
    })
    expect(back.batch).toEqual([{ plaintext: b64('a') }, { plaintext: b64('b') }])
    const dk = await ok(client, 'generate_data_key', { key: 'app', type: 'plaintext', bits: 128 })
    expect(Buffer.from(dk.plaintext, 'base64')).toHaveLength(16)
    const unwrapped = await ok(client, 'decrypt', { key: 'app', ciphertext: dk.ciphertext })
    expect(unwrapped.plaintext).toBe(dk.plaintext)
    const wrapped = await ok(client, 'generate_data_key', { key: 'app' })
    expect(wrapped).not.toHaveProperty('plaintext')
  })

  it('cannot decrypt with another key, nor reach another agent’s secrets', async () => {
    const enc = await ok(client, 'encrypt', { key: 'mine', plaintext: b64('x') })
    expect(await fails(client, 'decrypt', { key: 'other', ciphertext: enc.ciphertext })).toMatch(
      /^(INVALID_INPUT|NOT_FOUND|SECRET_NOT_FOUND)$/,
    )
    await ok(client, 'write_secret', { path: 'private', data: { s: 'mine' } })
    const other = await connect(kind, names[kind].other)
    expect(await fails(other, 'read_secret', { path: 'private' })).toBe('SECRET_NOT_FOUND')
    expect((await ok(other, 'list_secrets', { recursive: true })).keys).toEqual([])
  })

  it('answers an unknown tool with a protocol error', async () => {
    await expect(client.callTool({ name: 'sudo', arguments: {} })).rejects.toMatchObject({
      code: -32602,
    })
  })

  it('shows a read-only agent only its tools and refuses the others', async () => {
    const ro = await connect(kind, names[kind].ro)
    const { tools } = await ro.listTools()
    expect(tools.map((t) => t.name)).toEqual([
      'read_secret',
      'read_secret_metadata',
      'decrypt',
      'read_transit_key',
      'verify_hmac',
      'verify_signature',
      'whoami',
    ])
    const call = ro.callTool({ name: 'write_secret', arguments: { path: 'ro', data: { a: 1 } } })
    if (transportOf(kind) === 'stdio') {
      expect(await fails(ro, 'write_secret', { path: 'ro', data: { a: 1 } })).toBe('FORBIDDEN')
      await call
    } else if (clientOf(kind) === 'v1') {
      // Over HTTP the refusal is the spec's 403 insufficient_scope (see mcp-http tests).
      const err = await call.catch((e: unknown) => e)
      expect(err).toBeInstanceOf(StreamableHTTPError)
      expect((err as StreamableHTTPError).code).toBe(403)
    } else {
      const err = await call.catch((e: unknown) => e)
      expect(err).toBeInstanceOf(InsufficientScopeError)
      expect(String((err as Error).message)).toContain('write')
    }
    const events = stack.events.filter((e) => e.agent === names[kind].ro)
    expect(events.map((e) => `${e.operation}:${e.outcome}`)).toContain('write_secret:FORBIDDEN')
    expect(await fails(ro, 'read_secret', { path: 'ro' })).toBe('SECRET_NOT_FOUND')
  })
})

describe('MCP tools when Vault is unreachable', () => {
  it('answer VAULT_UNAVAILABLE tool errors without Vault’s address or token', async () => {
    const deadPort = await freePort()
    const config = loadConfig({
      VAULT_ADDR: `http://127.0.0.1:${deadPort}`,
      VAULT_TOKEN: 'hvs.unused-token-for-a-dead-vault',
      VAULT_TIMEOUT: '2s',
      AUDIT_LOG: 'off',
    })
    const core = await createBridgeCore(config, { logger: silentLogger() })
    try {
      const c = await connectStdio(core.runner, {
        agent: 'alice',
        scopes: [...SCOPES],
        method: 'stdio',
      })
      open.push(c)
      for (const [name, args] of [
        ['read_secret', { path: 'a' }],
        ['write_secret', { path: 'a', data: { a: 1 } }],
        ['list_secrets', {}],
        ['encrypt', { key: 'k', plaintext: b64('x') }],
      ] as const) {
        const r = await c.client.callTool({ name, arguments: args })
        expect([name, toolErrorCode(r)]).toEqual([name, 'VAULT_UNAVAILABLE'])
        expect(resultText(r)).not.toContain(String(deadPort))
        expect(resultText(r)).not.toContain('hvs.')
      }
    } finally {
      await core.close()
    }
  })
})
