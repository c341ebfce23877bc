/**
 * @module test/integration/vault-access-approle: the bridge's AppRole login. It serves with the
 * provisioned bridge policy, refuses to start on bad credentials, logs in again (once, then
 * retries once) when its token is revoked under a request, and logs in again when renewal fails
 * or the max TTL is near (dev vault on a clock shared with the port).
 */
import nodeVault from 'node-vault'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import type { AppError } from '../../src/core/errors.js'
import type { CallContext } from '../../src/core/identity.js'
import { resolveSecretPath } from '../../src/core/paths.js'
import { startDevVault } from '@vault-mcp-bridge/dev-vault'
import { renderAgentPolicy, renderBridgePolicy } from '../../src/vault/admin/policy.js'
import { agentPolicyName } from '../../src/vault/policy-name.js'
import { createVaultPort, type ManagedVaultPort } from '../../src/vault/vault-port.js'
import { VaultStartupError } from '../../src/vault/vault-startup-error.js'
import { uniqueName, vaultForTests, type TestVault } from '@vault-mcp-bridge/dev-vault/testing'
import { startVaultProxy, type VaultProxy } from '../helpers/vault-proxy.js'
import { writeTestTokenRole } from '../helpers/token-role.js'
import { recordingLogger, type LogLine } from '../helpers/vault-stack.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined)
})

interface AppRoleSetup {
  root: nodeVault.client
  proxy: VaultProxy
  mount: string
  roleId: string
  secretId: string
  prefix: string
  policyPrefix: string
  /** CHILD_TOKEN_ROLE of the bridge. */
  tokenRole: string
  alice: string
  start(extra?: {
    secretId?: string
    now?: () => number
    env?: Record<string, string>
  }): Promise<ManagedVaultPort>
  logs: LogLine[]
  logins(): number
  ctx(): CallContext
  key(path: string): string
}

/**
 * An AppRole mount and role on `vault` for a bridge serving agent alice with child tokens:
 * the role carries the bridge policy and alice's policy, as `provision` sets it up.
 */
async function appRoleSetup(
  vault: Pick<TestVault, 'url' | 'rootToken'>,
  role: { ttl: string; maxTtl: string; explicitMaxTtl?: string; secretIdUses?: number } = {
    ttl: '1h',
    maxTtl: '2h',
  },
): Promise<AppRoleSetup> {
  const root = nodeVault({
    endpoint: vault.url,
    token: vault.rootToken,
    debug: () => {},
    noCustomHTTPVerbs: true,
  })
  const mount = uniqueName('approle')
  await root.write(`sys/auth/${mount}`, { type: 'approle' })
  cleanups.push(() => root.delete(`sys/auth/${mount}`))
  const prefix = uniqueName('mcp')
  const policyPrefix = `${uniqueName('agent')}-`
  const alice = uniqueName('alice')
  const bridgePolicy = uniqueName('bridge')
  const tokenRole = await writeTestTokenRole(root, { policyPrefix })
  cleanups.push(() => tokenRole.remove())
  await root.write(`sys/policies/acl/${bridgePolicy}`, {
    policy: renderBridgePolicy({
      name: bridgePolicy,
      childTokenRole: tokenRole.name,
      kvMount: 'secret',
      transitMount: 'transit',
      policyPrefix,
    }),
  })
  await root.write(`sys/policies/acl/${agentPolicyName(policyPrefix, alice)}`, {
    policy: renderAgentPolicy({
      agent: alice,
      mount: 'secret',
      prefix,
      transitMount: 'transit',
      policyPrefix,
    }),
  })
  const roleName = uniqueName('bridge')
  await root.write(`auth/${mount}/role/${roleName}`, {
    token_policies: [bridgePolicy, agentPolicyName(policyPrefix, alice)],
    token_no_default_policy: true,
    token_ttl: role.ttl,
    token_max_ttl: role.maxTtl,
    ...(role.explicitMaxTtl ? { token_explicit_max_ttl: role.explicitMaxTtl } : {}),
    secret_id_num_uses: role.secretIdUses ?? 0,
  })
  const roleId = (
    (await root.read(`auth/${mount}/role/${roleName}/role-id`)) as {
      data: { role_id: string }
    }
  ).data.role_id
  const secretId = (
    (await root.write(`auth/${mount}/role/${roleName}/secret-id`, {})) as {
      data: { secret_id: string }
    }
  ).data.secret_id
  const proxy = await startVaultProxy(vault.url)
  cleanups.push(() => proxy.close())
  const { logger, lines } = recordingLogger()
  return {
    root,
    proxy,
    mount,
    roleId,
    secretId,
    prefix,
    policyPrefix,
    tokenRole: tokenRole.name,
    alice,
    logs: lines,
    async start(extra = {}) {
      const config = loadConfig({
        VAULT_ADDR: proxy.url,
        VAULT_ROLE_ID: roleId,
        VAULT_SECRET_ID: extra.secretId ?? secretId,
        VAULT_APPROLE_MOUNT: mount,
        DEFAULT_PREFIX: prefix,
        CHILD_TOKEN_ENABLED: 'true',
        CHILD_TOKEN_POLICY_PREFIX: policyPrefix,
        CHILD_TOKEN_ROLE: tokenRole.name,
        ...extra.env,
      })
      const port = createVaultPort({
        vault: config.vault,
        childToken: config.childToken,
        logger,
        ...(extra.now ? { now: extra.now } : {}),
      })
      cleanups.push(() => port.close())
      await port.start()
      return port
    },
    logins: () => proxy.requests.filter((r) => r.path === `auth/${mount}/login`).length,
    ctx: () => ({
      principal: { agent: alice, scopes: ['read', 'write'], method: 'api_key' },
      requestId: uniqueName('req'),
    }),
    key: (path) => resolveSecretPath(prefix, alice, path),
  }
}

