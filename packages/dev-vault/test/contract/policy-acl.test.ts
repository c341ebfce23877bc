/** @module dev-vault/test/contract/policy-acl.test: ACL policies (reference §6) and their enforcement (§1.6). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ACL_DENIED,
  authPath,
  clientFor,
  contractVault,
  failure,
  mountEngine,
  policyName,
  raw,
  tokenWithPolicy,
  uniqueName,
  writePolicy,
  type ContractVault,
} from './harness.js'
import { GATES, has } from './versions.js'

let vault: ContractVault
let mount: string

beforeAll(async () => {
  vault = await contractVault()
  mount = await mountEngine(vault, 'acl', { type: 'kv-v2' })
})

afterAll(() => vault?.close())

const HCL = (path: string, caps: string[]) =>
  `path "${path}" {\n  capabilities = [${caps.map((c) => `"${c}"`).join(', ')}]\n}\n`

describe('sys/policies/acl', () => {
  it('writes (204), reads, lists and deletes a policy', async () => {
    const name = policyName(vault, 'p')
    const text = HCL('secret/data/x/*', ['read'])
    const w = await raw(vault, 'PUT', `sys/policies/acl/${name}`, { body: { policy: text } })
    expect(w.status).toBe(204)
    const r = await clientFor(vault).read(`sys/policies/acl/${name}`)
    expect(r.data).toEqual({ name, policy: text })
    expect(r[`name`]).toBeUndefined()
    const l = await clientFor(vault).list('sys/policies/acl')
    expect(l.data.keys).toContain(name)
    expect(l.data.keys).toContain('default')
    expect(l.data.keys[l.data.keys.length - 1]).toBe('root')
    expect((await raw(vault, 'DELETE', `sys/policies/acl/${name}`)).status).toBe(204)
    expect((await raw(vault, 'GET', `sys/policies/acl/${name}`)).status).toBe(404)
    expect((await raw(vault, 'DELETE', `sys/policies/acl/${name}`)).status).toBe(204)
  })

  it('accepts JSON policies and base64-encoded documents', async () => {
    const json = policyName(vault, 'pj')
    const doc = JSON.stringify({ path: { 'secret/data/j/*': { capabilities: ['read', 'list'] } } })
    expect(
      (await raw(vault, 'PUT', `sys/policies/acl/${json}`, { body: { policy: doc } })).status,
    ).toBe(204)
    const b64 = policyName(vault, 'pb')
    const text = HCL('secret/data/b/*', ['read'])
    await clientFor(vault).write(`sys/policies/acl/${b64}`, {
      policy: Buffer.from(text).toString('base64'),
    })
    expect((await clientFor(vault).read(`sys/policies/acl/${b64}`)).data.policy).toBe(text)
    await clientFor(vault).delete(`sys/policies/acl/${json}`)
    await clientFor(vault).delete(`sys/policies/acl/${b64}`)
  })

  it('lower-cases names (and warns with a 200 since Vault 1.10.1)', async () => {
    const name = policyName(vault, 'Upper').replace('upper', 'UPPER')
    const w = await raw(vault, 'PUT', `sys/policies/acl/${name}`, {
      body: { policy: HCL('a/b', ['read']) },
    })
    if (has(GATES.policyNameWarning)) {
      expect(w.status).toBe(200)
      expect(w.json.warnings).toEqual([`policy name was converted to ${name.toLowerCase()}`])
    } else {
      expect(w.status).toBe(204)
    }
    expect((await raw(vault, 'GET', `sys/policies/acl/${name.toLowerCase()}`)).status).toBe(200)
    await clientFor(vault).delete(`sys/policies/acl/${name.toLowerCase()}`)
  })

  it('refuses bad documents with 400 "failed to parse policy: ..." and stores nothing', async () => {
    const name = policyName(vault, 'bad')
    const bad = [
      HCL('secret/*', ['fly']),
      'path "secret/+*" { capabilities = ["read"] }',
      'path "secret/x" { capabilities = ["read"',
      'paths "secret/x" { capabilities = ["read"] }',
      'path "secret/x" { colour = "red" }',
    ]
    for (const policy of bad) {
      const f = await failure(clientFor(vault).write(`sys/policies/acl/${name}`, { policy }))
      expect(f.status).toBe(400)
      expect(f.body.errors?.[0]).toMatch(/^failed to parse policy: /)
    }
    expect((await raw(vault, 'GET', `sys/policies/acl/${name}`)).status).toBe(404)
  })

  it('refuses an empty policy, writing root and deleting default or root (400)', async () => {
    const empty = await failure(
      clientFor(vault).write(`sys/policies/acl/${policyName(vault, 'e')}`, { policy: '' }),
    )
    expect(empty.status).toBe(400)
    expect(empty.body.errors).toEqual(["'policy' parameter not supplied or empty"])
    const root = await failure(
      clientFor(vault).write('sys/policies/acl/root', { policy: HCL('x', ['read']) }),
    )
    expect(root.status).toBe(400)
    expect(root.body.errors).toEqual(['cannot update "root" policy'])
    const del = await failure(clientFor(vault).delete('sys/policies/acl/default'))
    expect(del.status).toBe(400)
    expect(del.body.errors).toEqual(['cannot delete default policy'])
    const delRoot = await failure(clientFor(vault).delete('sys/policies/acl/root'))
    expect(delRoot.status).toBe(400)
    expect((await clientFor(vault).read('sys/policies/acl/default')).data.name).toBe('default')
  })

  it('refuses policy writes and reads to a token without sys/policies rights (403)', async () => {
    const { token, policy } = await tokenWithPolicy(vault, HCL('secret/data/*', ['read']))
    const f = await failure(
      clientFor(vault, token).write(`sys/policies/acl/${policyName(vault, 'x')}`, {
        policy: HCL('a', ['read']),
      }),
    )
    expect(f.status).toBe(403)
    expect(f.body.errors).toEqual([ACL_DENIED])
    expect((await raw(vault, 'GET', `sys/policies/acl/${policy}`, { token })).status).toBe(403)
    expect((await raw(vault, 'LIST', 'sys/policies/acl', { token })).status).toBe(403)
    expect((await raw(vault, 'DELETE', `sys/policies/acl/${policy}`, { token })).status).toBe(403)
    expect((await raw(vault, 'GET', `sys/policy/${policy}`, { token })).status).toBe(403)
    const legacy = await raw(vault, 'PUT', `sys/policy/${policy}`, {
      token,
      body: { policy: HCL('x', ['read']) },
    })
    expect(legacy.status).toBe(403)
    expect((await clientFor(vault).read(`sys/policies/acl/${policy}`)).data.policy).toBe(
      HCL('secret/data/*', ['read']),
    )
  })
})

describe('ACL enforcement', () => {
  const write = (token: string, key: string, v = 1) =>
    raw(vault, 'POST', `${mount}/data/${key}`, { token, body: { data: { v } } })
  const read = (token: string, key: string) => raw(vault, 'GET', `${mount}/data/${key}`, { token })

  it('exact paths match only themselves', async () => {
    const key = uniqueName('exact')
    await clientFor(vault).write(`${mount}/data/${key}`, { data: { v: 1 } })
    await clientFor(vault).write(`${mount}/data/${key}x`, { data: { v: 1 } })
    const { token } = await tokenWithPolicy(vault, HCL(`${mount}/data/${key}`, ['read']))
    expect((await read(token, key)).status).toBe(200)
    const other = await read(token, `${key}x`)
    expect(other.status).toBe(403)
    expect(other.json.errors).toEqual([ACL_DENIED])
  })

  it('a trailing * is a prefix glob', async () => {
    const dir = uniqueName('glob')
    const { token } = await tokenWithPolicy(
      vault,
      HCL(`${mount}/data/${dir}/*`, ['create', 'read', 'update']),
    )
    expect((await write(token, `${dir}/a/b/c`)).status).toBe(200)
    expect((await read(token, `${dir}/a/b/c`)).status).toBe(200)
    expect((await write(token, `${dir}x/a`)).status).toBe(403)
    expect((await raw(vault, 'GET', `${mount}/metadata/${dir}x/a`)).status).toBe(404)
  })

  it('+ matches exactly one segment', async () => {
    const dir = uniqueName('plus')
    const { token } = await tokenWithPolicy(
      vault,
      HCL(`${mount}/data/${dir}/+/db`, ['create', 'read']),
    )
    expect((await write(token, `${dir}/team/db`)).status).toBe(200)
    expect((await write(token, `${dir}/a/b/db`)).status).toBe(403)
    expect((await write(token, `${dir}/team/web`)).status).toBe(403)
  })

  it('exact beats glob, so deny on a glob does not win over read on an exact path', async () => {
    const dir = uniqueName('prio')
    await clientFor(vault).write(`${mount}/data/${dir}/app`, { data: { v: 1 } })
    await clientFor(vault).write(`${mount}/data/${dir}/other`, { data: { v: 1 } })
    const deny = await writePolicy(vault, 'deny', HCL(`${mount}/data/${dir}/*`, ['deny']))
    const allow = await writePolicy(vault, 'allow', HCL(`${mount}/data/${dir}/app`, ['read']))
    const t = await clientFor(vault).write('auth/token/create', {
      policies: [deny, allow],
      ttl: '1h',
    })
    const token = t.auth.client_token as string
    expect((await read(token, `${dir}/app`)).status).toBe(200)
    expect((await read(token, `${dir}/other`)).status).toBe(403)
  })

  it('the same pattern with deny in one policy and read in another is denied', async () => {
    const key = uniqueName('same')
    await clientFor(vault).write(`${mount}/data/${key}`, { data: { v: 1 } })
    const a = await writePolicy(vault, 'pa', HCL(`${mount}/data/${key}`, ['read']))
    const b = await writePolicy(vault, 'pb', HCL(`${mount}/data/${key}`, ['deny']))
    const t = await clientFor(vault).write('auth/token/create', { policies: [a, b], ttl: '1h' })
    expect((await read(t.auth.client_token, key)).status).toBe(403)
  })

  it('the longer prefix wins over a shorter one', async () => {
    const dir = uniqueName('longest')
    await clientFor(vault).write(`${mount}/data/${dir}/secret/k`, { data: { v: 1 } })
    await clientFor(vault).write(`${mount}/data/${dir}/open`, { data: { v: 1 } })
    const policy =
      HCL(`${mount}/data/${dir}/*`, ['read']) + HCL(`${mount}/data/${dir}/secret/*`, ['deny'])
    const { token } = await tokenWithPolicy(vault, policy)
    expect((await read(token, `${dir}/open`)).status).toBe(200)
    expect((await read(token, `${dir}/secret/k`)).status).toBe(403)
  })

  it('create without update can write a new key but not overwrite it', async () => {
    const key = uniqueName('createonly')
    const { token } = await tokenWithPolicy(vault, HCL(`${mount}/data/${key}`, ['create', 'read']))
    expect((await write(token, key, 1)).status).toBe(200)
    expect((await write(token, key, 2)).status).toBe(403)
    expect((await read(token, key)).json.data.data).toEqual({ v: 1 })
  })

  it('update without create can overwrite an existing key but not create one', async () => {
    const key = uniqueName('updateonly')
    const { token } = await tokenWithPolicy(vault, HCL(`${mount}/data/${key}`, ['update', 'read']))
    expect((await write(token, key, 1)).status).toBe(403)
    expect((await raw(vault, 'GET', `${mount}/metadata/${key}`)).status).toBe(404)
    await clientFor(vault).write(`${mount}/data/${key}`, { data: { v: 1 } })
    expect((await write(token, key, 2)).status).toBe(200)
  })

  it('enforces allowed, denied and required parameters on the top-level body keys', async () => {
    const key = uniqueName('params')
    const only = await tokenWithPolicy(
      vault,
      `path "${mount}/data/${key}" {\n  capabilities = ["create", "update"]\n  allowed_parameters = { "data" = [] }\n}\n`,
    )
    const body = (extra: Record<string, unknown> = {}) => ({ data: { v: 1 }, ...extra })
    const ok = await raw(vault, 'POST', `${mount}/data/${key}`, { token: only.token, body: body() })
    expect(ok.status).toBe(200)
    const withCas = await raw(vault, 'POST', `${mount}/data/${key}`, {
      token: only.token,
      body: body({ options: { cas: 1 } }),
    })
    expect(withCas.status).toBe(403)
    const denied = await tokenWithPolicy(
      vault,
      `path "${mount}/data/${key}" {\n  capabilities = ["update"]\n  denied_parameters = { "options" = [] }\n}\n`,
    )
    const d = await raw(vault, 'POST', `${mount}/data/${key}`, {
      token: denied.token,
      body: body({ options: { cas: 1 } }),
    })
    expect(d.status).toBe(403)
    const required = await tokenWithPolicy(
      vault,
      `path "${mount}/data/${key}" {\n  capabilities = ["update"]\n  required_parameters = ["options"]\n}\n`,
    )
    const r = await raw(vault, 'POST', `${mount}/data/${key}`, {
      token: required.token,
      body: body(),
    })
    expect(r.status).toBe(403)
    const meta = await clientFor(vault).read(`${mount}/metadata/${key}`)
    expect(meta.data.current_version).toBe(1)
  })

  it('sys/auth/* needs sudo in addition to update', async () => {
    const path = authPath(vault, 'ap')
    const { token } = await tokenWithPolicy(vault, HCL('sys/auth/*', ['create', 'update', 'read']))
    const f = await failure(clientFor(vault, token).write(`sys/auth/${path}`, { type: 'approle' }))
    expect(f.status).toBe(403)
    const auths = await clientFor(vault).read('sys/auth')
    expect(Object.keys(auths.data)).not.toContain(`${path}/`)
  })

  it('a token with only the default policy can look itself up but read nothing else', async () => {
    const { token } = await tokenWithPolicy(vault, HCL('nothing/here', ['read']))
    expect((await raw(vault, 'GET', 'auth/token/lookup-self', { token })).status).toBe(200)
    expect((await raw(vault, 'GET', 'sys/mounts', { token })).status).toBe(403)
    expect((await raw(vault, 'GET', `nomount-${uniqueName('m')}/x`, { token })).status).toBe(403)
  })
})
