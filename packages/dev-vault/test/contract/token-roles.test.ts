/**
 * @module dev-vault/test/contract/token-roles.test: token roles (`auth/token/roles/:name`) and
 * `auth/token/create/:role`, with Vault's policy rules (`token_store.go`
 * `tokenStoreRoleCreateUpdate`, `handleCreateCommon`, `resolveTokenPolicies`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ACL_DENIED,
  clientFor,
  contractVault,
  createToken,
  hcl,
  raw,
  revokeLater,
  uniqueName,
  writePolicy,
  type ContractVault,
} from './harness.js'
import { assertSince, GATES, has, requires } from './versions.js'

let vault: ContractVault
/** A policy that exists, for the children. */
let agent: string

beforeAll(async () => {
  vault = await contractVault()
  agent = await writePolicy(vault, 'agent', hcl('secret/data/agent/*', ['read']))
})

afterAll(() => vault?.close())

/** A role name unique to the run whose deletion `vault.close()` runs. */
function roleName(prefix = 'role'): string {
  const name = uniqueName(prefix)
  vault.defer(() => raw(vault, 'DELETE', `auth/token/roles/${name}`))
  return name
}

/** Writes a role (root) and returns its name. */
async function role(body: Record<string, unknown>): Promise<string> {
  const name = roleName()
  const res = await raw(vault, 'POST', `auth/token/roles/${name}`, { body })
  expect(res.status, res.text).toBe(204)
  return name
}

/** A token (root-made) that may only call `auth/token/create/<role>`, plus what it lists. */
async function minter(roleToUse: string, extra = ''): Promise<string> {
  const policy = await writePolicy(
    vault,
    'minter',
    hcl(`auth/token/create/${roleToUse}`, ['update']) + extra,
  )
  return (await createToken(vault, { policies: [policy], ttl: '30m' })).token
}

/** `POST auth/token/create/<role>` as `token`; a created token is revoked by `vault.close()`. */
async function createWith(token: string, roleToUse: string, body: Record<string, unknown> = {}) {
  const res = await raw(vault, 'POST', `auth/token/create/${roleToUse}`, { token, body })
  if (res.json?.auth?.accessor) revokeLater(vault, res.json.auth.accessor)
  return res
}

/** The `token policies (...) must be subset of the role's allowed policies` text. */
const subsetError = (final: string[], allowed: string[], globs: string[]) =>
  `token policies (${q(final)}) must be subset of the role's allowed policies (${q(allowed)}) or glob policies (${q(globs)})`
const q = (list: string[]) => `[${list.map((s) => JSON.stringify(s)).join(' ')}]`

