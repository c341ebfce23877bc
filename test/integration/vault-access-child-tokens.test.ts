/**
 * @module test/integration/vault-access-child-tokens: per-request child tokens. What Vault sees
 * (policy, no default policy, TTL, num_uses, meta), that Vault itself refuses agent A's token on
 * agent B's paths and keys, revocation, FORBIDDEN with a gen-policy hint, and safe reuse.
 */
import nodeVault from 'node-vault'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import type { AppError } from '../../src/core/errors.js'
import type { CallContext } from '../../src/core/identity.js'
import { resolveFolderPath, resolveSecretPath, transitKeyName } from '../../src/core/paths.js'
import { renderAgentPolicy } from '../../src/vault/admin/policy.js'
import { agentPolicyName } from '../../src/vault/policy-name.js'
import { createVaultPort, type ManagedVaultPort } from '../../src/vault/vault-port.js'
import { uniqueName, vaultForTests } from '@vault-mcp-bridge/dev-vault/testing'
import { startVaultProxy, type ProxiedRequest, type VaultProxy } from '../helpers/vault-proxy.js'
import { writeTestTokenRole } from '../helpers/token-role.js'
import { recordingLogger } from '../helpers/vault-stack.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined)
})

interface Setup {
  port: ManagedVaultPort
  proxy: VaultProxy
  root: nodeVault.client
  rootToken: string
  prefix: string
  policyPrefix: string
  alice: string
  bob: string
  transit: boolean
  ctx(agent: string): CallContext
  key(agent: string, path: string): string
  creates(agent?: string): ProxiedRequest[]
  revokes(): ProxiedRequest[]
}

async function setup(env: Record<string, string> = {}, now?: () => number): Promise<Setup> {
  const vault = await vaultForTests()
  cleanups.push(() => vault.close())
  const root = nodeVault({
    endpoint: vault.url,
    token: vault.rootToken,
    debug: () => {},
    noCustomHTTPVerbs: true,
  })
  const prefix = uniqueName('mcp')
  const policyPrefix = `${uniqueName('agent')}-`
  const alice = uniqueName('alice')
  const bob = uniqueName('bob')
  for (const agent of [alice, bob]) {
    const policy = renderAgentPolicy({
      agent,
      mount: 'secret',
      prefix,
      transitMount: 'transit',
      policyPrefix,
    })
    await root.write(`sys/policies/acl/${agentPolicyName(policyPrefix, agent)}`, { policy })
  }
  const mounts = (await root.read('sys/mounts')) as { data?: Record<string, unknown> }
  let transit = 'transit/' in (mounts.data ?? mounts)
  if (!transit) {
    transit = await root.write('sys/mounts/transit', { type: 'transit' }).then(
      () => true,
      () => false,
    )
  }
  const role = await writeTestTokenRole(root, { policyPrefix })
  cleanups.push(() => role.remove())
  const proxy = await startVaultProxy(vault.url)
  cleanups.push(() => proxy.close())
  const config = loadConfig({
    VAULT_ADDR: proxy.url,
    VAULT_TOKEN: vault.rootToken,
    DEFAULT_PREFIX: prefix,
    CHILD_TOKEN_ENABLED: 'true',
    CHILD_TOKEN_POLICY_PREFIX: policyPrefix,
    CHILD_TOKEN_ROLE: role.name,
    ...env,
  })
  const port = createVaultPort({
    vault: config.vault,
    childToken: config.childToken,
    logger: recordingLogger().logger,
    ...(now ? { now } : {}),
  })
  cleanups.push(() => port.close())
  await port.start()
  return {
    port,
    proxy,
    root,
    rootToken: vault.rootToken,
    prefix,
    policyPrefix,
    alice,
    bob,
    transit,
    ctx: (agent) => ({
      principal: { agent, scopes: ['read', 'write', 'delete', 'list'], method: 'jwt' },
      requestId: uniqueName('req'),
    }),
    key: (agent, path) => resolveSecretPath(prefix, agent, path),
    creates: (agent) =>
      proxy.requests.filter(
        (r) =>
          r.path.startsWith('auth/token/create') &&
          (agent === undefined ||
            (r.body as { meta?: { agent?: string } } | undefined)?.meta?.agent === agent),
      ),
    revokes: () => proxy.requests.filter((r) => r.path === 'auth/token/revoke'),
  }
}

