/**
 * @module test/integration/vault-access-jwt-provision: `provision` with JWT exchange sets up
 * Vault's JWT auth method from the bridge's own JWKS or OIDC settings and one role per agent,
 * idempotently (a second run changes nothing); it repairs drift, reports and prunes stale roles,
 * refuses a mount of another type; and a bridge logged in with the AppRole it writes (never the
 * root token) exchanges callers' tokens, explains refusals and revokes what it drops.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { AppError } from '../../src/core/errors.js'
import { resolveSecretPath } from '../../src/core/paths.js'
import { jwtRolePath } from '../../src/vault/jwt-role.js'
import { agentPolicyName } from '../../src/vault/policy-name.js'
import { uniqueName } from '@vault-mcp-bridge/dev-vault/testing'
import {
  AUDIENCE,
  ISSUER,
  startExchangeVault,
  type ExchangeVault,
} from '../helpers/jwt-exchange.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined)
})

async function exchangeVault(names?: string[]): Promise<ExchangeVault> {
  const x = await startExchangeVault(names)
  cleanups.push(() => x.close())
  return x
}

const read = async (x: ExchangeVault, path: string) =>
  ((await x.root.read(path)) as { data: Record<string, unknown> }).data

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as AppError,
  )

describe('provision with JWT exchange', () => {
  it('sets up the JWT auth method and one role per agent, then changes nothing', async () => {
    const x = await exchangeVault()
    const [alice, bob] = x.agents as [string, string]
    const first = x.provisioned.changes
    expect(first).toContain(`enabled jwt at auth/${x.mount}/`)
    expect(first).toContain(`wrote config of auth/${x.mount}`)
    expect(first).toContain(`created JWT role ${x.role(alice)} at auth/${x.mount}`)
    expect(first).toContain(`created JWT role ${x.role(bob)} at auth/${x.mount}`)

    expect(await read(x, `auth/${x.mount}/config`)).toMatchObject({
      jwks_url: x.keys.jwksUrl,
      oidc_discovery_url: '',
      bound_issuer: ISSUER,
      jwt_supported_algs: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    })
    expect(await read(x, jwtRolePath(x.mount, x.role(alice)))).toMatchObject({
      role_type: 'jwt',
      user_claim: 'sub',
      bound_subject: alice,
      bound_audiences: [AUDIENCE],
      token_policies: [agentPolicyName(x.policyPrefix, alice)],
      token_ttl: 300,
      token_max_ttl: 300,
      token_no_default_policy: true,
      token_type: 'service',
    })
    // The bridge's own policy lets it read the agents' roles (to explain a refused login).
    const bridgePolicy = (await read(x, `sys/policies/acl/${x.bridgePolicyName}`)).policy
    expect(bridgePolicy).toContain(
      `path "auth/${x.mount}/role/${x.role('')}*" {\n  capabilities = ["read"]`,
    )

    const second = await x.provision()
    expect(second.changes).toEqual([])
    expect(second.warnings).toEqual([])
  })

  it('repairs a role an operator changed, adds a new agent, and reports or prunes stale roles', async () => {
    const x = await exchangeVault()
    const [alice, bob] = x.agents as [string, string]
    await x.root.write(jwtRolePath(x.mount, x.role(alice)), {
      role_type: 'jwt',
      bound_audiences: ['other'],
    })
    const carol = uniqueName('carol')
    const again = await x.provision({ agents: [alice, bob, carol] })
    expect(again.changes).toEqual(
      expect.arrayContaining([
        `updated JWT role ${x.role(alice)} at auth/${x.mount}`,
        `created JWT role ${x.role(carol)} at auth/${x.mount}`,
      ]),
    )
    expect(again.changes.some((c) => c.includes(x.role(bob)))).toBe(false)
    expect((await read(x, jwtRolePath(x.mount, x.role(alice)))).bound_audiences).toEqual([AUDIENCE])

    const kept = await x.provision({ agents: [alice, bob] })
    expect(kept.warnings).toEqual(
      expect.arrayContaining([expect.stringContaining(`JWT role ${x.role(carol)}`)]),
    )
    expect(
      (await x.root.read(jwtRolePath(x.mount, x.role(carol))).catch(() => null)) !== null,
    ).toBe(true)
    const pruned = await x.provision({ agents: [alice, bob], prune: true })
    expect(pruned.changes).toContain(`deleted JWT role ${x.role(carol)} at auth/${x.mount}`)
    const gone = await x.root.read(jwtRolePath(x.mount, x.role(carol))).then(
      () => 200,
      (e: { response?: { statusCode?: number } }) => e.response?.statusCode,
    )
    expect(gone).toBe(404)
  })

  it('refuses a mount of another type at VAULT_JWT_EXCHANGE_MOUNT', async () => {
    const x = await exchangeVault()
    const taken = uniqueName('approle')
    await x.root.write(`sys/auth/${taken}`, { type: 'approle' })
    cleanups.push(() => x.root.delete(`sys/auth/${taken}`))
    await expect(x.provision({ env: { VAULT_JWT_EXCHANGE_MOUNT: taken } })).rejects.toThrow(
      /VAULT_JWT_EXCHANGE_MOUNT/,
    )
  })

  it('configures OIDC discovery of JWT_ISSUER when the bridge has no JWKS URL, and callers log in', async () => {
    const x = await exchangeVault(['dora'])
    const [dora] = x.agents as [string]
    const mount = uniqueName('oidc')
    cleanups.push(() => x.root.delete(`sys/auth/${mount}`))
    const env = { JWT_JWKS_URL: '', JWT_ISSUER: x.keys.base, VAULT_JWT_EXCHANGE_MOUNT: mount }
    const result = await x.provision({ env })
    expect(result.changes).toContain(`wrote config of auth/${mount}`)
    expect(await read(x, `auth/${mount}/config`)).toMatchObject({
      jwks_url: '',
      oidc_discovery_url: x.keys.base,
      bound_issuer: x.keys.base,
    })
    expect((await x.provision({ env })).changes).toEqual([])

    const port = await x.port(env)
    const ctx = x.ctx(dora, await x.token(dora, { iss: x.keys.base }))
    const key = resolveSecretPath(x.prefix, dora, 'o')
    await port.session(ctx, 1, (v) => v.kvWrite(key, { o: 1 }))
    expect(x.proxy.requests.filter((r) => r.path === `auth/${mount}/login`)).toHaveLength(1)
  })

  it('binds another subject claim (JWT_SUBJECT_CLAIM) with bound_claims, and callers log in', async () => {
    const x = await exchangeVault(['erin'])
    const [erin] = x.agents as [string]
    const mount = uniqueName('claim')
    cleanups.push(() => x.root.delete(`sys/auth/${mount}`))
    const env = { JWT_SUBJECT_CLAIM: 'agent_id', VAULT_JWT_EXCHANGE_MOUNT: mount }
    await x.provision({ env })
    expect(await read(x, jwtRolePath(mount, x.role(erin)))).toMatchObject({
      user_claim: 'agent_id',
      bound_subject: '',
      bound_claims: { agent_id: [erin] },
    })
    expect((await x.provision({ env })).changes).toEqual([])

    const port = await x.port(env)
    const key = resolveSecretPath(x.prefix, erin, 'c')
    const own = x.ctx(erin, await x.token('someone', { agent_id: erin }))
    await port.session(own, 1, (v) => v.kvWrite(key, { c: 1 }))
    const other = x.ctx(erin, await x.token('someone', { agent_id: 'mallory' }))
    expect((await errorOf(port.session(other, 1, (v) => v.kvRead(key))))?.code).toBe(
      'VAULT_LOGIN_REFUSED',
    )
  })

  it("a bridge with provision's AppRole (not root) exchanges, explains refusals and revokes", async () => {
    const x = await exchangeVault()
    const [alice] = x.agents as [string]
    const port = await x.port({
      VAULT_TOKEN: '',
      VAULT_ROLE_ID: x.provisioned.roleId,
      VAULT_SECRET_ID: x.provisioned.secretId!,
      VAULT_JWT_EXCHANGE_CACHE_SIZE: '1',
    })
    const key = resolveSecretPath(x.prefix, alice, 'p')
    await port.session(x.ctx(alice, await x.token(alice)), 1, (v) => v.kvWrite(key, { p: 1 }))
    const first = (x.logins()[0]!.response as { auth: { client_token: string } }).auth.client_token
    // A second token of alice's evicts the first (cache of one): the bridge's token revokes it.
    await port.session(x.ctx(alice, await x.token(alice)), 1, (v) => v.kvRead(key))
    await expect.poll(() => x.revokes().map((r) => r.status)).toEqual([204])
    expect(x.revokes()[0]!.token).not.toBe(x.vault.rootToken)
    expect(await x.alive(first)).toBe(false)

    // The bridge's policy lets it read the agents' roles: a missing one is named as missing.
    const nobody = `${alice}-nobody`
    const err = await errorOf(
      port.session(x.ctx(nobody, await x.token(nobody)), 1, (v) => v.kvRead('x')),
    )
    expect(err?.code).toBe('VAULT_LOGIN_REFUSED')
    expect(err?.message).toContain(`no role "${x.role(nobody)}"`)
  })
})
