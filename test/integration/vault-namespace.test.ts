/**
 * @module VAULT_NAMESPACE as docs/deploy.md documents it: `provision` and the bridge's AppRole
 * login (then every call) carry X-Vault-Namespace. Through a recording proxy in front of the dev
 * vault, which knows the root namespace only (`root`); the CLI runs as a real process.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevVault, type DevVault } from '@vault-mcp-bridge/dev-vault'
import { runCli, spawnCli } from '../helpers/cli.js'
import { freePort } from '../helpers/free-port.js'
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
    const provisioned = await runCli(['provision', '--agents', 'agent_api', '--out', out], {
      VAULT_ADDR: proxy.url,
      VAULT_TOKEN: vault.rootToken,
      VAULT_NAMESPACE: 'root',
    })
    expect(provisioned.code).toBe(0)
    expect(proxy.requests.length).toBeGreaterThan(3)
    expect(proxy.requests.filter((r) => r.namespace !== 'root')).toEqual([])

    const credentials = parseEnv(readFileSync(out, 'utf8'))
    const sent = proxy.requests.length
    const port = await freePort()
    const bridge = spawnCli(['serve'], {
      VAULT_ADDR: proxy.url,
      VAULT_NAMESPACE: 'root',
      VAULT_ROLE_ID: credentials.VAULT_ROLE_ID!,
      VAULT_SECRET_ID: credentials.VAULT_SECRET_ID!,
      PORT: String(port),
      AUDIT_LOG: 'off',
      LOG_LEVEL: 'warn',
      API_KEYS_JSON: '{"ns-key-0123456789abcdef0123456789abcdef": "agent_api"}',
    })
    try {
      let ready = false
      for (let i = 0; i < 150 && !ready && bridge.child.exitCode === null; i++) {
        ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
        if (!ready) await new Promise((r) => setTimeout(r, 100))
      }
      expect(ready, bridge.output()).toBe(true)
      const write = await fetch(`http://127.0.0.1:${port}/secrets/ns/probe`, {
        method: 'PUT',
        headers: {
          'X-API-Key': 'ns-key-0123456789abcdef0123456789abcdef',
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({ data: { v: '1' } }),
      })
      expect(write.status).toBe(200)
    } finally {
      bridge.child.kill('SIGTERM')
      await bridge.exited
    }
    const bridgeCalls = proxy.requests.slice(sent)
    expect(bridgeCalls.map((r) => r.path)).toContain('auth/approle/login')
    expect(bridgeCalls.some((r) => r.path.startsWith('secret/data/'))).toBe(true)
    expect(bridgeCalls.filter((r) => r.namespace !== 'root')).toEqual([])
  }, 60_000)
})