const childTokenOf = (create: ProxiedRequest): string =>
  (create.response as { auth: { client_token: string } }).auth.client_token

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as AppError,
  )

/** Whether Vault still knows `token` (root lookup). */
const alive = (s: Setup, token: string) =>
  s.root.write('auth/token/lookup', { token }).then(
    () => true,
    () => false,
  )

describe('per-request child tokens', () => {
  it("mints a token with the agent's policy only, runs the call with it, then revokes it", async () => {
    const s = await setup()
    const c = s.ctx(s.alice)
    await s.port.session(c, 1, (v) => v.kvWrite(s.key(s.alice, 'db'), { password: 'x' }))

    const [create] = s.creates()
    expect(s.creates()).toHaveLength(1)
    expect(create!.token).toBe(s.rootToken)
    expect(create!.body).toMatchObject({
      policies: [agentPolicyName(s.policyPrefix, s.alice)],
      no_default_policy: true,
      num_uses: 2,
      ttl: '90s',
      renewable: false,
      meta: { agent: s.alice, auth_method: 'jwt', request_id: c.requestId },
    })
    const child = childTokenOf(create!)
    expect((create!.response as { auth: { policies: string[] } }).auth.policies).toEqual([
      agentPolicyName(s.policyPrefix, s.alice),
    ])
    const write = s.proxy.requests.find((r) => r.path === `secret/data/${s.key(s.alice, 'db')}`)
    expect(write?.token).toBe(child)
    expect(write?.status).toBe(200)

    await vi.waitFor(() => expect(s.revokes()).toHaveLength(1), { timeout: 5000, interval: 10 })
    expect(s.revokes()[0]!.body).toEqual({ token: child })
    expect(await alive(s, child)).toBe(false)
  })

  it("is refused by Vault itself on another agent's paths and keys", async () => {
    const s = await setup()
    const bobKey = s.key(s.bob, 'db')
    await s.root.write(`secret/data/${bobKey}`, { data: { password: 'bob-only' } })
    const asAlice = (fn: Parameters<ManagedVaultPort['session']>[2]) =>
      errorOf(s.port.session(s.ctx(s.alice), 1, fn))

    // As a bug in the bridge would: alice's request, bob's Vault names, straight to the port.
    expect((await asAlice((v) => v.kvRead(bobKey)))?.code).toBe('FORBIDDEN')
    expect((await asAlice((v) => v.kvWrite(bobKey, { password: 'mine' })))?.code).toBe('FORBIDDEN')
    expect((await asAlice((v) => v.kvList(resolveFolderPath(s.prefix, s.bob, ''))))?.code).toBe(
      'FORBIDDEN',
    )
    expect((await asAlice((v) => v.kvDestroy(bobKey, [1])))?.code).toBe('FORBIDDEN')
    const denied = s.proxy.requests.filter((r) => r.path.includes(`/${s.bob}/`))
    expect(denied.length).toBeGreaterThanOrEqual(4)
    expect(denied.every((r) => r.status === 403 && r.token !== s.rootToken)).toBe(true)

    if (s.transit) {
      const bobTransitKey = transitKeyName(s.prefix, s.bob, 'k')
      await s.root.write(`transit/keys/${bobTransitKey}`, {})
      const enc = await asAlice((v) => v.transitEncrypt(bobTransitKey, [{ plaintext: 'aGk=' }]))
      expect(enc?.code).toBe('FORBIDDEN')
    }

    // Bob's secret is untouched, and bob himself can read it through the same port.
    const read = await s.port.session(s.ctx(s.bob), 1, (v) => v.kvRead(bobKey))
    expect(read.data).toEqual({ password: 'bob-only' })
    expect(read.metadata.version).toBe(1)
  })

  it('refuses an agent whose policy does not exist, revoking the token Vault made anyway', async () => {
    const s = await setup()
    const carol = uniqueName('carol')
    const err = await errorOf(s.port.session(s.ctx(carol), 1, (v) => v.kvRead(s.key(carol, 'x'))))
    expect(err?.code).toBe('FORBIDDEN')
    expect(err?.message).toContain('provision --agents')
    expect(err?.message).toContain('gen-policy')
    // Vault answered 200 with a warning naming the missing policy: one mint, no retry, no
    // Vault call with the child, and the child revoked at once.
    const creates = s.creates(carol)
    expect(creates).toHaveLength(1)
    expect(creates[0]!.status).toBe(200)
    expect((creates[0]!.response as { warnings: string[] }).warnings).toEqual([
      `Policy "${agentPolicyName(s.policyPrefix, carol)}" does not exist`,
    ])
    const child = childTokenOf(creates[0]!)
    expect(s.proxy.requests.filter((r) => r.token === child)).toEqual([])
    expect(s.revokes().map((r) => r.body)).toEqual([{ token: child }])
    expect(await alive(s, child)).toBe(false)
  })

  it("keys the token's metadata by the bridge's request id; the caller's goes beside it", async () => {
    const s = await setup()
    const ctx = { ...s.ctx(s.alice), requestId: 'bridge-request-id', clientRequestId: 'caller-id' }
    await s.port.session(ctx, 1, (v) => v.kvWrite(s.key(s.alice, 'meta'), { v: '1' }))
    const meta = (s.creates(s.alice)[0]?.body as { meta?: Record<string, string> }).meta
    expect(meta).toMatchObject({ request_id: 'bridge-request-id', client_request_id: 'caller-id' })
  })

  it('refuses agent ids whose policy name Vault would lower-case, minting nothing', async () => {
    const s = await setup()
    const err = await errorOf(s.port.session(s.ctx('Alice'), 1, (v) => v.kvRead('x')))
    expect(err?.code).toBe('FORBIDDEN')
    expect(s.creates()).toHaveLength(0)
  })

  it('lets Vault cut a session that makes more calls than it announced', async () => {
    const s = await setup()
    const key = s.key(s.alice, 'db')
    const err = await errorOf(
      s.port.session(s.ctx(s.alice), 1, async (v) => {
        await v.kvWrite(key, { a: '1' })
        await v.kvWrite(key, { a: '2' })
        await v.kvWrite(key, { a: '3' }) // beyond num_uses = 1 + 1
      }),
    )
    expect(err?.code).toBe('FORBIDDEN')
    // The dead token is replaced once (the session is retried once), never in a loop.
    expect(s.creates(s.alice)).toHaveLength(2)
  })
})