describe('auth/token/roles', () => {
  it('writes a role (204), reads it with Vault’s fields, lists and deletes it', async () => {
    const name = roleName()
    const write = await raw(vault, 'POST', `auth/token/roles/${name}`, {
      body: {
        allowed_policies: ['Beta', 'alpha', 'alpha'],
        disallowed_policies: 'X, y',
        orphan: true,
        renewable: false,
        path_suffix: 'rev-1',
        token_type: 'service',
        token_explicit_max_ttl: '1h',
      },
    })
    expect(write.status).toBe(204)
    const read = await raw(vault, 'GET', `auth/token/roles/${name}`)
    expect(read.status).toBe(200)
    const since19 = has(GATES.tokenRolePolicyGlobs)
    expect(read.json.data).toEqual({
      allowed_entity_aliases: null,
      allowed_policies: ['alpha', 'beta'],
      ...(since19 ? { allowed_policies_glob: [], disallowed_policies_glob: [] } : {}),
      disallowed_policies: ['x', 'y'],
      explicit_max_ttl: 0,
      name,
      orphan: true,
      path_suffix: 'rev-1',
      period: 0,
      renewable: false,
      token_explicit_max_ttl: 3600,
      ...(since19 ? { token_no_default_policy: false } : {}),
      token_period: 0,
      token_type: 'service',
    })
    expect((await clientFor(vault).list('auth/token/roles')).data.keys).toContain(name)
    expect((await raw(vault, 'DELETE', `auth/token/roles/${name}`)).status).toBe(204)
    expect((await raw(vault, 'GET', `auth/token/roles/${name}`)).status).toBe(404)
    expect((await raw(vault, 'DELETE', `auth/token/roles/${name}`)).status).toBe(204)
  })

  it('defaults a new role to renewable default-service tokens; an update keeps unsent fields', async () => {
    const name = await role({})
    const first = (await clientFor(vault).read(`auth/token/roles/${name}`)).data
    expect(first).toMatchObject({
      allowed_policies: [],
      disallowed_policies: [],
      orphan: false,
      renewable: true,
      path_suffix: '',
      token_type: 'default-service',
      token_explicit_max_ttl: 0,
    })
    expect(first).not.toHaveProperty('token_num_uses')
    await clientFor(vault).write(`auth/token/roles/${name}`, { orphan: true, token_num_uses: 4 })
    await clientFor(vault).write(`auth/token/roles/${name}`, { renewable: false })
    const after = (await clientFor(vault).read(`auth/token/roles/${name}`)).data
    expect(after).toMatchObject({ orphan: true, renewable: false, token_num_uses: 4 })
  })

  it('stores glob lists and token_no_default_policy', async (ctx) => {
    requires(ctx, GATES.tokenRolePolicyGlobs)
    const name = await role({
      allowed_policies_glob: 'Mcp-Agent-*',
      disallowed_policies_glob: ['*-admin'],
      token_no_default_policy: true,
    })
    const read = (await clientFor(vault).read(`auth/token/roles/${name}`)).data
    expect(read).toMatchObject({
      allowed_policies_glob: ['mcp-agent-*'],
      disallowed_policies_glob: ['*-admin'],
      token_no_default_policy: true,
    })
  })

  it('refuses a bad path_suffix, token_type or token field, and a batch role that is not orphan (400)', async () => {
    const name = roleName()
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { path_suffix: 'a' },
        String.raw`given role path suffix contains invalid characters; must match \w[\w-.]+\w`,
      ],
      [
        { path_suffix: 'v1' },
        String.raw`given role path suffix contains invalid characters; must match \w[\w-.]+\w`,
      ],
      [
        { path_suffix: 'v1..v2' },
        'error registering path suffix: path cannot contain parent references',
      ],
      [{ token_type: 'weird' }, `invalid 'token_type' value "weird"`],
      [{ token_num_uses: -1 }, "error parsing role fields: 'token_num_uses' cannot be negative"],
      [
        { token_type: 'batch' },
        "'token_type' cannot be 'batch' when role is set to generate non-orphan tokens",
      ],
    ]
    for (const [body, message] of cases) {
      const res = await raw(vault, 'POST', `auth/token/roles/${name}`, { body })
      expect([res.status, res.json.errors]).toEqual([400, [message]])
    }
    expect((await raw(vault, 'GET', `auth/token/roles/${name}`)).status).toBe(404)
  })

  it('refuses role reads and writes without the capability (403)', async () => {
    const name = await role({ allowed_policies: [agent] })
    const reader = await writePolicy(vault, 'rolereader', hcl(`auth/token/roles/${name}`, ['read']))
    const { token } = await createToken(vault, { policies: [reader], ttl: '10m' })
    expect((await raw(vault, 'GET', `auth/token/roles/${name}`, { token })).status).toBe(200)
    const write = await raw(vault, 'POST', `auth/token/roles/${name}`, {
      token,
      body: { allowed_policies: ['root'] },
    })
    expect([write.status, write.json.errors]).toEqual([403, [ACL_DENIED]])
    expect((await raw(vault, 'LIST', 'auth/token/roles', { token })).status).toBe(403)
    expect((await raw(vault, 'DELETE', `auth/token/roles/${name}`, { token })).status).toBe(403)
  })
})

