/** @module dev-vault/test/contract/token.test: the token auth method (reference §4). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ACL_DENIED,
  BOGUS_TOKEN,
  clientFor,
  contractVault,
  envelopeKeys,
  failure,
  hcl,
  invalidTokenErrors,
  raw,
  serviceTokenPrefix,
  tokenWithPolicy,
  uniqueName,
  writePolicy,
  type ContractVault,
} from './harness.js'
import { assertSince, GATES, has } from './versions.js'

let vault: ContractVault
let polA: string
let polB: string

beforeAll(async () => {
  vault = await contractVault()
  polA = await writePolicy(vault, 'ta', hcl('secret/data/ta/*', ['read']))
  polB = await writePolicy(vault, 'tb', hcl('secret/data/tb/*', ['read']))
})

afterAll(() => vault?.close())

/** A token that may create child tokens: polA, polB and update on auth/token/create. */
async function parentToken(extra: Record<string, unknown> = {}): Promise<string> {
  const creator = await writePolicy(
    vault,
    'creator',
    hcl('auth/token/create', ['update']) + hcl('auth/token/lookup', ['update']),
  )
  const res = await clientFor(vault).write('auth/token/create', {
    policies: [polA, polB, creator],
    ttl: '2h',
    ...extra,
  })
  return res.auth.client_token
}

describe('auth/token/create', () => {
  it('creates a child token: 200, data null, auth block with sorted policies + default', async (ctx) => {
    const res = await raw(vault, 'POST', 'auth/token/create', {
      body: {
        policies: [polB, polA.toUpperCase()],
        ttl: '1h',
        meta: { team: 'x' },
        display_name: 'ci bot',
      },
    })
    expect(res.status).toBe(200)
    expect(Object.keys(res.json)).toEqual(envelopeKeys())
    expect(res.json.data).toBeNull()
    await assertSince(ctx, GATES.mountType, () => expect(res.json.mount_type).toBe('token'))
    const auth = res.json.auth
    expect(auth.client_token.startsWith(serviceTokenPrefix())).toBe(true)
    expect(auth.policies).toEqual(['default', polA, polB].sort())
    expect(auth.token_policies).toEqual(auth.policies)
    expect(auth.metadata).toEqual({ team: 'x' })
    expect(auth.lease_duration).toBe(3600)
    expect(auth.renewable).toBe(true)
    expect(auth.orphan).toBe(false)
    expect(auth.token_type).toBe('service')
    if (has(GATES.authMfaRequirement)) expect(auth.mfa_requirement).toBeNull()
    else expect(auth).not.toHaveProperty('mfa_requirement')
    if (has(GATES.authNumUses)) expect(auth.num_uses).toBe(0)
    else expect(auth).not.toHaveProperty('num_uses')
    const look = await clientFor(vault, auth.client_token).tokenLookupSelf()
    expect(look.data.display_name).toBe('token-ci-bot')
    expect(look.data.meta).toEqual({ team: 'x' })
    expect(look.data.path).toBe('auth/token/create')
  })

  it('defaults the TTL to 768h and honours no_default_policy', async () => {
    const res = await clientFor(vault).tokenCreate({ policies: [polA], no_default_policy: true })
    expect(res.auth.lease_duration).toBe(2764800)
    expect(res.auth.policies).toEqual([polA])
  })

  it('caps the TTL at explicit_max_ttl with a warning', async () => {
    const res = await clientFor(vault).tokenCreate({
      policies: [polA],
      ttl: '2h',
      explicit_max_ttl: '1h',
    })
    expect(res.auth.lease_duration).toBe(3600)
    expect(res.warnings?.length).toBeGreaterThan(0)
    const look = await clientFor(vault, res.auth.client_token).tokenLookupSelf()
    expect(look.data.explicit_max_ttl).toBe(3600)
  })

  it('gives a child a subset of its parent policies, and refuses a superset (400)', async () => {
    const parent = await parentToken()
    const child = await clientFor(vault, parent).tokenCreate({ policies: [polA], ttl: '1h' })
    expect(child.auth.policies).toEqual(['default', polA].sort())
    const other = uniqueName('notmine')
    const f = await failure(clientFor(vault, parent).tokenCreate({ policies: [other] }))
    expect(f.status).toBe(400)
    expect(f.body.errors).toEqual(['child policies must be subset of parent'])
  })

  it('refuses no_parent without sudo (400) and create without the capability (403)', async () => {
    const parent = await parentToken()
    const f = await failure(
      clientFor(vault, parent).tokenCreate({ policies: [polA], no_parent: true }),
    )
    expect(f.status).toBe(400)
    expect(f.body.errors).toEqual(['root or sudo privileges required to create orphan token'])
    const { token } = await tokenWithPolicy(vault, hcl('secret/data/x', ['read']))
    const denied = await failure(clientFor(vault, token).tokenCreate({ policies: [] }))
    expect(denied.status).toBe(403)
    expect(denied.body.errors).toEqual([ACL_DENIED])
  })

  it('makes a periodic token for a sudo caller: its TTL and renewals are the period', async () => {
    // node-vault's tokenCreate drops `period`: a plain write sends it.
    const res = await clientFor(vault).write('auth/token/create', {
      policies: [polA],
      period: '45m',
      ttl: '1m',
    })
    const token = res.auth.client_token
    vault.defer(() => clientFor(vault).tokenRevoke({ token }))
    expect([res.auth.lease_duration, res.auth.renewable]).toEqual([2700, true])
    const look = await clientFor(vault, token).tokenLookupSelf()
    expect(look.data.period).toBe(2700)
    const renewed = await clientFor(vault, token).tokenRenewSelf({ increment: '10s' })
    expect(renewed.auth.lease_duration).toBe(2700)
    const parent = await parentToken()
    const f = await failure(
      clientFor(vault, parent).write('auth/token/create', { policies: [polA], period: '1h' }),
    )
    expect([f.status, f.body.errors]).toEqual([
      400,
      ['root or sudo privileges required to create periodic token'],
    ])
  })

  it('refuses a negative num_uses (400)', async () => {
    const f = await failure(clientFor(vault).tokenCreate({ policies: [polA], num_uses: -1 }))
    expect(f.status).toBe(400)
    expect(f.body.errors).toEqual(['number of uses cannot be negative'])
  })

  it('refuses a ttl or num_uses of the wrong type (400)', async () => {
    const f = await failure(
      clientFor(vault).write('auth/token/create', { policies: [polA], ttl: 'soon' }),
    )
    expect(f.status).toBe(400)
    const g = await failure(
      clientFor(vault).write('auth/token/create', { policies: [polA], num_uses: 'many' }),
    )
    expect(g.status).toBe(400)
  })
})

