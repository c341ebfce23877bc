/**
 * @module REST errors that come from Vault or from limits: VAULT_UNAVAILABLE with Retry-After,
 * FORBIDDEN when the agent's Vault policy is missing, bounded recursive lists, and the absence
 * of the tests' principal seam from the production app.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBridgeCore, createHttpLayer } from '../../src/bridge.js'
import { loadConfig } from '../../src/config/load.js'
import {
  TEST_AGENT_HEADER,
  bothClients,
  createTestApp,
  inProcessClient,
  type RestClient,
} from '../helpers/test-app.js'
import { freePort } from '../helpers/free-port.js'
import { recordingLogger, startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

describe('Vault unreachable', () => {
  it('answers 503 VAULT_UNAVAILABLE with Retry-After on every Vault-backed route', async () => {
    const config = loadConfig({
      // A loopback port nothing listens on.
      VAULT_ADDR: `http://127.0.0.1:${await freePort()}`,
      VAULT_TOKEN: 'hvs.unused-token-for-a-dead-vault',
      VAULT_TIMEOUT: '2s',
      RATE_LIMIT_ENABLED: 'false',
      METRICS_ENABLED: 'false',
      AUDIT_LOG: 'off',
    })
    const { logger } = recordingLogger()
    const core = await createBridgeCore(config, { logger })
    try {
      const client = inProcessClient(createTestApp({ core }))
      const b64 = Buffer.from('x').toString('base64')
      for (const [method, path, body] of [
        ['GET', '/secrets/a'],
        ['PUT', '/secrets/a', { data: { a: 1 } }],
        ['GET', '/secrets?recursive=true'],
        ['POST', '/transit/encrypt', { key: 'k', plaintext: b64 }],
      ] as const) {
        const res = await client.call(method, path, { agent: 'alice', body })
        expect([path, res.status, res.json?.error?.code]).toEqual([path, 503, 'VAULT_UNAVAILABLE'])
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
      }
      // whoami needs no Vault.
      expect((await client.call('GET', '/whoami', { agent: 'alice' })).status).toBe(200)
    } finally {
      await core.close()
    }
  })
})

describe('against Vault', () => {
  let small: VaultStack
  let unprovisioned: VaultStack
  let clients: RestClient[]
  let closeServer: () => Promise<void>

  beforeAll(async () => {
    small = await startVaultStack({ listMaxKeys: 3 })
    unprovisioned = await startVaultStack({ childTokens: true })
    const both = await bothClients(createTestApp(small))
    clients = both.clients
    closeServer = both.close
  })

  afterAll(async () => {
    await closeServer?.()
    await small?.close()
    await unprovisioned?.close()
  })

  it('bounds every list page by LIST_MAX_KEYS, says so with truncated, and pages on with next_cursor', async () => {
    for (const client of clients) {
      const agent = small.agent('lister')
      for (const p of ['a', 'b', 'c', 'd', 'f/x', 'f/y', 'g/h/i']) {
        expect(
          (await client.call('PUT', `/secrets/${p}`, { agent, body: { data: { p } } })).status,
        ).toBe(200)
      }
      const flat = await client.call('GET', '/secrets', { agent })
      expect(flat.json).toEqual({
        prefix: '',
        keys: ['a', 'b', 'c'],
        truncated: true,
        next_cursor: expect.any(String),
      })
      const rest = await client.call('GET', `/secrets?cursor=${flat.json.next_cursor}`, { agent })
      expect(rest.json).toEqual({ prefix: '', keys: ['d', 'f/', 'g/'], truncated: false })
      const rec = await client.call('GET', '/secrets?recursive=true', { agent })
      expect(rec.json.keys).toEqual(['a', 'b', 'c'])
      expect(rec.json.truncated).toBe(true)
      const more = await client.call(
        'GET',
        `/secrets?recursive=true&cursor=${rec.json.next_cursor}`,
        { agent },
      )
      expect(more.json.keys).toEqual(['d', 'f/x', 'f/y'])
      // A limit above LIST_MAX_KEYS is capped by it.
      const capped = await client.call('GET', '/secrets?recursive=true&limit=50', { agent })
      expect(capped.json.keys).toHaveLength(3)
      const sub = await client.call('GET', '/secrets?prefix=f/&recursive=true', { agent })
      expect(sub.json).toEqual({ prefix: 'f/', keys: ['x', 'y'], truncated: false })
      const deep = await client.call('GET', '/secrets?prefix=g&recursive=true', { agent })
      expect(deep.json).toEqual({ prefix: 'g', keys: ['h/i'], truncated: false })
    }
  })

  it('answers FORBIDDEN when Vault denies the agent (no policy for its child token)', async () => {
    const client = inProcessClient(createTestApp(unprovisioned))
    const agent = unprovisioned.agent('nopolicy')
    const res = await client.call('PUT', '/secrets/x', { agent, body: { data: { a: 1 } } })
    expect(res.status).toBe(403)
    expect(res.json.error.code).toBe('FORBIDDEN')
    expect(res.text).not.toMatch(/permission denied|hv[sb]\./)
  })
})

describe('the test-only principal seam', () => {
  it('does not exist in the production app: X-Test-Agent authenticates nobody', async () => {
    const stack = await startVaultStack()
    try {
      const { logger } = recordingLogger()
      const { app } = createHttpLayer(stack.core, { logger })
      for (const [method, path] of [
        ['GET', '/whoami'],
        ['GET', '/secrets'],
        ['PUT', '/secrets/x'],
      ]) {
        const res = await app.request(path!, {
          method,
          headers: { [TEST_AGENT_HEADER]: 'alice', 'content-type': 'application/json' },
          ...(method === 'PUT' ? { body: '{"data":{"a":1}}' } : {}),
        })
        expect([path, res.status]).toEqual([path, 401])
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
          'UNAUTHENTICATED',
        )
      }
    } finally {
      await stack.close()
    }
  })
})
