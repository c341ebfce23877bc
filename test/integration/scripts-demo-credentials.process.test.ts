/**
 * @module scripts/run_dev.sh refuses the repository's demo credentials against any Vault but the
 * dev vault on loopback (issue 12, item 2): one demo credential among own ones, an unreachable
 * Vault and a non-loopback address are refused with exit 2; own credentials pass; the dev vault
 * keeps the demo credentials. The attack itself (all demo credentials against a real Vault) is
 * in test/security/published-credentials.process.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevVault, type DevVault } from '@vault-mcp-bridge/dev-vault'
import { freePort } from '../helpers/free-port.js'
import { fakeRealVault, runDev, type FakeRealVault } from '../helpers/run-dev.js'

const DEMO_JWT_SECRET = 'dev-only-hs256-secret-change-me-0123456789'

let realVault: FakeRealVault
let devVault: DevVault

beforeAll(async () => {
  realVault = await fakeRealVault()
  devVault = await startDevVault({ port: 0 })
})

afterAll(async () => {
  realVault?.server.close()
  await devVault?.close()
})

const base = { LOG_LEVEL: 'warn', AUDIT_LOG: 'off', HOST: '127.0.0.1' }

describe('run_dev.sh with VAULT_ADDR set', () => {
  it('refuses one demo credential left among own ones', async () => {
    const r = await runDev({
      ...base,
      VAULT_ADDR: realVault.url,
      API_KEYS_JSON: '{"own-key-0123456789abcdef0123456789abcdef": "agent_api"}',
      JWT_HS256_SECRET: DEMO_JWT_SECRET,
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/demo credentials \(DEMO_JWT_SECRET\)/)
  }, 60_000)

  it.each([
    ['an unreachable Vault', async () => `http://127.0.0.1:${await freePort()}`],
    ['a Vault that is not on loopback', async () => 'https://vault.example.invalid:8200'],
  ])(
    'refuses them against %s',
    async (_, address) => {
      const r = await runDev({ ...base, VAULT_ADDR: await address() })
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('refusing the built-in demo credentials')
    },
    60_000,
  )

  it('passes own credentials on to serve', async () => {
    const before = realVault.paths.length
    const r = await runDev({
      ...base,
      PORT: String(await freePort()),
      VAULT_ADDR: realVault.url,
      VAULT_TOKEN: 'hvs.own-token',
      DEMO_API_KEY: 'own-key-0123456789abcdef0123456789abcdef',
      DEMO_READONLY_API_KEY: 'own-ro-key-0123456789abcdef0123456789abcdef',
      DEMO_JWT_SECRET: 'own-secret-0123456789abcdef0123456789abcdef',
    })
    expect(r.stderr).not.toContain('refusing the built-in demo credentials')
    // serve ran: it asked the Vault about its token, which this Vault refuses (exit 2).
    expect(realVault.paths.slice(before).some((p) => p.startsWith('/v1/auth/token/'))).toBe(true)
    expect(r.code).toBe(2)
  }, 60_000)

  it('keeps the demo credentials against the dev vault, and the bridge serves', async () => {
    const port = await freePort()
    const r = await runDev(
      { ...base, PORT: String(port), VAULT_ADDR: devVault.url, VAULT_TOKEN: devVault.rootToken },
      `http://127.0.0.1:${port}/readyz`,
    )
    expect(r.stderr).not.toContain('refusing the built-in demo credentials')
    expect(r.ready).toBe(true)
  }, 60_000)
})