describe('lookup', () => {
  it('lookup-self shows the token fields', async () => {
    const res = await clientFor(vault).tokenCreate({ policies: [polA], ttl: '1h', num_uses: 5 })
    const token = res.auth.client_token
    const look = await raw(vault, 'GET', 'auth/token/lookup-self', { token })
    expect(look.status).toBe(200)
    expect(look.json.data).toMatchObject({
      accessor: res.auth.accessor,
      creation_ttl: 3600,
      display_name: 'token',
      entity_id: '',
      explicit_max_ttl: 0,
      id: token,
      meta: null,
      orphan: false,
      path: 'auth/token/create',
      policies: ['default', polA].sort(),
      renewable: true,
      type: 'service',
    })
    // This lookup itself used one of the five uses.
    expect(look.json.data.num_uses).toBe(4)
    expect(look.json.data.ttl).toBeGreaterThan(3500)
    expect(look.json.data.ttl).toBeLessThanOrEqual(3600)
    expect(typeof look.json.data.creation_time).toBe('number')
    expect(typeof look.json.data.expire_time).toBe('string')
  })

  it("refuses a chosen id that has Vault's own prefix or a '.' (400)", async () => {
    const tried = async (id: string) => {
      const r = await raw(vault, 'POST', 'auth/token/create', {
        body: { id, policies: [polA], ttl: '1h' },
      })
      if (r.status === 200) vault.defer(() => clientFor(vault).tokenRevoke({ token: id }))
      return [r.status, r.json.errors]
    }
    const rest = uniqueName('custom')
    const period = "custom token ID cannot have a '.' in the value"
    expect(await tried(`s.${rest}`)).toEqual([400, ["custom token ID cannot have the 's.' prefix"]])
    // Before hvs. tokens (1.10) an hvs. id was refused for its '.'.
    const hvs = has(GATES.hvsTokens) ? "custom token ID cannot have the 'hvs.' prefix" : period
    expect(await tried(`hvs.${rest}`)).toEqual([400, [hvs]])
    expect(await tried(`team.${rest}`)).toEqual([400, [period]])
  })

  it('refuses a chosen id a live token has (400) and leaves that token as it was', async () => {
    const id = uniqueName('taken-id')
    vault.defer(() => clientFor(vault).tokenRevoke({ token: id }))
    const create = (policies: string[]) =>
      raw(vault, 'POST', 'auth/token/create', { body: { id, policies, ttl: '1h' } })
    const first = await create([polA])
    expect(first.status).toBe(200)
    const again = await create([polB])
    expect([again.status, again.json.errors]).toEqual([
      400,
      ['cannot create a token with a duplicate ID'],
    ])
    const look = await raw(vault, 'GET', 'auth/token/lookup-self', { token: id })
    expect(look.json.data).toMatchObject({ accessor: first.json.auth.accessor })
    expect(look.json.data.policies).toContain(polA)
    expect(look.json.data.policies).not.toContain(polB)
  })

  it('the root token looks up as non-expiring, with a lease only if made through auth/token/create', async () => {
    const look = await clientFor(vault).tokenLookupSelf()
    expect(look.data.policies).toEqual(['root'])
    expect(look.data.ttl).toBe(0)
    expect(look.data.expire_time).toBeNull()
    const renew = await failure(clientFor(vault).tokenRenewSelf({}))
    expect(renew.status).toBe(400)
    if (look.data.path === 'auth/token/root') {
      // Generated at init (`vault operator init`, `vault server -dev`): no lease entry.
      expect(look.data).toMatchObject({ display_name: 'root', orphan: true })
      expect(look.data).not.toHaveProperty('issue_time')
      expect(look.data).not.toHaveProperty('renewable')
      expect(renew.body.errors).toEqual(['invalid lease ID'])
    } else {
      // Made by `vault server -dev -dev-root-token-id` through auth/token/create: a lease.
      expect(look.data).toMatchObject({
        path: 'auth/token/create',
        display_name: 'token',
        orphan: true,
        renewable: false,
      })
      expect(look.data.issue_time).toEqual(expect.any(String))
      expect(renew.body.errors).toEqual(['lease is not renewable'])
    }
  })

  it('a root token made through auth/token/create, as -dev-root-token-id makes it, has a lease', async () => {
    const id = uniqueName('contract-root')
    vault.defer(() => clientFor(vault).tokenRevoke({ token: id }))
    const made = await raw(vault, 'POST', 'auth/token/create', {
      body: { id, policies: ['root'], no_parent: true, no_default_policy: true },
    })
    expect(made.status).toBe(200)
    expect(made.json.auth).toMatchObject({
      client_token: id,
      policies: ['root'],
      lease_duration: 0,
      renewable: false,
      orphan: true,
    })
    const look = await raw(vault, 'GET', 'auth/token/lookup-self', { token: id })
    expect(look.json.data).toMatchObject({
      id,
      path: 'auth/token/create',
      display_name: 'token',
      orphan: true,
      policies: ['root'],
      creation_ttl: 0,
      ttl: 0,
      expire_time: null,
      explicit_max_ttl: 0,
      renewable: false,
    })
    expect(look.json.data.issue_time).toEqual(expect.any(String))
    expect(Date.parse(look.json.data.issue_time)).toBeGreaterThan(Date.now() - 600_000)
    const renew = await raw(vault, 'POST', 'auth/token/renew-self', { token: id, body: {} })
    expect([renew.status, renew.json.errors]).toEqual([400, ['lease is not renewable']])
  })

  it('any non-expiring token made through auth/token/create shows issue_time and renewable', async () => {
    const res = await clientFor(vault).tokenCreate({ policies: ['root'] })
    const token = res.auth.client_token
    vault.defer(() => clientFor(vault).tokenRevoke({ token }))
    expect([res.auth.lease_duration, res.auth.renewable, res.auth.orphan]).toEqual([
      0,
      false,
      false,
    ])
    const look = await clientFor(vault).tokenLookup({ token })
    expect(look.data).toMatchObject({ ttl: 0, expire_time: null, renewable: false })
    expect(look.data.issue_time).toEqual(expect.any(String))
  })

  it('lookup of another token works; unknown token → 403 bad token; empty token → the caller', async () => {
    const res = await clientFor(vault).tokenCreate({ policies: [polA], ttl: '1h' })
    const look = await clientFor(vault).tokenLookup({ token: res.auth.client_token })
    expect(look.data.accessor).toBe(res.auth.accessor)
    const bad = await failure(clientFor(vault).tokenLookup({ token: BOGUS_TOKEN }))
    expect(bad.status).toBe(403)
    expect(bad.body.errors).toEqual(['bad token'])
    const empty = await clientFor(vault).write('auth/token/lookup', { token: '' })
    expect(empty.data.id).toBe(vault.rootToken)
  })

  it('refuses lookup of another token without the capability (403)', async () => {
    const { token } = await tokenWithPolicy(vault, hcl('secret/data/x', ['read']))
    const f = await failure(clientFor(vault, token).tokenLookup({ token: vault.rootToken }))
    expect(f.status).toBe(403)
  })
})

