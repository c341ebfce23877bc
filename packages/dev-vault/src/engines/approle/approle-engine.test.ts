/** @module dev-vault/engines/approle/approle-engine.test: the AppRole engine, called directly with a recording host. */
import { describe, expect, it } from 'vitest'
import { createEngineClient, recordingHost } from '../../testing/engine-client.js'
import { parseSecretIdMetadata } from './approle-secret-ids.js'
import { createAppRoleEngine } from './approle-engine.js'

function setup() {
  let clock = 1_700_000_000_000
  const { host, issued } = recordingHost(
    () => clock,
    (req, n) => ({
      client_token: `hvs.test${n}`,
      accessor: `acc${n}`,
      token_policies: req.policies,
      num_uses: req.numUses ?? 0,
    }),
  )
  const engine = createAppRoleEngine(host, {})
  const { call, envelope: ok, fail } = createEngineClient(engine, 'approle/', 'root')
  const create = (name: string, data: Record<string, unknown> = {}) =>
    ok(engine.exists?.(`role/${name}`, data) ? 'update' : 'create', `role/${name}`, data)
  return { engine, call, ok, fail, create, issued, tick: (ms: number) => (clock += ms) }
}

describe('approle roles', () => {
  it('writes (204), reads, lists and deletes roles', async () => {
    const { ok, fail, create, engine } = setup()
    expect(engine.exists?.('role/app', {})).toBe(false)
    expect(await create('app', { token_policies: 'a,b', token_ttl: '1h' })).toEqual({
      kind: 'envelope',
    })
    expect(engine.exists?.('role/app', {})).toBe(true)
    const read = await ok('read', 'role/app')
    expect(read.data).toEqual({
      bind_secret_id: true,
      local_secret_ids: false,
      secret_id_bound_cidrs: null,
      secret_id_num_uses: 0,
      secret_id_ttl: 0,
      token_bound_cidrs: [],
      token_explicit_max_ttl: 0,
      token_max_ttl: 0,
      token_no_default_policy: false,
      token_num_uses: 0,
      token_period: 0,
      token_policies: ['a', 'b'],
      token_ttl: 3600,
      token_type: 'default',
    })
    await create('other')
    expect((await ok('list', 'role/')).data).toEqual({ keys: ['app', 'other'] })
    expect(await ok('delete', 'role/app')).toEqual({ kind: 'envelope' })
    expect((await fail('read', 'role/app')).status).toBe(404)
    expect(await ok('delete', 'role/app')).toEqual({ kind: 'envelope' })
  })

  it('rejects bad role input and stores nothing', async () => {
    const { fail, engine, create } = setup()
    // setRoleEntry returns a plain Go error here, so Vault answers 500 with multierror text.
    const constraint = await fail('create', 'role/bad', { bind_secret_id: false })
    expect([constraint.status, constraint.errors]).toEqual([
      500,
      ['1 error occurred:\n\t* at least one constraint should be enabled on the role\n\n'],
    ])
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { token_ttl: '2h', token_max_ttl: '1h' },
        "'token_ttl' cannot be greater than 'token_max_ttl'",
      ],
      [{ token_num_uses: -1 }, "'token_num_uses' cannot be negative"],
      [{ secret_id_num_uses: -1 }, 'secret_id_num_uses cannot be negative'],
      [{ token_type: 'weird' }, `invalid 'token_type' value "weird"`],
    ]
    for (const [data, message] of cases) {
      const e = await fail('create', 'role/bad', data)
      expect([e.status, e.errors]).toEqual([400, [message]])
    }
    expect((await fail('create', 'role/bad', { token_ttl: 'soon' })).status).toBe(400)
    const legacy = await create('legacy', { token_type: 'default-service' })
    expect(legacy.warnings).toEqual(['default-service has no useful meaning; adjusting to service'])
    expect(engine.exists?.('role/bad', {})).toBe(false)
  })

  it('reads and writes the role ID', async () => {
    const { ok, fail, create } = setup()
    await create('app')
    const { data } = await ok('read', 'role/app/role-id')
    expect(data?.role_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(await ok('update', 'role/app/role-id', { role_id: 'custom-id' })).toEqual({
      kind: 'envelope',
    })
    expect((await ok('read', 'role/app/role-id')).data).toEqual({ role_id: 'custom-id' })
    expect((await fail('read', 'role/none/role-id')).status).toBe(404)
    expect((await fail('update', 'role/app/role-id', {})).errors).toEqual(['missing role_id'])
    await create('second')
    expect((await fail('update', 'role/second/role-id', { role_id: 'custom-id' })).status).toBe(500)
    expect((await ok('read', 'role/second/role-id')).data?.role_id).not.toBe('custom-id')
  })
})