/** The bridge's current token, as the proxy saw it in the latest login answer. */
const bridgeToken = (s: AppRoleSetup): string => {
  const logins = s.proxy.requests.filter((r) => r.path === `auth/${s.mount}/login`)
  return (logins.at(-1)!.response as { auth: { client_token: string } }).auth.client_token
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as AppError,
  )

async function testVault(): Promise<TestVault> {
  const v = await vaultForTests()
  cleanups.push(() => v.close())
  return v
}

describe('bridge login with AppRole', () => {
  it('logs in and serves an agent with child tokens under the bridge policy', async () => {
    const s = await appRoleSetup(await testVault())
    const port = await s.start()
    expect(await port.readiness()).toEqual({ ready: true })
    await port.session(s.ctx(), 1, (v) => v.kvWrite(s.key('db'), { password: 'p' }))
    const read = await port.session(s.ctx(), 1, (v) => v.kvRead(s.key('db')))
    expect(read.data).toEqual({ password: 'p' })
    expect(s.logins()).toBe(1)
    const login = s.proxy.requests.find((r) => r.path === `auth/${s.mount}/login`)!
    expect(login.token).toBeUndefined()
    // The bridge token holds the bridge and agent policies only (no default policy).
    const policies = (login.response as { auth: { policies: string[] } }).auth.policies
    expect(policies).not.toContain('default')
    expect(policies).toContain(agentPolicyName(s.policyPrefix, s.alice))
  })

  it('prefers AppRole when VAULT_TOKEN is set as well', async () => {
    const vault = await testVault()
    const s = await appRoleSetup(vault)
    const port = await s.start({ env: { VAULT_TOKEN: vault.rootToken } })
    await port.session(s.ctx(), 1, (v) => v.kvWrite(s.key('db'), { password: 'p' }))
    expect(s.logins()).toBe(1)
    expect(s.proxy.requests.some((r) => r.token === vault.rootToken)).toBe(false)
  })

  it('refuses to start (exit 2) when Vault rejects the AppRole credentials', async () => {
    const s = await appRoleSetup(await testVault())
    const err = await errorOf(s.start({ secretId: '00000000-0000-0000-0000-000000000000' }))
    expect(err).toBeInstanceOf(VaultStartupError)
    expect((err as unknown as VaultStartupError).reason).toBe('approle_rejected')
    expect((err as unknown as VaultStartupError).message).not.toContain(s.secretId)
  })

  it('logs in again once and retries once when its token is revoked under a request', async () => {
    const s = await appRoleSetup(await testVault())
    const port = await s.start()
    await port.session(s.ctx(), 1, (v) => v.kvWrite(s.key('db'), { password: 'p' }))
    const old = bridgeToken(s)
    await s.root.write('auth/token/revoke', { token: old })
    s.proxy.requests.length = 0

    const read = await port.session(s.ctx(), 1, (v) => v.kvRead(s.key('db')))
    expect(read.data).toEqual({ password: 'p' })
    expect(s.logins()).toBe(1)
    expect(bridgeToken(s)).not.toBe(old)
    // (Revocations of earlier child tokens run in the background: left out here.)
    const calls = s.proxy.requests.map((r) => r.path).filter((p) => p !== 'auth/token/revoke')
    expect(calls.slice(0, 4)).toEqual([
      `auth/token/create/${s.tokenRole}`, // with the revoked token: 403
      'auth/token/lookup-self', // is it the bridge token? yes
      `auth/${s.mount}/login`,
      `auth/token/create/${s.tokenRole}`, // the one retry
    ])
    expect(s.logs.some((l) => (l.obj as { event?: string }).event === 'vault_relogin')).toBe(true)
  })

  it('does not loop when the re-login fails too: VAULT_UNAVAILABLE and not ready', async () => {
    const s = await appRoleSetup(await testVault(), { ttl: '1h', maxTtl: '2h', secretIdUses: 1 })
    const port = await s.start() // uses the secret id's only use
    await s.root.write('auth/token/revoke', { token: bridgeToken(s) })

    const err = await errorOf(port.session(s.ctx(), 1, (v) => v.kvRead(s.key('db'))))
    expect(err?.code).toBe('VAULT_UNAVAILABLE')
    expect(s.logins()).toBe(2) // the start and exactly one retry of the login
    const again = await errorOf(port.session(s.ctx(), 1, (v) => v.kvRead(s.key('db'))))
    expect(again?.code).toBe('VAULT_UNAVAILABLE')
    expect(s.logins()).toBe(2) // within the probe interval: no new attempt
    expect(await port.readiness()).toMatchObject({ ready: false })
  })
})

