/** @module dev-vault/test/contract/approle.test: the AppRole auth method (reference §5.1). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ACL_DENIED,
  cleanUpLogin,
  clientFor,
  contractVault,
  enableAuth,
  failure,
  hcl,
  raw,
  tokenWithPolicy,
  uniqueName,
  type ContractVault,
} from './harness.js'
import { assertSince, GATES, has, requires } from './versions.js'

let vault: ContractVault
let mount: string
let base: string

beforeAll(async () => {
  vault = await contractVault()
  mount = await enableAuth(vault, 'approle', 'approle')
  base = `auth/${mount}`
})

afterAll(() => vault?.close())

/**
 * AppRole's login refusal: one message since Vault 1.16, before it `invalid role ID` for an
 * unknown or deleted role and `invalid secret id` for an unknown or used-up secret ID.
 */
const invalidCredentials = (wrong: 'role' | 'secret'): string =>
  has(GATES.approleInvalidCredentials)
    ? 'invalid role or secret ID'
    : wrong === 'role'
      ? 'invalid role ID'
      : 'invalid secret id'

/** `POST login` without a client token; a successful one is cleaned up afterwards. */
async function login(body: unknown) {
  const res = await raw(vault, 'POST', `${base}/login`, { token: null, body })
  cleanUpLogin(vault, res.json?.auth)
  return res
}

/** Creates a role (root) and returns its name and role_id. */
async function newRole(params: Record<string, unknown> = {}) {
  const name = uniqueName('role')
  await clientFor(vault).write(`${base}/role/${name}`, params)
  const roleId = (await clientFor(vault).read(`${base}/role/${name}/role-id`)).data
    .role_id as string
  return { name, roleId }
}

async function secretId(role: string, params: Record<string, unknown> = {}): Promise<string> {
  return (await clientFor(vault).write(`${base}/role/${role}/secret-id`, params)).data.secret_id
}

describe('approle roles', () => {
  it('writes a role (204), reads it back and lists it', async () => {
    const name = uniqueName('role')
    const write = await raw(vault, 'POST', `${base}/role/${name}`, {
      body: {
        token_policies: ['p1', 'p2'],
        token_ttl: '1h',
        token_max_ttl: '2h',
        secret_id_num_uses: 5,
      },
    })
    expect(write.status).toBe(204)
    const read = await clientFor(vault).read(`${base}/role/${name}`)
    expect(read.data).toMatchObject({
      bind_secret_id: true,
      secret_id_num_uses: 5,
      secret_id_ttl: 0,
      token_policies: ['p1', 'p2'],
      token_ttl: 3600,
      token_max_ttl: 7200,
      token_num_uses: 0,
      token_no_default_policy: false,
    })
    const list = await clientFor(vault).list(`${base}/role`)
    expect(list.data.keys).toContain(name)
  })

  it('refuses a role without any constraint or with bad TTLs and stores nothing', async () => {
    const name = uniqueName('role')
    // Vault's setRoleEntry returns a plain Go error for this, so the status is 500 (not 400).
    const none = await raw(vault, 'POST', `${base}/role/${name}`, {
      body: { bind_secret_id: false },
    })
    expect(none.status).toBeGreaterThanOrEqual(400)
    expect(none.json.errors).toHaveLength(1)
    expect(none.json.errors[0]).toContain('at least one constraint should be enabled on the role')
    const ttl = await raw(vault, 'POST', `${base}/role/${name}`, {
      body: { token_ttl: '2h', token_max_ttl: '1h' },
    })
    expect(ttl.status).toBe(400)
    const type = await raw(vault, 'POST', `${base}/role/${name}`, {
      body: { token_num_uses: 'many' },
    })
    expect(type.status).toBe(400)
    expect((await raw(vault, 'GET', `${base}/role/${name}`)).status).toBe(404)
  })

  it('refuses role writes and reads without the capability (403)', async () => {
    const { name } = await newRole()
    const { token } = await tokenWithPolicy(vault, hcl(`${base}/role/${name}/role-id`, ['read']))
    const f = await failure(clientFor(vault, token).write(`${base}/role/${uniqueName('role')}`, {}))
    expect([f.status, f.body.errors]).toEqual([403, [ACL_DENIED]])
    expect((await raw(vault, 'GET', `${base}/role/${name}`, { token })).status).toBe(403)
    expect((await raw(vault, 'DELETE', `${base}/role/${name}`, { token })).status).toBe(403)
    expect((await raw(vault, 'LIST', `${base}/role`, { token })).status).toBe(403)
    const roleId = await raw(vault, 'POST', `${base}/role/${name}/role-id`, {
      token,
      body: { role_id: uniqueName('rid') },
    })
    expect(roleId.status).toBe(403)
    expect((await raw(vault, 'GET', `${base}/role/${name}`)).status).toBe(200)
  })

  it('deletes a role (204); its role_id no longer logs in', async () => {
    const { name, roleId } = await newRole()
    const sid = await secretId(name)
    expect((await raw(vault, 'DELETE', `${base}/role/${name}`)).status).toBe(204)
    expect((await raw(vault, 'GET', `${base}/role/${name}`)).status).toBe(404)
    const refused = await login({ role_id: roleId, secret_id: sid })
    expect([refused.status, refused.json.errors]).toEqual([400, [invalidCredentials('role')]])
  })
})

