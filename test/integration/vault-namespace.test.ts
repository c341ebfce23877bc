/**
 * @module VAULT_NAMESPACE as docs/deploy.md documents it: `provision` and the bridge's AppRole
 * login (then every call) carry X-Vault-Namespace. Through a recording proxy in front of the dev
 * vault, which knows the root namespace only (`root`); the CLI runs in process.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevVault, type DevVault } from '@vault-mcp-bridge/dev-vault'
import { runMain, startMain } from '../helpers/cli.js'
import { startVaultProxy, type VaultProxy } from '../helpers/vault-proxy.js'

let vault: DevVault
let proxy: VaultProxy
let dir: string

beforeAll(async () => {
  vault = await startDevVault({ port: 0 })
  proxy = await startVaultProxy(vault.url)
  dir = mkdtempSync(join(tmpdir(), 'namespace-'))
})

afterAll(async () => {
  await proxy?.close()
  await vault?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('VAULT_NAMESPACE', () => {
  it('provision writes into the namespace, and the bridge logs in and works there', async () => {
    const out = join(dir, 'approle.env')
    const provisioned = await runMain(['provision', '--agents', 'agent_api', '--out', out], {
      VAULT_ADDR: proxy.url,
      VAULT_TOKEN: vault.rootToken,
      VAULT_NAMESPACE: 'root',
    })
    expect(provisioned.code).toBe(0)
    expect(proxy.requests.length).toBeGreaterThan(3)
    expect(proxy.requests.filter((r) => r.namespace !== 'root')).toEqual([])

    const credentials = parseEnv(readFileSync(out, 'utf8'))
    const sent = proxy.requests.length
    const bridge = startMain(['serve'], {
      VAULT_ADDR: proxy.url,
      VAULT_NAMESPACE: 'root',
      VAULT_ROLE_ID: credentials.VAULT_ROLE_ID!,
      VAULT_SECRET_ID: credentials.VAULT_SECRET_ID!,
      PORT: '0',
      AUDIT_LOG: 'off',
      LOG_LEVEL: 'info',
      API_KEYS_JSON: '{"ns-key-0123456789abcdef0123456789abcdef": "agent_api"}',
    })
    try {
      const url = (await bridge.waitFor(/"url":"(http:\/\/[^"]+)"/))[1]!
      expect((await fetch(`${url}/readyz`)).status, bridge.output()).toBe(200)
      const write = await fetch(`${url}/secrets/ns/probe`, {
        method: 'PUT',
        headers: {
          'X-API-Key': 'ns-key-0123456789abcdef0123456789abcdef',
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({ data: { v: '1' } }),
      })
      expect(write.status).toBe(200)
    } finally {
      expect(await bridge.stop()).toBe(0)
    }
    const bridgeCalls = proxy.requests.slice(sent)
    expect(bridgeCalls.map((r) => r.path)).toContain('auth/approle/login')
    expect(bridgeCalls.some((r) => r.path.startsWith('secret/data/'))).toBe(true)
    expect(bridgeCalls.filter((r) => r.namespace !== 'root')).toEqual([])
  })
})