describe('approle secret IDs and login', () => {
  it('logs in with role_id + secret_id and issues a token from the role', async () => {
    const { ok, create, issued } = setup()
    await create('app', {
      token_policies: ['p1'],
      token_ttl: 600,
      token_max_ttl: 1200,
      token_num_uses: 3,
      token_no_default_policy: true,
    })
    const roleId = (await ok('read', 'role/app/role-id')).data?.role_id
    const sid = await ok('update', 'role/app/secret-id', { metadata: '{"team":"blue"}' })
    expect(Object.keys(sid.data ?? {}).sort()).toEqual([
      'secret_id',
      'secret_id_accessor',
      'secret_id_num_uses',
      'secret_id_ttl',
    ])
    const login = await ok('update', 'login', { role_id: roleId, secret_id: sid.data?.secret_id })
    expect(login.data).toBeNull()
    expect(login.auth?.client_token).toBe('hvs.test1')
    expect(issued[0]).toEqual({
      policies: ['p1'],
      ttl: 600,
      explicitMaxTtl: 0,
      numUses: 3,
      renewable: true,
      meta: { team: 'blue', role_name: 'app' },
      displayName: 'approle',
      path: 'auth/approle/login',
      noDefaultPolicy: true,
      alias: { name: roleId, metadata: { team: 'blue', role_name: 'app' } },
    })
  })

  it('enforces num_uses and ttl of secret IDs', async () => {
    const { ok, fail, create, tick } = setup()
    await create('app', { secret_id_num_uses: 2, secret_id_ttl: 60 })
    const roleId = (await ok('read', 'role/app/role-id')).data?.role_id
    expect((await fail('update', 'role/app/secret-id', { num_uses: 5 })).status).toBe(400)
    const once = (await ok('update', 'role/app/secret-id', { num_uses: 1 })).data?.secret_id
    await ok('update', 'login', { role_id: roleId, secret_id: once })
    expect((await fail('update', 'login', { role_id: roleId, secret_id: once })).errors).toEqual([
      'invalid role or secret ID',
    ])
    const timed = (await ok('update', 'role/app/secret-id')).data?.secret_id
    tick(61_000)
    expect((await fail('update', 'login', { role_id: roleId, secret_id: timed })).status).toBe(400)
  })

  it('answers login errors with Vault’s messages', async () => {
    const { ok, fail, create } = setup()
    await create('app')
    const roleId = (await ok('read', 'role/app/role-id')).data?.role_id
    // Vault's core runs the alias lookahead first; its plain Go error makes this a 500.
    const missing = await fail('update', 'login', {})
    expect([missing.status, missing.errors]).toEqual([500, ['missing role_id']])
    expect((await fail('update', 'login', { role_id: 'nope', secret_id: 'x' })).errors).toEqual([
      'invalid role or secret ID',
    ])
    expect((await fail('update', 'login', { role_id: roleId })).errors).toEqual([
      'missing secret_id',
    ])
    expect((await fail('update', 'login', { role_id: roleId, secret_id: 'wrong' })).errors).toEqual(
      ['invalid role or secret ID'],
    )
  })

  it('refuses secret IDs for absent roles and roles without bind_secret_id', async () => {
    const { fail, create } = setup()
    const e = await fail('update', 'role/none/secret-id')
    expect([e.status, e.errors]).toEqual([404, ['role "none" does not exist']])
    await create('cidr', { bind_secret_id: false, token_bound_cidrs: '10.0.0.0/8' })
    expect((await fail('update', 'role/cidr/secret-id')).errors).toEqual([
      'bind_secret_id is not set on the role',
    ])
    expect((await fail('update', 'role/cidr/secret-id', { metadata: { a: 'b' } })).status).toBe(400)
  })

  it('lists, looks up and destroys secret IDs', async () => {
    const { ok, fail, create, call } = setup()
    await create('app')
    expect((await fail('list', 'role/app/secret-id/')).status).toBe(404)
    const sid = (await ok('update', 'role/app/secret-id')).data ?? {}
    expect((await ok('list', 'role/app/secret-id/')).data).toEqual({
      keys: [sid.secret_id_accessor],
    })
    const looked = await ok('update', 'role/app/secret-id/lookup', { secret_id: sid.secret_id })
    expect(looked.data?.secret_id_accessor).toBe(sid.secret_id_accessor)
    await ok('update', 'role/app/secret-id/destroy', { secret_id: sid.secret_id })
    expect(await call('update', 'role/app/secret-id/lookup', { secret_id: sid.secret_id })).toEqual(
      {
        kind: 'envelope',
      },
    )
  })

  it('looks up and destroys secret IDs by accessor', async () => {
    const { ok, call, fail, create } = setup()
    await create('app')
    const sid = (await ok('update', 'role/app/secret-id')).data ?? {}
    const accessor = sid.secret_id_accessor
    const looked = await ok('update', 'role/app/secret-id-accessor/lookup', {
      secret_id_accessor: accessor,
    })
    expect(looked.data?.secret_id_accessor).toBe(accessor)
    const unknown = await call('update', 'role/app/secret-id-accessor/lookup', {
      secret_id_accessor: 'nope',
    })
    expect(unknown).toMatchObject({ kind: 'raw', status: 404 })
    expect((await fail('update', 'role/app/secret-id-accessor/lookup', {})).errors).toEqual([
      'missing secret_id_accessor',
    ])
    expect(
      await ok('update', 'role/app/secret-id-accessor/destroy', { secret_id_accessor: accessor }),
    ).toEqual({ kind: 'envelope' })
    const again = await fail('update', 'role/app/secret-id-accessor/destroy', {
      secret_id_accessor: accessor,
    })
    expect(again.status).toBe(500)
    expect((await fail('list', 'role/app/secret-id/')).status).toBe(404)
  })

  it('marks only login as unauthenticated and rejects unknown paths', async () => {
    const { engine, fail } = setup()
    expect(engine.isUnauthenticated?.('login', 'update')).toBe(true)
    expect(engine.isUnauthenticated?.('role/x', 'update')).toBe(false)
    expect((await fail('read', 'nothing')).status).toBe(404)
    expect((await fail('read', 'login')).status).toBe(405)
  })
})

describe('parseSecretIdMetadata', () => {
  it('accepts JSON, base64 JSON and key=value pairs', () => {
    expect(parseSecretIdMetadata('{"a":"1"}')).toEqual({ a: '1' })
    expect(parseSecretIdMetadata(Buffer.from('{"a":"1"}').toString('base64'))).toEqual({ a: '1' })
    expect(parseSecretIdMetadata('a=1,b=2')).toEqual({ a: '1', b: '2' })
    expect(typeof parseSecretIdMetadata('nonsense')).toBe('string')
  })
})