describe('approle role-id', () => {
  it('reads the role_id and accepts a custom one (204)', async () => {
    const { name, roleId } = await newRole()
    expect(roleId).toMatch(/^[0-9a-f-]{36}$/)
    const custom = uniqueName('rid')
    const write = await raw(vault, 'POST', `${base}/role/${name}/role-id`, {
      body: { role_id: custom },
    })
    expect(write.status).toBe(204)
    const read = await clientFor(vault).read(`${base}/role/${name}/role-id`)
    expect(read.data).toEqual({ role_id: custom })
  })

  it('answers an absent role with 404, bad input with 400 and no capability with 403', async () => {
    const absent = await raw(vault, 'GET', `${base}/role/${uniqueName('none')}/role-id`)
    expect([absent.status, absent.json.errors]).toEqual([404, []])
    const { name, roleId } = await newRole()
    const empty = await raw(vault, 'POST', `${base}/role/${name}/role-id`, { body: {} })
    expect(empty.status).toBe(400)
    expect((await clientFor(vault).read(`${base}/role/${name}/role-id`)).data.role_id).toBe(roleId)
    const { token } = await tokenWithPolicy(vault, hcl(`${base}/role/${name}`, ['read']))
    expect((await raw(vault, 'GET', `${base}/role/${name}/role-id`, { token })).status).toBe(403)
  })
})