describe('renew', () => {
  it('renew-self extends the lease with an increment', async () => {
    const res = await clientFor(vault).tokenCreate({ policies: [polA], ttl: '10m' })
    const token = res.auth.client_token
    const renewed = await clientFor(vault, token).tokenRenewSelf({ increment: '1h' })
    expect(renewed.auth.client_token).toBe(token)
    expect(renewed.auth.lease_duration).toBe(3600)
    const look = await clientFor(vault, token).tokenLookupSelf()
    expect(look.data.ttl).toBeGreaterThan(3500)
    expect(look.data.last_renewal_time).toEqual(expect.any(Number))
  })

  it('refuses renew-self of a non-renewable token (400)', async () => {
    const fixed = await clientFor(vault).tokenCreate({
      policies: [polA],
      ttl: '10m',
      renewable: false,
    })
    expect(fixed.auth.renewable).toBe(false)
    const f = await failure(clientFor(vault, fixed.auth.client_token).tokenRenewSelf({}))
    expect(f.status).toBe(400)
    expect(f.body.errors).toEqual(['lease is not renewable'])
  })
})

describe('revoke', () => {
  it('revoke-self (204) invalidates the token: 403 invalid token afterwards', async () => {
    const res = await clientFor(vault).tokenCreate({ policies: [polA], ttl: '1h' })
    const token = res.auth.client_token
    const r = await raw(vault, 'POST', 'auth/token/revoke-self', { token })
    expect(r.status).toBe(204)
    const after = await raw(vault, 'GET', 'auth/token/lookup-self', { token })
    expect(after.status).toBe(403)
    expect(after.json.errors).toEqual(invalidTokenErrors())
  })

  it('revoking a parent revokes its children but not orphans', async () => {
    const parent = await parentToken()
    const child = (await clientFor(vault, parent).tokenCreate({ policies: [polA], ttl: '1h' })).auth
      .client_token
    const orphan = (
      await clientFor(vault).tokenCreate({ policies: [polA], ttl: '1h', no_parent: true })
    ).auth.client_token
    expect(
      (await raw(vault, 'POST', 'auth/token/revoke', { body: { token: parent } })).status,
    ).toBe(204)
    expect((await raw(vault, 'GET', 'auth/token/lookup-self', { token: parent })).status).toBe(403)
    expect((await raw(vault, 'GET', 'auth/token/lookup-self', { token: child })).status).toBe(403)
    expect((await raw(vault, 'GET', 'auth/token/lookup-self', { token: orphan })).status).toBe(200)
  })

  it('revoking a child leaves its parent no hold on the id: a new token with that id outlives the old parent', async () => {
    // Tokens with the root policy may choose their children's ids (root or sudo is required).
    const rootChild = async () =>
      (await clientFor(vault).tokenCreate({ policies: ['root'], ttl: '1h' })).auth.client_token
    const [first, second] = [await rootChild(), await rootChild()]
    const id = uniqueName('reused-child-id')
    for (const token of [first, second, id]) {
      vault.defer(() => clientFor(vault).tokenRevoke({ token }))
    }
    await clientFor(vault, first).tokenCreate({ id, policies: [polA], ttl: '1h' })
    expect((await raw(vault, 'POST', 'auth/token/revoke', { body: { token: id } })).status).toBe(
      204,
    )
    await clientFor(vault, second).tokenCreate({ id, policies: [polA], ttl: '1h' })
    // Vault deletes a revoked token's entry in its parent's index, so revoking the first parent
    // reaches none of the second's children.
    expect((await raw(vault, 'POST', 'auth/token/revoke', { body: { token: first } })).status).toBe(
      204,
    )
    expect((await raw(vault, 'GET', 'auth/token/lookup-self', { token: id })).status).toBe(200)
    await raw(vault, 'POST', 'auth/token/revoke', { body: { token: second } })
    expect((await raw(vault, 'GET', 'auth/token/lookup-self', { token: id })).status).toBe(403)
  })

  it('revoke of an unknown token is 204; an empty token is 400', async () => {
    const ok = await raw(vault, 'POST', 'auth/token/revoke', {
      body: { token: BOGUS_TOKEN },
    })
    expect(ok.status).toBe(204)
    const f = await failure(clientFor(vault).tokenRevoke({ token: '' }))
    expect(f.status).toBe(400)
  })

  it('refuses revoke of another token without the capability (403) and leaves it valid', async () => {
    const victim = (await clientFor(vault).tokenCreate({ policies: [polA], ttl: '1h' })).auth
      .client_token
    const { token } = await tokenWithPolicy(vault, hcl('secret/data/x', ['read']))
    const f = await failure(clientFor(vault, token).tokenRevoke({ token: victim }))
    expect(f.status).toBe(403)
    expect((await raw(vault, 'GET', 'auth/token/lookup-self', { token: victim })).status).toBe(200)
  })
})