describe('child token reuse (CHILD_TOKEN_REUSE_SECONDS)', () => {
  it('reuses one token per agent within the window, never across agents', async () => {
    let t = Date.now()
    const s = await setup({ CHILD_TOKEN_REUSE_SECONDS: '30' }, () => t)
    for (let i = 0; i < 3; i++) {
      await s.port.session(s.ctx(s.alice), 1, (v) => v.kvWrite(s.key(s.alice, 'a'), { i: `${i}` }))
    }
    await s.port.session(s.ctx(s.bob), 1, (v) => v.kvWrite(s.key(s.bob, 'a'), { i: '0' }))
    expect(s.creates(s.alice)).toHaveLength(1)
    expect(s.creates(s.bob)).toHaveLength(1)
    const aliceToken = childTokenOf(s.creates(s.alice)[0]!)
    const bobToken = childTokenOf(s.creates(s.bob)[0]!)
    expect(aliceToken).not.toBe(bobToken)
    expect(s.creates(s.bob)[0]!.body).toMatchObject({
      policies: [agentPolicyName(s.policyPrefix, s.bob)],
      num_uses: 0,
    })
    // Bob's reused token still cannot touch alice's secrets.
    const err = await errorOf(s.port.session(s.ctx(s.bob), 1, (v) => v.kvRead(s.key(s.alice, 'a'))))
    expect(err?.code).toBe('FORBIDDEN')

    // After the window, a fresh token; the old one is revoked.
    t += 31_000
    await s.port.session(s.ctx(s.alice), 1, (v) => v.kvRead(s.key(s.alice, 'a')))
    expect(s.creates(s.alice)).toHaveLength(2)
    await vi.waitFor(async () => expect(await alive(s, aliceToken)).toBe(false), {
      timeout: 5000,
      interval: 20,
    })

    // close() revokes every token still alive.
    const latest = childTokenOf(s.creates(s.alice)[1]!)
    expect(await alive(s, latest)).toBe(true)
    await s.port.close()
    expect(await alive(s, latest)).toBe(false)
    expect(await alive(s, bobToken)).toBe(false)
  })

  it('replaces a reused token that Vault revoked, with one retry', async () => {
    const s = await setup({ CHILD_TOKEN_REUSE_SECONDS: '30' })
    await s.port.session(s.ctx(s.alice), 1, (v) => v.kvWrite(s.key(s.alice, 'a'), { v: '1' }))
    const first = childTokenOf(s.creates(s.alice)[0]!)
    await s.root.write('auth/token/revoke', { token: first })

    const read = await s.port.session(s.ctx(s.alice), 1, (v) => v.kvRead(s.key(s.alice, 'a')))
    expect(read.data).toEqual({ v: '1' })
    expect(s.creates(s.alice)).toHaveLength(2)
  })
})

