/**
 * @module test/integration/vault-access-provision: `provision` prepares a Vault for the bridge
 * and is idempotent; the AppRole it creates runs the bridge with child tokens; the CLI prints or
 * writes the credentials and says when nothing changed.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import nodeVault from 'node-vault'
import { afterEach, describe, expect, it } from 'vitest'
import { runProvisionCommand } from '../../src/cli/provision.js'
import { loadConfig } from '../../src/config/load.js'
import type { Config } from '../../src/config/schema.js'
import type { AppError } from '../../src/core/errors.js'
import type { CallContext } from '../../src/core/identity.js'
import { resolveSecretPath, transitKeyName } from '../../src/core/paths.js'
import { startDevVault } from '@vault-mcp-bridge/dev-vault'
import { createNodeVaultClient } from '../../src/vault/node-vault-client.js'
import { agentPolicyName } from '../../src/vault/policy-name.js'
import {
  ProvisionError,
  provisionVault,
  type ProvisionOptions,
} from '../../src/vault/admin/provision.js'
import { createVaultPort } from '../../src/vault/vault-port.js'
import { uniqueName, vaultForTests, type TestVault } from '@vault-mcp-bridge/dev-vault/testing'
import { recordingLogger } from '../helpers/vault-stack.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined)
})

const rootOf = (v: Pick<TestVault, 'url' | 'rootToken'>) =>
  nodeVault({ endpoint: v.url, token: v.rootToken, debug: () => {}, noCustomHTTPVerbs: true })

/** Options with names unique to this run (safe on a shared real Vault), cleaned up after. */
async function options(vault: TestVault, agents: string[]): Promise<ProvisionOptions> {
  const client = createNodeVaultClient(loadConfig({ VAULT_ADDR: vault.url }).vault, {
    token: vault.rootToken,
    logger: recordingLogger().logger,
  })
  const o = {
    client,
    agents,
    kvMount: uniqueName('kv'),
    transitMount: uniqueName('transit'),
    prefix: uniqueName('mcp'),
    policyPrefix: `${uniqueName('agent')}-`,
    appRoleMount: uniqueName('approle'),
    bridgePolicyName: uniqueName('bridge'),
    roleName: uniqueName('bridge'),
    childTokenRole: uniqueName('bridge-agents'),
  } satisfies ProvisionOptions
  const root = rootOf(vault)
  cleanups.push(async () => {
    for (const m of [o.kvMount, o.transitMount]) await root.delete(`sys/mounts/${m}`).catch(() => 0)
    await root.delete(`sys/auth/${o.appRoleMount}`).catch(() => 0)
    await root.delete(`auth/token/roles/${o.childTokenRole}`).catch(() => 0)
    client.close()
  })
  return o
}

async function testVault(): Promise<TestVault> {
  const v = await vaultForTests()
  cleanups.push(() => v.close())
  return v
}

const ctx = (agent: string): CallContext => ({
  principal: { agent, scopes: ['read', 'write'], method: 'api_key' },
  requestId: uniqueName('req'),
})

/** Starts a VaultPort with `config` (closed after the test) and expects it ready. */
async function readyPort(config: Config) {
  const port = createVaultPort({
    vault: config.vault,
    childToken: config.childToken,
    logger: recordingLogger().logger,
  })
  cleanups.push(() => port.close())
  await port.start()
  expect(await port.readiness()).toEqual({ ready: true })
  return port
}