// The port's ticker is a fake interval here: the test owns the clock and runs each round of
// upkeep itself (the ticker is tested in vault-access-login.test.ts).
describe('AppRole token upkeep (dev vault, shared controllable clock, upkeep stepped by the test)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  async function clocked(role: { ttl: string; maxTtl: string; explicitMaxTtl?: string }) {
    let t = Date.now()
    const now = () => t
    const dev = await startDevVault({ port: 0, clock: now })
    cleanups.push(() => dev.close())
    const s = await appRoleSetup(dev, role)
    const port = await s.start({ now })
    return { s, port, advance: (seconds: number) => void (t += seconds * 1000) }
  }
  const count = (s: AppRoleSetup, path: string) =>
    s.proxy.requests.filter((r) => r.path === path).length

  it('renews at two thirds of the TTL while the max TTL is far', async () => {
    const { s, port, advance } = await clocked({ ttl: '60s', maxTtl: '1h' })
    advance(39)
    await port.upkeep()
    expect(count(s, 'auth/token/renew-self')).toBe(0)
    advance(2)
    await port.upkeep()
    expect(count(s, 'auth/token/renew-self')).toBe(1)
    expect(s.logins()).toBe(1)
    await expect(
      port.session(s.ctx(), 1, (v) => v.kvList(`${s.prefix}/${s.alice}/`)),
    ).resolves.toEqual([])
  })

  it('logs in again when the max TTL is near (a capped renewal)', async () => {
    // An explicit max TTL: Vault caps every renewal by it (the dev vault caps renewals by this
    // one, not by token_max_ttl).
    const { s, port, advance } = await clocked({ ttl: '60s', maxTtl: '1h', explicitMaxTtl: '90s' })
    const first = bridgeToken(s)
    advance(41) // renewal now grants only 49 s < 60 s: the max TTL is near
    await port.upkeep()
    expect(s.logins()).toBe(2)
    expect(count(s, 'auth/token/renew-self')).toBe(1)
    expect(bridgeToken(s)).not.toBe(first)
    advance(50) // past the first token's max TTL: the new one is in use
    await expect(
      port.session(s.ctx(), 1, (v) => v.kvWrite(s.key('a'), { v: '1' })),
    ).resolves.toMatchObject({
      version: 1,
    })
  })

  it('logs in again when renewal is refused', async () => {
    const { s, port, advance } = await clocked({ ttl: '60s', maxTtl: '1h' })
    await s.root.write('auth/token/revoke', { token: bridgeToken(s) })
    advance(41)
    await port.upkeep()
    expect(s.logins()).toBe(2)
    expect(count(s, 'auth/token/renew-self')).toBe(1)
    await expect(
      port.session(s.ctx(), 1, (v) => v.kvWrite(s.key('a'), { v: '1' })),
    ).resolves.toMatchObject({
      version: 1,
    })
  })
})