describe('approle secret-id', () => {
  it('generates a secret ID (200) with its accessor, num_uses and ttl', async (ctx) => {
    requires(ctx, GATES.secretIdParams)
    const { name } = await newRole()
    const res = await raw(vault, 'POST', `${base}/role/${name}/secret-id`, {
      body: { num_uses: 3, ttl: '10m', metadata: '{"team":"blue"}' },
    })
    expect(res.status).toBe(200)
    expect(res.json.data).toMatchObject({ secret_id_num_uses: 3, secret_id_ttl: 600 })
    expect(res.json.data.secret_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.json.data.secret_id_accessor).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('refuses absent roles (404), unbound roles and bad metadata (400), no capability (403)', async () => {
    const missing = uniqueName('none')
    const absent = await raw(vault, 'POST', `${base}/role/${missing}/secret-id`, { body: {} })
    expect([absent.status, absent.json.errors]).toEqual([404, [`role "${missing}" does not exist`]])
    const unbound = uniqueName('role')
    await clientFor(vault).write(`${base}/role/${unbound}`, {
      bind_secret_id: false,
      token_bound_cidrs: '127.0.0.1/32',
    })
    const refused = await raw(vault, 'POST', `${base}/role/${unbound}/secret-id`, { body: {} })
    expect([refused.status, refused.json.errors]).toEqual([
      400,
      ['bind_secret_id is not set on the role'],
    ])
    const { name } = await newRole()
    const meta = await raw(vault, 'POST', `${base}/role/${name}/secret-id`, {
      body: { metadata: { team: 'blue' } },
    })
    expect(meta.status).toBe(400)
    const { token } = await tokenWithPolicy(vault, hcl(`${base}/role/${name}/role-id`, ['read']))
    const f = await failure(clientFor(vault, token).write(`${base}/role/${name}/secret-id`, {}))
    expect(f.status).toBe(403)
  })
})

describe('approle secret-id lookup and destroy', () => {
  it('looks a secret ID up by value and by accessor, then destroys it (204)', async () => {
    const { name, roleId } = await newRole()
    const gen = await clientFor(vault).write(`${base}/role/${name}/secret-id`, {})
    const { secret_id: sid, secret_id_accessor: accessor } = gen.data
    const byValue = await clientFor(vault).write(`${base}/role/${name}/secret-id/lookup`, {
      secret_id: sid,
    })
    expect(byValue.data.secret_id_accessor).toBe(accessor)
    expect(byValue.data.secret_id_num_uses).toBe(0)
    const byAccessor = await clientFor(vault).write(
      `${base}/role/${name}/secret-id-accessor/lookup`,
      { secret_id_accessor: accessor },
    )
    expect(byAccessor.data.secret_id_accessor).toBe(accessor)
    const list = await clientFor(vault).list(`${base}/role/${name}/secret-id`)
    expect(list.data.keys).toEqual([accessor])
    const destroyed = await raw(vault, 'POST', `${base}/role/${name}/secret-id-accessor/destroy`, {
      body: { secret_id_accessor: accessor },
    })
    expect(destroyed.status).toBe(204)
    const refused = await login({ role_id: roleId, secret_id: sid })
    expect(refused.status).toBe(400)
  })

  it('refuses lookups without a secret ID (400) and without the capability (403)', async () => {
    const { name } = await newRole()
    const sid = (await clientFor(vault).write(`${base}/role/${name}/secret-id`, {})).data.secret_id
    const missing = await raw(vault, 'POST', `${base}/role/${name}/secret-id/lookup`, { body: {} })
    expect([missing.status, missing.json.errors]).toEqual([400, ['missing secret_id']])
    const { token } = await tokenWithPolicy(
      vault,
      hcl(`${base}/role/${name}/secret-id`, ['update']),
    )
    const denied = await raw(vault, 'POST', `${base}/role/${name}/secret-id/destroy`, {
      token,
      body: { secret_id: sid },
    })
    expect(denied.status).toBe(403)
    const still = await clientFor(vault).write(`${base}/role/${name}/secret-id/lookup`, {
      secret_id: sid,
    })
    expect(still.data.secret_id_num_uses).toBe(0)
  })
})

describe('approle login', () => {
  it('logs in without a token and gets the role’s token settings', async (ctx) => {
    const policy = uniqueName('p')
    const { name, roleId } = await newRole({
      token_policies: [policy],
      token_ttl: '20m',
      token_num_uses: 4,
    })
    const sid = await secretId(name, { metadata: '{"team":"blue"}' })
    const res = await login({ role_id: roleId, secret_id: sid })
    expect(res.status).toBe(200)
    expect(res.json.data).toBeNull()
    const auth = res.json.auth
    expect(auth.client_token).toEqual(expect.any(String))
    expect(auth.policies).toEqual(['default', policy].sort())
    expect(auth.token_policies).toEqual(['default', policy].sort())
    expect(auth.metadata).toEqual({ role_name: name, team: 'blue' })
    expect(auth.lease_duration).toBe(1200)
    expect(auth.renewable).toBe(true)
    expect(auth.orphan).toBe(true)
    expect(auth.token_type).toBe('service')
    await assertSince(ctx, GATES.authNumUses, () => expect(auth.num_uses).toBe(4))
    const self = await clientFor(vault, auth.client_token).tokenLookupSelf()
    expect(self.data.meta).toEqual({ role_name: name, team: 'blue' })
    // The token acts for the entity whose alias on this mount is the role ID.
    expect(self.data.entity_id).toBe(auth.entity_id)
    const entity = await raw(vault, 'GET', `identity/entity/id/${auth.entity_id}`)
    expect(entity.json.data.aliases).toMatchObject([
      { name: roleId, mount_type: 'approle', metadata: { role_name: name, team: 'blue' } },
    ])
  })

  it('logs in through node-vault’s approleLogin; honours token_no_default_policy', async () => {
    const policy = uniqueName('p')
    const { name, roleId } = await newRole({
      token_policies: policy,
      token_no_default_policy: true,
    })
    const client = clientFor(vault, '')
    const res = await client.approleLogin({
      mount_point: mount,
      role_id: roleId,
      secret_id: await secretId(name),
    })
    cleanUpLogin(vault, res.auth)
    expect(res.auth.policies).toEqual([policy])
    expect(client.token).toBe(res.auth.client_token)
  })

  it('consumes num_uses: a one-use secret ID works once', async (ctx) => {
    requires(ctx, GATES.secretIdParams)
    const { name, roleId } = await newRole()
    const sid = await secretId(name, { num_uses: 1 })
    const body = { role_id: roleId, secret_id: sid }
    expect((await login(body)).status).toBe(200)
    const again = await login(body)
    expect([again.status, again.json.errors]).toEqual([400, [invalidCredentials('secret')]])
  })

  it('refuses missing and wrong credentials', async () => {
    const { name, roleId } = await newRole()
    await secretId(name)
    // No role_id: Vault's alias lookahead fails first with a plain Go error (a 500).
    const noRoleId = await login({})
    expect(noRoleId.status).toBeGreaterThanOrEqual(400)
    expect(noRoleId.json.errors).toEqual(['missing role_id'])
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ role_id: roleId }, 'missing secret_id'],
      [{ role_id: roleId, secret_id: uniqueName('wrong') }, invalidCredentials('secret')],
      [{ role_id: uniqueName('wrong'), secret_id: 'x' }, invalidCredentials('role')],
    ]
    for (const [body, message] of cases) {
      const res = await login(body)
      expect([res.status, res.json.errors]).toEqual([400, [message]])
    }
  })
})