describe('provisionVault', () => {
  it('sets everything up once, then changes nothing and issues nothing', async () => {
    const vault = await testVault()
    const alice = uniqueName('alice')
    const bob = uniqueName('bob')
    const o = await options(vault, [alice, bob])

    const first = await provisionVault(o)
    expect(first.changes).toEqual([
      `enabled kv-v2 at ${o.kvMount}/`,
      `enabled transit at ${o.transitMount}/`,
      `enabled approle at auth/${o.appRoleMount}/`,
      `wrote policy ${agentPolicyName(o.policyPrefix, alice)}`,
      `wrote policy ${agentPolicyName(o.policyPrefix, bob)}`,
      `wrote policy ${o.bridgePolicyName}`,
      `created token role ${o.childTokenRole}`,
      `created AppRole role ${o.roleName}`,
    ])
    expect(first.roleId).not.toBe('')
    expect(first.secretId).toBeTruthy()

    const second = await provisionVault({ ...o, issueSecretId: 'when-changed' })
    expect(second).toEqual({ changes: [], roleId: first.roleId, warnings: [] })

    // Adding an agent writes its policy and updates the role, nothing else.
    const carol = uniqueName('carol')
    const third = await provisionVault({ ...o, agents: [alice, bob, carol] })
    expect(third.changes).toEqual([
      `wrote policy ${agentPolicyName(o.policyPrefix, carol)}`,
      `updated AppRole role ${o.roleName}`,
    ])

    // The role's credentials run the bridge with child tokens, for the provisioned agents only.
    const config = loadConfig({
      VAULT_ADDR: vault.url,
      VAULT_ROLE_ID: first.roleId,
      VAULT_SECRET_ID: first.secretId!,
      VAULT_APPROLE_MOUNT: o.appRoleMount,
      KV_MOUNT: o.kvMount,
      TRANSIT_MOUNT: o.transitMount,
      DEFAULT_PREFIX: o.prefix,
      CHILD_TOKEN_ENABLED: 'true',
      CHILD_TOKEN_POLICY_PREFIX: o.policyPrefix,
      CHILD_TOKEN_ROLE: o.childTokenRole,
    })
    const port = await readyPort(config)
    for (const agent of [alice, carol]) {
      const key = resolveSecretPath(o.prefix, agent, 'db')
      await port.session(ctx(agent), 1, (v) => v.kvWrite(key, { p: agent }))
      expect((await port.session(ctx(agent), 1, (v) => v.kvRead(key))).data).toEqual({ p: agent })
      const [enc] = await port.session(ctx(agent), 1, (v) =>
        v.transitEncrypt(transitKeyName(o.prefix, agent, 'k'), [{ plaintext: 'aGk=' }]),
      )
      expect(enc?.ok).toBe(true)
    }
    const stranger = uniqueName('dave')
    const err = await port
      .session(ctx(stranger), 1, (v) => v.kvRead(resolveSecretPath(o.prefix, stranger, 'x')))
      .catch((e: AppError) => e)
    expect((err as AppError).code).toBe('FORBIDDEN')
  })

  it('gives the bridge token nothing beyond its policies (no admin, no default policy)', async () => {
    const vault = await testVault()
    const o = await options(vault, [uniqueName('alice')])
    const { roleId, secretId } = await provisionVault(o)
    const anon = nodeVault({ endpoint: vault.url, debug: () => {}, noCustomHTTPVerbs: true })
    const login = (await anon.write(`auth/${o.appRoleMount}/login`, {
      role_id: roleId,
      secret_id: secretId,
    })) as { auth: { client_token: string; policies: string[] } }
    expect(login.auth.policies).not.toContain('default')
    const bridge = nodeVault({
      endpoint: vault.url,
      token: login.auth.client_token,
      debug: () => {},
      noCustomHTTPVerbs: true,
    })
    const status = (p: Promise<unknown>) =>
      p.then(
        () => 200,
        (e: { response?: { statusCode?: number } }) => e.response?.statusCode,
      )
    expect(await status(bridge.read('sys/mounts'))).toBe(403)
    expect(await status(bridge.write(`sys/policies/acl/${uniqueName('x')}`, { policy: '' }))).toBe(
      403,
    )
    expect(await status(bridge.read('cubbyhole/x'))).toBe(403)
    expect(await status(bridge.read('auth/token/lookup-self'))).toBe(200)
    // Child tokens come from the token role only, and carry agent policies only: not the
    // bridge's own, not `default`, not an admin's.
    expect(await status(bridge.write('auth/token/create', { policies: ['root'] }))).toBe(403)
    const mint = `auth/token/create/${o.childTokenRole}`
    for (const policies of [['root'], [o.bridgePolicyName], ['default'], ['admin']]) {
      expect(
        await status(bridge.write(mint, { policies, no_default_policy: true })),
        policies[0],
      ).toBe(400)
    }
  })

  it('reports policies with the agent prefix that are not its agents, and prunes its own', async () => {
    const vault = await testVault()
    const [alice, bob] = [uniqueName('alice'), uniqueName('bob')]
    const o = await options(vault, [alice, bob])
    await provisionVault(o)
    const foreign = agentPolicyName(o.policyPrefix, uniqueName('hand'))
    await rootOf(vault).write(`sys/policies/acl/${foreign}`, {
      policy: 'path "x" { capabilities = ["read"] }',
    })
    cleanups.push(() => rootOf(vault).delete(`sys/policies/acl/${foreign}`))
    const bobPolicy = agentPolicyName(o.policyPrefix, bob)

    const kept = await provisionVault({ ...o, agents: [alice] })
    expect(kept.changes).toEqual([`updated AppRole role ${o.roleName}`])
    expect(kept.warnings).toHaveLength(2)
    expect(kept.warnings.find((w) => w.includes(bobPolicy))).toContain('--prune')
    expect(kept.warnings.find((w) => w.includes(foreign))).toContain('not written by provision')
    expect(await rootOf(vault).read(`sys/policies/acl/${bobPolicy}`)).toBeTruthy()

    const pruned = await provisionVault({ ...o, agents: [alice], prune: true })
    expect(pruned.changes).toEqual([`deleted policy ${bobPolicy}`])
    expect(pruned.warnings).toHaveLength(1)
    const gone = await rootOf(vault)
      .read(`sys/policies/acl/${bobPolicy}`)
      .then(
        () => 200,
        (e: { response?: { statusCode?: number } }) => e.response?.statusCode,
      )
    expect(gone).toBe(404)
    // The hand-written one is never deleted.
    expect(await rootOf(vault).read(`sys/policies/acl/${foreign}`)).toBeTruthy()
  })

  it('refuses a bridge policy name that the agent prefix would cover', async () => {
    const vault = await testVault()
    const o = await options(vault, [uniqueName('alice')])
    await expect(
      provisionVault({ ...o, bridgePolicyName: `${o.policyPrefix}bridge` }),
    ).rejects.toBeInstanceOf(ProvisionError)
  })

  it('refuses a mount of the wrong type in the way, and a token without admin rights', async () => {
    const vault = await testVault()
    const o = await options(vault, [uniqueName('alice')])
    await provisionVault(o)
    await expect(provisionVault({ ...o, kvMount: o.transitMount })).rejects.toBeInstanceOf(
      ProvisionError,
    )
    const weak = (await rootOf(vault).write('auth/token/create', {
      policies: ['default'],
      ttl: '5m',
    })) as { auth: { client_token: string } }
    const client = createNodeVaultClient(loadConfig({ VAULT_ADDR: vault.url }).vault, {
      token: weak.auth.client_token,
      logger: recordingLogger().logger,
    })
    cleanups.push(async () => client.close())
    await expect(provisionVault({ ...o, client })).rejects.toBeInstanceOf(ProvisionError)
  })
})

