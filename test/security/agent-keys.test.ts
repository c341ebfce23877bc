/**
 * @module test/security/agent-keys: the attacks issue 18 names on an agent's own Transit keys and
 * on the operator's tool control, over real HTTP (REST and /mcp) against the dev vault: another
 * agent's key by its name, a name that climbs out of the key namespace, a key listing that would
 * show other agents' keys, a key changed with a key-using scope, and an operation the operator
 * switched off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SCOPES } from '../../src/core/identity.js'
import { transitKeyName } from '../../src/core/paths.js'
import {
  apiKeyOf,
  restAs,
  connectHttp,
  startMcpApp,
  toolErrorCode,
  type McpApp,
} from '../helpers/mcp-harness.js'
import { startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

let stack: VaultStack
let app: McpApp
let locked: VaultStack
let lockedApp: McpApp
const owner = 'keys-owner'
const intruder = 'keys-intruder'
const user = 'keys-user'

beforeAll(async () => {
  stack = await startVaultStack()
  app = await startMcpApp(stack, { [owner]: SCOPES, [intruder]: SCOPES, [user]: ['read', 'write'] })
  locked = await startVaultStack({ env: { READ_ONLY: 'true' } })
  lockedApp = await startMcpApp(locked, { [owner]: SCOPES })
})

afterAll(async () => {
  await lockedApp?.close()
  await locked?.close()
  await app?.close()
  await stack?.close()
})

const b64 = (s: string) => Buffer.from(s).toString('base64')

/** The key as Vault holds it (root token), or undefined. */
async function vaultKey(s: VaultStack, agent: string, key: string) {
  try {
    const path = `${s.config.vault.transitMount}/keys/${transitKeyName(s.prefix, agent, key)}`
    return ((await s.root.read(path)) as { data: { type: string; latest_version: number } }).data
  } catch {
    return undefined
  }
}