/**
 * Vault's first-party unwrap: the wrapping token is the request's own token (no token of the
 * bridge's is involved).
 */
async function unwrapAtVault(s: Setup, wrappingToken: string) {
  const res = await fetch(`${s.proxy.url}/v1/sys/wrapping/unwrap`, {
    method: 'POST',
    headers: { 'X-Vault-Token': wrappingToken },
  })
  const body = (await res.json().catch(() => undefined)) as
    { data?: { data?: Record<string, unknown> } } | undefined
  return { status: res.status, data: body?.data?.data }
}

// Vault makes a wrapping token without a parent (vault/wrapping.go), so that revoking the token
// that made the wrapped request, or spending its last use, leaves the wrapping token valid.
describe('response-wrapped reads with child tokens', () => {
  it('per-request tokens: the wrapping token outlives the revoked child that made it', async () => {
    const s = await setup()
    const key = s.key(s.alice, 'wrapped')
    await s.root.write(`secret/data/${key}`, { data: { password: 'outlives-the-child' } })

    const info = await s.port.session(s.ctx(s.alice), 1, (v) => v.kvReadWrapped(key, 120))
    const [create] = s.creates(s.alice)
    const child = childTokenOf(create!)
    const read = s.proxy.requests.find((r) => r.path === `secret/data/${key}`)
    expect(read?.token).toBe(child)
    expect(JSON.stringify(read?.response)).not.toContain('outlives-the-child')
    expect(info).toMatchObject({ ttl: 120, creation_path: `secret/data/${key}` })

    await vi.waitFor(() => expect(s.revokes()).toHaveLength(1), { timeout: 5000, interval: 10 })
    expect(s.revokes()[0]!.body).toEqual({ token: child })
    expect(await alive(s, child)).toBe(false)

    expect(await alive(s, info.token)).toBe(true)
    expect(await unwrapAtVault(s, info.token)).toEqual({
      status: 200,
      data: { password: 'outlives-the-child' },
    })
    expect((await unwrapAtVault(s, info.token)).status).toBe(400)
  })

  it('reused tokens: the wrapping token outlives the child revoked at close', async () => {
    const s = await setup({ CHILD_TOKEN_REUSE_SECONDS: '30' })
    const key = s.key(s.alice, 'wrapped')
    await s.root.write(`secret/data/${key}`, { data: { password: 'outlives-reuse' } })

    const info = await s.port.session(s.ctx(s.alice), 1, (v) => v.kvReadWrapped(key, 120))
    const child = childTokenOf(s.creates(s.alice)[0]!)
    expect(s.creates(s.alice)[0]!.body).toMatchObject({ num_uses: 0 })
    expect(s.proxy.requests.find((r) => r.path === `secret/data/${key}`)?.token).toBe(child)
    expect(await alive(s, child)).toBe(true)

    await s.port.close()
    expect(await alive(s, child)).toBe(false)
    expect(await unwrapAtVault(s, info.token)).toEqual({
      status: 200,
      data: { password: 'outlives-reuse' },
    })
    expect((await unwrapAtVault(s, info.token)).status).toBe(400)
  })
})