describe('auth/token/create/:role', () => {
  it('mints the role’s allowed policies for a caller that holds none of them', async () => {
    const name = await role({ allowed_policies: [agent] })
    const token = await minter(name)
    const res = await createWith(token, name, { policies: [agent], ttl: '10m' })
    expect(res.status).toBe(200)
    expect(res.json.warnings).toBeNull()
    expect(res.json.auth).toMatchObject({
      policies: ['default', agent].sort(),
      lease_duration: 600,
      renewable: true,
      orphan: false,
    })
    const look = await clientFor(vault).tokenLookup({ token: res.json.auth.client_token })
    expect(look.data).toMatchObject({ path: `auth/token/create/${name}`, role: name })
    // Without policies in the request the child gets the role's allowed ones.
    const plain = await createWith(token, name)
    expect(plain.json.auth.policies).toEqual(['default', agent].sort())
    // The caller itself is refused the plain create path.
    const direct = await raw(vault, 'POST', 'auth/token/create', {
      token,
      body: { policies: [agent] },
    })
    expect([direct.status, direct.json.errors]).toEqual([403, [ACL_DENIED]])
  })

  it('refuses a policy outside allowed_policies (400)', async () => {
    const name = await role({ allowed_policies: [agent] })
    const other = uniqueName('other')
    const res = await createWith(await minter(name), name, { policies: [agent, other] })
    expect(res.status).toBe(400)
    const final = ['default', agent, other].sort()
    if (has(GATES.tokenRolePolicyGlobs)) {
      expect(res.json.errors).toEqual([subsetError(final, ['default', agent].sort(), [])])
    } else {
      expect(res.json.errors[0]).toMatch(
        /^token policies \(.*\) must be subset of the role's allowed policies/,
      )
    }
  })

  it('takes any policy allowed_policies_glob matches, and only the literal ones unasked', async (ctx) => {
    requires(ctx, GATES.tokenRolePolicyGlobs)
    const prefix = uniqueName('mcp-agent')
    const name = await role({ allowed_policies_glob: [`${prefix}-*`] })
    const token = await minter(name)
    const member = `${prefix}-alice`
    const ok = await createWith(token, name, { policies: [member] })
    expect(ok.status).toBe(200)
    // The policy was never written: the token is made, with a warning.
    expect(ok.json.auth.policies).toEqual(['default', member].sort())
    expect(ok.json.warnings).toEqual([`Policy "${member}" does not exist`])
    const outside = await createWith(token, name, { policies: [agent] })
    expect([outside.status, outside.json.errors]).toEqual([
      400,
      [subsetError(['default', agent].sort(), ['default'], [`${prefix}-*`])],
    ])
    // Globs are not expanded: with no policies asked the token has only `default`.
    expect((await createWith(token, name)).json.auth.policies).toEqual(['default'])
  })

  it('refuses a disallowed policy (400)', async (ctx) => {
    const name = await role({ disallowed_policies: [agent] })
    const token = await minter(name)
    const res = await createWith(token, name, { policies: [agent] })
    expect([res.status, res.json.errors]).toEqual([
      400,
      [`token policy "${agent}" is disallowed by this role`],
    ])
    await assertSince(ctx, GATES.tokenRolePolicyGlobs, async () => {
      const glob = await role({ disallowed_policies_glob: [`${agent.slice(0, 5)}*`] })
      const byGlob = await createWith(await minter(glob), glob, { policies: [agent] })
      expect([byGlob.status, byGlob.json.errors]).toEqual([
        400,
        [`token policy "${agent}" is disallowed by this role`],
      ])
    })
  })

  it('warns about a policy that does not exist and makes the token all the same', async () => {
    const missing = uniqueName('missing')
    const name = await role({ allowed_policies: [missing] })
    const res = await createWith(await minter(name), name, { policies: [missing] })
    expect(res.status).toBe(200)
    expect(res.json.warnings).toEqual([`Policy "${missing}" does not exist`])
    expect(res.json.auth.policies).toEqual(['default', missing].sort())
  })

  it('without allowed or disallowed lists the parent-subset rule applies', async () => {
    const name = await role({})
    const token = await minter(name)
    const res = await createWith(token, name, { policies: [agent] })
    expect([res.status, res.json.errors]).toEqual([
      400,
      ['child policies must be subset of parent'],
    ])
  })

  it('applies orphan, renewable, path_suffix, token_explicit_max_ttl and token_num_uses', async (ctx) => {
    const name = await role({
      allowed_policies: [agent],
      orphan: true,
      renewable: false,
      path_suffix: 'rev.2',
      token_explicit_max_ttl: '10m',
      token_num_uses: 3,
    })
    const res = await createWith(await minter(name), name, { ttl: '1h', num_uses: 5 })
    expect(res.status).toBe(200)
    expect(res.json.auth).toMatchObject({ orphan: true, renewable: false, lease_duration: 600 })
    expect(res.json.warnings.length).toBeGreaterThan(0)
    await assertSince(ctx, GATES.authNumUses, () => expect(res.json.auth.num_uses).toBe(3))
    const look = await clientFor(vault).tokenLookup({ token: res.json.auth.client_token })
    expect(look.data).toMatchObject({
      path: `auth/token/create/${name}/rev.2`,
      orphan: true,
      num_uses: 3,
      renewable: false,
    })
  })

  it('token_period makes periodic tokens: the TTL and each renewal are the period', async () => {
    const name = await role({ allowed_policies: [agent], token_period: '30m' })
    const res = await createWith(await minter(name), name, { ttl: '5m' })
    expect([res.status, res.json.auth.lease_duration, res.json.auth.renewable]).toEqual([
      200,
      1800,
      true,
    ])
    const child = res.json.auth.client_token
    const renewed = await raw(vault, 'POST', 'auth/token/renew-self', {
      token: child,
      body: { increment: '10s' },
    })
    expect(renewed.json.auth.lease_duration).toBe(1800)
  })

  it('refuses an unknown role (400) and a caller without update on the role path (403)', async () => {
    const unknown = uniqueName('nope')
    const res = await raw(vault, 'POST', `auth/token/create/${unknown}`, { body: {} })
    expect([res.status, res.json.errors]).toEqual([400, [`unknown role ${unknown}`]])
    const name = await role({ allowed_policies: [agent] })
    const elsewhere = await minter(uniqueName('other-role'))
    const denied = await createWith(elsewhere, name)
    expect([denied.status, denied.json.errors]).toEqual([403, [ACL_DENIED]])
  })
})