describe('attacks on agent Transit keys and operator tool control', () => {
  it("another agent's transit key named as its owner names it is never reached", async () => {
    const made = await restAs(app, owner, 'POST', '/transit/keys', {
      key: 'shared',
      type: 'ed25519',
    })
    expect(made.status).toBe(200)
    const signed = await restAs(app, owner, 'POST', '/transit/sign', {
      key: 'shared',
      input: b64('x'),
    })
    const hmac = await restAs(app, owner, 'POST', '/transit/hmac', {
      key: 'shared',
      input: b64('x'),
    })
    for (const [method, path, body] of [
      ['GET', '/transit/keys/shared', undefined],
      ['POST', '/transit/keys/shared/rotate', {}],
      ['POST', '/transit/sign', { key: 'shared', input: b64('x') }],
      ['POST', '/transit/hmac', { key: 'shared', input: b64('x') }],
      [
        'POST',
        '/transit/verify',
        { key: 'shared', input: b64('x'), signature: signed.json.signature },
      ],
      ['POST', '/transit/verify-hmac', { key: 'shared', input: b64('x'), hmac: hmac.json.hmac }],
    ] as const) {
      const res = await restAs(app, intruder, method, path, body)
      expect([path, res.status, res.json.error.code]).toEqual([path, 404, 'KEY_NOT_FOUND'])
    }
    expect(await vaultKey(stack, owner, 'shared')).toMatchObject({
      type: 'ed25519',
      latest_version: 1,
    })
  })

  it('a key name that climbs out of the key namespace is refused and creates nothing', async () => {
    for (const key of [`../${owner}--shared`, 'a/b', '..', `${owner}/../x`, 'x\u0000y', '']) {
      const res = await restAs(app, intruder, 'POST', '/transit/keys', { key, type: 'ed25519' })
      expect([key, res.status, res.json.error.code]).toEqual([key, 400, 'INVALID_INPUT'])
    }
    for (const path of ['/transit/keys/..%2Fx', '/transit/keys/a%2Fb', '/transit/keys/%2E%2E']) {
      // fetch resolves an encoded "..": that one reaches no key route at all (404).
      const res = await restAs(app, intruder, 'GET', path)
      expect([path, [400, 404].includes(res.status)]).toEqual([path, true])
      expect(res.json.error.code).toMatch(/^(INVALID_INPUT|NOT_FOUND)$/)
    }
    const names = (await stack.root.list(`${stack.config.vault.transitMount}/keys`)) as {
      data: { keys: string[] }
    }
    expect(names.data.keys.filter((n) => n.includes(intruder))).toEqual([])
  })

  it("a transit key list never shows another agent's keys", async () => {
    await restAs(app, owner, 'POST', '/transit/keys', { key: 'only-mine' })
    await restAs(app, intruder, 'POST', '/transit/keys', { key: 'theirs' })
    const listed = await restAs(app, intruder, 'GET', '/transit/keys')
    expect(listed.status).toBe(200)
    expect(listed.json.keys).toEqual(['theirs'])
    expect(JSON.stringify(listed.json)).not.toContain(owner)
    const c = await connectHttp(app.mcpUrl, { 'x-api-key': apiKeyOf(intruder) }, { client: 'v2' })
    try {
      const r = await c.client.callTool({ name: 'list_transit_keys', arguments: {} })
      expect(r.structuredContent).toMatchObject({ keys: ['theirs'] })
    } finally {
      await c.close()
    }
  })

  it('a key-using scope cannot create or rotate a key', async () => {
    // The user may use keys (write: encrypt makes its default key on first use, HMACs) but not
    // create one of a chosen type or rotate one (delete).
    const enc = await restAs(app, user, 'POST', '/transit/encrypt', {
      key: 'u',
      plaintext: b64('x'),
    })
    expect(enc.status).toBe(200)
    const mac = await restAs(app, user, 'POST', '/transit/hmac', { key: 'u', input: b64('x') })
    expect(mac.status).toBe(200)
    const create = await restAs(app, user, 'POST', '/transit/keys', { key: 'u2', type: 'ed25519' })
    expect([create.status, create.json.error.code]).toEqual([403, 'FORBIDDEN'])
    expect(create.headers.get('www-authenticate')).toContain('scope="delete"')
    const rotate = await restAs(app, user, 'POST', '/transit/keys/u/rotate', {})
    expect([rotate.status, rotate.json.error.code]).toEqual([403, 'FORBIDDEN'])
    expect(await vaultKey(stack, user, 'u2')).toBeUndefined()
    expect(await vaultKey(stack, user, 'u')).toMatchObject({ latest_version: 1 })
  })

  it('an operation the operator switched off is refused over REST and MCP and changes nothing', async () => {
    const put = await restAs(lockedApp, owner, 'PUT', '/secrets/x', { data: { a: 1 } })
    expect([put.status, put.json.error.code]).toEqual([403, 'OPERATION_DISABLED'])
    const key = await restAs(lockedApp, owner, 'POST', '/transit/keys', { key: 'k' })
    expect([key.status, key.json.error.code]).toEqual([403, 'OPERATION_DISABLED'])
    const c = await connectHttp(
      lockedApp.mcpUrl,
      { 'x-api-key': apiKeyOf(owner) },
      { client: 'v1' },
    )
    try {
      const tools = (await c.client.listTools()).tools.map((t) => t.name)
      expect(tools).not.toContain('write_secret')
      const r = await c.client.callTool({
        name: 'write_secret',
        arguments: { path: 'x', data: { a: 1 } },
      })
      expect(toolErrorCode(r)).toBe('OPERATION_DISABLED')
    } finally {
      await c.close()
    }
    const read = await restAs(lockedApp, owner, 'GET', '/secrets/x')
    expect([read.status, read.json.error.code]).toEqual([404, 'SECRET_NOT_FOUND'])
    expect(await vaultKey(locked, owner, 'k')).toBeUndefined()
  })
})