describe('num_uses', () => {
  it('spends a use on a request the policy denies', async () => {
    const res = await clientFor(vault).tokenCreate({ policies: [polA], ttl: '1h', num_uses: 2 })
    const token = res.auth.client_token
    expect((await raw(vault, 'GET', 'sys/mounts', { token })).status).toBe(403)
    const look = await raw(vault, 'GET', 'auth/token/lookup-self', { token })
    expect(look.status).toBe(200)
    expect((await raw(vault, 'GET', 'auth/token/lookup-self', { token })).status).toBe(403)
  })

  it('allows exactly num_uses requests, then the token is revoked', async (ctx) => {
    const res = await clientFor(vault).tokenCreate({ policies: [polA], ttl: '1h', num_uses: 2 })
    const token = res.auth.client_token
    await assertSince(ctx, GATES.authNumUses, () => expect(res.auth.num_uses).toBe(2))
    expect((await raw(vault, 'GET', 'auth/token/lookup-self', { token })).status).toBe(200)
    expect((await raw(vault, 'GET', 'auth/token/lookup-self', { token })).status).toBe(200)
    const third = await raw(vault, 'GET', 'auth/token/lookup-self', { token })
    expect(third.status).toBe(403)
    expect(third.json.errors).toEqual(invalidTokenErrors())
  })

  it('a restricted-use token cannot create child tokens (400)', async () => {
    const parent = await parentToken({ num_uses: 3 })
    const f = await failure(clientFor(vault, parent).tokenCreate({ policies: [polA] }))
    expect(f.status).toBe(400)
    expect(f.body.errors).toEqual(['restricted use token cannot generate child tokens'])
  })
})