describe('vault-mcp-bridge provision (CLI, own dev vault)', () => {
  async function cli(argv: string[], env: Record<string, string>) {
    let stdout = ''
    let stderr = ''
    const code = await runProvisionCommand(argv, env, {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
    })
    return { code, stdout, stderr }
  }

  it('writes the credentials to --out, and a second run changes nothing and keeps them', async () => {
    const dev = await startDevVault({ port: 0 })
    cleanups.push(() => dev.close())
    const dir = mkdtempSync(join(tmpdir(), 'provision-'))
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }))
    const out = join(dir, 'bridge.env')
    const env = { VAULT_ADDR: dev.url, VAULT_TOKEN: dev.rootToken }

    const first = await cli(['--agents', 'alice,bob', '--out', out], env)
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('created AppRole role mcp-bridge')
    expect(first.stdout).not.toMatch(/VAULT_SECRET_ID=\S/)
    const text = readFileSync(out, 'utf8')
    expect(text).toMatch(/^VAULT_ROLE_ID=\S+\nVAULT_SECRET_ID=\S+\n$/)
    expect(statSync(out).mode & 0o777).toBe(0o600)

    const second = await cli(['--out', out], { ...env, AGENTS: 'bob alice' })
    expect(second.code).toBe(0)
    expect(second.stdout).toContain('no changes')
    expect(readFileSync(out, 'utf8')).toBe(text)

    const printed = await cli(['--agents', 'alice,bob'], env)
    expect(printed.stdout).toContain('no changes')
    expect(printed.stdout).toMatch(/VAULT_ROLE_ID=\S+/)
    expect(printed.stdout).not.toMatch(/VAULT_SECRET_ID=\S/)
    const fresh = await cli(['--agents', 'alice,bob', '--new-secret-id'], env)
    expect(fresh.stdout).toMatch(/VAULT_SECRET_ID=\S+/)

    // The file is an env file: read with node's own --env-file parser (as local-vault's bridge
    // service reads it), its credentials log the bridge in.
    const { VAULT_ROLE_ID, VAULT_SECRET_ID, ...rest } = parseEnv(text)
    expect(rest).toEqual({})
    const config = loadConfig({
      ...env,
      VAULT_TOKEN: '',
      VAULT_ROLE_ID: VAULT_ROLE_ID!,
      VAULT_SECRET_ID: VAULT_SECRET_ID!,
    })
    await readyPort(config)
  })

  it.each([
    [[], {}],
    [['--agents', 'Alice'], {}],
    [['--agents', 'a--b'], {}],
    [['--agents', 'a', '--bogus'], {}],
    [['--agents', 'a'], { VAULT_TOKEN: '' }],
    [['--agents', 'a'], { VAULT_TIMEOUT: 'soon' }],
  ])('refuses %j %j with exit code 2 before touching Vault', async (argv, extra) => {
    const r = await cli(argv, { VAULT_ADDR: 'http://127.0.0.1:1', VAULT_TOKEN: 't', ...extra })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).not.toBe('')
  })

  it('exits 1 when Vault is unreachable', async () => {
    const r = await cli(['--agents', 'a'], { VAULT_ADDR: 'http://127.0.0.1:1', VAULT_TOKEN: 't' })
    expect(r.code).toBe(1)
  })
})
