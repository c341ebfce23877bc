/** @module dev-vault/test/contract/kv.test: KV v2 (reference §2) through node-vault and raw HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ACL_DENIED,
  clientFor,
  contractVault,
  envelopeKeys,
  failure,
  mountEngine,
  raw,
  tokenWithPolicy,
  uniqueName,
  type ContractVault,
} from './harness.js'
import { assertSince, GATES, has, requires } from './versions.js'

let vault: ContractVault
/** A KV v2 mount unique to this run, so that config changes never touch a shared `secret/`. */
let mount: string

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/

beforeAll(async () => {
  vault = await contractVault()
  mount = await mountEngine(vault, 'kv', { type: 'kv', options: { version: '2' } })
})

afterAll(() => vault?.close())

describe('the dev-mode secret/ mount', () => {
  it('is KV v2: a write to secret/data/<key> returns version metadata', async () => {
    const key = uniqueName('k')
    const res = await clientFor(vault).write(`secret/data/${key}`, { data: { a: 'b' } })
    expect(res.data.version).toBe(1)
    await clientFor(vault).delete(`secret/metadata/${key}`)
  })
})

describe('write and read', () => {
  it('writes version 1 with a 200 envelope and reads it back (node-vault)', async () => {
    const key = uniqueName('app')
    const c = clientFor(vault)
    const w = await c.write(`${mount}/data/${key}`, { data: { user: 'u', nested: { n: 1 } } })
    expect(Object.keys(w)).toEqual(envelopeKeys())
    expect(w.data).toEqual({
      created_time: expect.stringMatching(RFC3339),
      ...(has(GATES.kvCustomMetadata) ? { custom_metadata: null } : {}),
      deletion_time: '',
      destroyed: false,
      version: 1,
    })
    expect(w.warnings).toBeNull()
    expect(w.auth).toBeNull()
    expect(w.lease_id).toBe('')
    const r = await c.read(`${mount}/data/${key}`)
    expect(r.data.data).toEqual({ user: 'u', nested: { n: 1 } })
    expect(r.data.metadata.version).toBe(1)
    expect(r.data.metadata.created_time).toBe(w.data.created_time)
  })

  it('renders Go JSON: sorted keys, escaped <>&, trailing newline (raw)', async (ctx) => {
    const key = uniqueName('raw')
    const w = await raw(vault, 'PUT', `${mount}/data/${key}`, {
      body: { data: { z: '<&>', a: 1 } },
    })
    expect(w.status).toBe(200)
    expect(w.headers.get('content-type')).toContain('application/json')
    expect(w.headers.get('cache-control')).toBe('no-store')
    const r = await raw(vault, 'GET', `${mount}/data/${key}`)
    expect(r.status).toBe(200)
    expect(r.text.endsWith('}\n')).toBe(true)
    expect(r.text).toContain('{"a":1,"z":"\\u003c\\u0026\\u003e"}')
    await assertSince(ctx, GATES.mountType, () => expect(r.json.mount_type).toBe('kv'))
  })

  it('reads numbers back as float64 (stored data is decoded without UseNumber)', async () => {
    const key = uniqueName('num')
    const body = '{"data":{"price":1.50,"big":12345678901234567890,"n":7,"tiny":0.0000001}}'
    expect((await raw(vault, 'POST', `${mount}/data/${key}`, { body })).status).toBe(200)
    const r = await raw(vault, 'GET', `${mount}/data/${key}`)
    expect(r.text).toContain('"data":{"big":12345678901234567000,"n":7,"price":1.5,"tiny":1e-7}')
  })

  it('reads older versions with ?version= and 404s on a version that never existed', async () => {
    const key = uniqueName('ver')
    const c = clientFor(vault)
    await c.write(`${mount}/data/${key}`, { data: { v: 1 } })
    await c.write(`${mount}/data/${key}`, { data: { v: 2 } })
    const old = await raw(vault, 'GET', `${mount}/data/${key}?version=1`)
    expect(old.json.data.data).toEqual({ v: 1 })
    expect((await c.read(`${mount}/data/${key}`)).data.metadata.version).toBe(2)
    const missing = await raw(vault, 'GET', `${mount}/data/${key}?version=7`)
    expect(missing.status).toBe(404)
    expect(missing.json).toEqual({ errors: [] })
  })

  it('404s with {"errors":[]} for an absent key (node-vault and raw)', async () => {
    const key = uniqueName('absent')
    const f = await failure(clientFor(vault).read(`${mount}/data/${key}`))
    expect(f.status).toBe(404)
    const r = await raw(vault, 'GET', `${mount}/data/${key}`)
    expect(r.status).toBe(404)
    expect(r.text).toBe('{"errors":[]}\n')
  })

  it('refuses a write without data (400) and stores nothing', async () => {
    const key = uniqueName('nodata')
    const f = await failure(clientFor(vault).write(`${mount}/data/${key}`, { options: {} }))
    expect(f.status).toBe(400)
    expect(f.body.errors).toEqual(['no data provided'])
    expect((await raw(vault, 'GET', `${mount}/metadata/${key}`)).status).toBe(404)
  })

  it('refuses data that is not an object and a non-numeric cas (400), storing nothing', async () => {
    const key = uniqueName('types')
    const c = clientFor(vault)
    const notMap = await failure(c.write(`${mount}/data/${key}`, { data: 'plain string' }))
    expect(notMap.status).toBe(400)
    const badCas = await failure(
      c.write(`${mount}/data/${key}`, { options: { cas: 'one' }, data: { a: 1 } }),
    )
    expect(badCas.status).toBe(400)
    expect(badCas.body.errors).toEqual(['error parsing check-and-set parameter'])
    expect((await raw(vault, 'GET', `${mount}/metadata/${key}`)).status).toBe(404)
  })

  it('refuses a write and a read with a token whose policy does not cover the path (403)', async () => {
    const key = uniqueName('deny')
    const { token } = await tokenWithPolicy(
      vault,
      `path "${mount}/data/other/*" { capabilities = ["read", "create", "update"] }`,
    )
    const f = await failure(
      clientFor(vault, token).write(`${mount}/data/${key}`, { data: { a: 1 } }),
    )
    expect(f.status).toBe(403)
    expect(f.body.errors).toEqual([ACL_DENIED])
    expect((await raw(vault, 'GET', `${mount}/metadata/${key}`)).status).toBe(404)
    const r = await raw(vault, 'GET', `${mount}/data/${key}`, { token })
    expect(r.status).toBe(403)
  })
})

describe('check-and-set', () => {
  it('accepts cas equal to current_version (0 for a new key) and refuses a mismatch', async () => {
    const key = uniqueName('cas')
    const c = clientFor(vault)
    await c.write(`${mount}/data/${key}`, { options: { cas: 0 }, data: { v: 1 } })
    const bad = await failure(
      c.write(`${mount}/data/${key}`, { options: { cas: 0 }, data: { v: 2 } }),
    )
    expect(bad.status).toBe(400)
    expect(bad.body.errors).toEqual(['check-and-set parameter did not match the current version'])
    const ok = await c.write(`${mount}/data/${key}`, { options: { cas: 1 }, data: { v: 2 } })
    expect(ok.data.version).toBe(2)
    expect((await c.read(`${mount}/data/${key}`)).data.data).toEqual({ v: 2 })
  })

  it('requires cas when the key metadata sets cas_required', async () => {
    const key = uniqueName('casreq')
    const c = clientFor(vault)
    await c.write(`${mount}/metadata/${key}`, { cas_required: true })
    const f = await failure(c.write(`${mount}/data/${key}`, { data: { v: 1 } }))
    expect(f.status).toBe(400)
    expect(f.body.errors).toEqual(['check-and-set parameter required for this call'])
    expect((await c.read(`${mount}/metadata/${key}`)).data.current_version).toBe(0)
    await c.write(`${mount}/data/${key}`, { options: { cas: 0 }, data: { v: 1 } })
    expect((await c.read(`${mount}/metadata/${key}`)).data.current_version).toBe(1)
  })
})

describe('patch', () => {
  it('applies a JSON merge patch as a new version (node-vault update)', async (ctx) => {
    requires(ctx, GATES.kvPatch)
    const key = uniqueName('patch')
    const c = clientFor(vault)
    await c.write(`${mount}/data/${key}`, { data: { keep: 'k', drop: 'd', obj: { a: 1, b: 2 } } })
    const p = await c.update(`${mount}/data/${key}`, {
      data: { drop: null, obj: { b: 3 }, add: [1] },
    })
    expect(p.data.version).toBe(2)
    const r = await c.read(`${mount}/data/${key}`)
    expect(r.data.data).toEqual({ keep: 'k', obj: { a: 1, b: 3 }, add: [1] })
  })

  it('404s with an empty body for an absent key and 415s without the merge-patch type', async (ctx) => {
    requires(ctx, GATES.kvPatch)
    const key = uniqueName('patchabsent')
    const absent = await raw(vault, 'PATCH', `${mount}/data/${key}`, { body: { data: { a: 1 } } })
    expect(absent.status).toBe(404)
    expect(absent.text).toBe('')
    await clientFor(vault).write(`${mount}/data/${key}`, { data: { a: 1 } })
    const wrong = await raw(vault, 'PATCH', `${mount}/data/${key}`, {
      body: { data: { a: 2 } },
      headers: { 'Content-Type': 'application/json' },
    })
    expect(wrong.status).toBe(415)
    expect((await clientFor(vault).read(`${mount}/data/${key}`)).data.data).toEqual({ a: 1 })
  })

  it('needs the patch capability: update alone is refused (403)', async (ctx) => {
    requires(ctx, GATES.kvPatch)
    const key = uniqueName('patchcap')
    await clientFor(vault).write(`${mount}/data/${key}`, { data: { a: 1 } })
    const { token } = await tokenWithPolicy(
      vault,
      `path "${mount}/data/${key}" { capabilities = ["read", "update"] }`,
    )
    const f = await failure(
      clientFor(vault, token).update(`${mount}/data/${key}`, { data: { a: 2 } }),
    )
    expect(f.status).toBe(403)
    expect((await clientFor(vault).read(`${mount}/data/${key}`)).data.data).toEqual({ a: 1 })
  })
})

describe('delete, undelete, destroy', () => {
  it('soft-deletes the latest version: 204, then a 404 that carries the metadata', async () => {
    const key = uniqueName('del')
    const c = clientFor(vault)
    await c.write(`${mount}/data/${key}`, { data: { a: 1 } })
    const d = await raw(vault, 'DELETE', `${mount}/data/${key}`)
    expect(d.status).toBe(204)
    expect(d.text).toBe('')
    const r = await raw(vault, 'GET', `${mount}/data/${key}`)
    expect(r.status).toBe(404)
    expect(r.text.endsWith('\n')).toBe(false)
    expect(r.json.errors).toBeUndefined()
    expect(r.json.data.data).toBeNull()
    expect(r.json.data.metadata.version).toBe(1)
    expect(r.json.data.metadata.deletion_time).toMatch(RFC3339)
    expect(r.json.data.metadata.destroyed).toBe(false)
    const f = await failure(c.read(`${mount}/data/${key}`))
    expect(f.status).toBe(404)
  })

  it('deletes and undeletes given versions', async () => {
    const key = uniqueName('undel')
    const c = clientFor(vault)
    await c.write(`${mount}/data/${key}`, { data: { v: 1 } })
    await c.write(`${mount}/data/${key}`, { data: { v: 2 } })
    expect(
      (await raw(vault, 'POST', `${mount}/delete/${key}`, { body: { versions: [1] } })).status,
    ).toBe(204)
    expect((await raw(vault, 'GET', `${mount}/data/${key}?version=1`)).status).toBe(404)
    expect((await c.read(`${mount}/data/${key}`)).data.data).toEqual({ v: 2 })
    await c.write(`${mount}/undelete/${key}`, { versions: [1] })
    const back = await raw(vault, 'GET', `${mount}/data/${key}?version=1`)
    expect(back.status).toBe(200)
    expect(back.json.data.data).toEqual({ v: 1 })
  })

  it('destroys versions: 404 with destroyed=true, and undelete cannot bring them back', async () => {
    const key = uniqueName('destroy')
    const c = clientFor(vault)
    await c.write(`${mount}/data/${key}`, { data: { v: 1 } })
    await c.write(`${mount}/destroy/${key}`, { versions: [1] })
    const r = await raw(vault, 'GET', `${mount}/data/${key}`)
    expect(r.status).toBe(404)
    expect(r.json.data.metadata.destroyed).toBe(true)
    await c.write(`${mount}/undelete/${key}`, { versions: [1] })
    expect((await raw(vault, 'GET', `${mount}/data/${key}`)).status).toBe(404)
    const meta = await c.read(`${mount}/metadata/${key}`)
    expect(meta.data.versions['1'].destroyed).toBe(true)
    expect(meta.data.current_version).toBe(1)
  })

  it('refuses delete/undelete/destroy without versions (400) and changes nothing', async () => {
    const key = uniqueName('nover')
    const c = clientFor(vault)
    await c.write(`${mount}/data/${key}`, { data: { v: 1 } })
    for (const verb of ['delete', 'undelete', 'destroy']) {
      const f = await failure(c.write(`${mount}/${verb}/${key}`, {}))
      expect(f.status).toBe(400)
    }
    expect((await c.read(`${mount}/data/${key}`)).data.data).toEqual({ v: 1 })
  })

  it('needs update on delete/<path>: a token with delete on data/ cannot delete versions', async () => {
    const key = uniqueName('delcap')
    await clientFor(vault).write(`${mount}/data/${key}`, { data: { v: 1 } })
    const { token } = await tokenWithPolicy(
      vault,
      `path "${mount}/data/${key}" { capabilities = ["read", "delete"] }`,
    )
    const f = await failure(
      clientFor(vault, token).write(`${mount}/delete/${key}`, { versions: [1] }),
    )
    expect(f.status).toBe(403)
    expect((await clientFor(vault).read(`${mount}/data/${key}`)).data.data).toEqual({ v: 1 })
    expect((await raw(vault, 'DELETE', `${mount}/data/${key}`, { token })).status).toBe(204)
    expect((await raw(vault, 'GET', `${mount}/data/${key}`)).status).toBe(404)
  })
})

describe('metadata', () => {
  it('reads the metadata of a key with its versions map', async () => {
    const key = uniqueName('meta')
    const c = clientFor(vault)
    await c.write(`${mount}/data/${key}`, { data: { v: 1 } })
    await c.write(`${mount}/data/${key}`, { data: { v: 2 } })
    const m = await c.read(`${mount}/metadata/${key}`)
    expect(m.data).toMatchObject({
      cas_required: false,
      current_version: 2,
      ...(has(GATES.kvCustomMetadata) ? { custom_metadata: null } : {}),
      delete_version_after: '0s',
      max_versions: 0,
      oldest_version: 0,
    })
    expect(m.data.created_time).toMatch(RFC3339)
    expect(m.data.updated_time).toMatch(RFC3339)
    expect(Object.keys(m.data.versions).sort()).toEqual(['1', '2'])
    // toMatchObject: Vault 1.21+ (KV plugin 0.25) adds created_by and deleted_by to each entry.
    expect(m.data.versions['2']).toMatchObject({
      created_time: expect.stringMatching(RFC3339),
      deletion_time: '',
      destroyed: false,
    })
  })

  it('writes max_versions, cas_required, delete_version_after and custom_metadata (204)', async (ctx) => {
    requires(ctx, GATES.kvCustomMetadata)
    const key = uniqueName('metaw')
    const w = await raw(vault, 'POST', `${mount}/metadata/${key}`, {
      body: {
        max_versions: 3,
        cas_required: false,
        delete_version_after: '3h25m19s',
        custom_metadata: { owner: 'me' },
      },
    })
    expect(w.status).toBe(204)
    const m = await clientFor(vault).read(`${mount}/metadata/${key}`)
    expect(m.data).toMatchObject({
      max_versions: 3,
      current_version: 0,
      delete_version_after: '3h25m19s',
      custom_metadata: { owner: 'me' },
    })
    const d = await clientFor(vault).write(`${mount}/data/${key}`, { data: { a: 1 } })
    expect(d.data.custom_metadata).toEqual({ owner: 'me' })
    expect(d.data.deletion_time).toMatch(RFC3339)
  })

  it('patches metadata with merge-patch: null removes a custom_metadata key', async (ctx) => {
    requires(ctx, GATES.kvMetadataPatch)
    const key = uniqueName('metap')
    const c = clientFor(vault)
    await c.write(`${mount}/metadata/${key}`, { custom_metadata: { a: '1', b: '2' } })
    const p = await raw(vault, 'PATCH', `${mount}/metadata/${key}`, {
      body: { custom_metadata: { a: null, c: '3' }, max_versions: 4 },
    })
    expect(p.status).toBe(204)
    const m = await c.read(`${mount}/metadata/${key}`)
    expect(m.data.custom_metadata).toEqual({ b: '2', c: '3' })
    expect(m.data.max_versions).toBe(4)
  })

  it('refuses custom_metadata values that are not strings (400) and keeps the old metadata', async (ctx) => {
    requires(ctx, GATES.kvCustomMetadata)
    const key = uniqueName('metabad')
    const c = clientFor(vault)
    await c.write(`${mount}/metadata/${key}`, { custom_metadata: { a: '1' } })
    const f = await failure(
      c.write(`${mount}/metadata/${key}`, { custom_metadata: { a: { deep: 1 } } }),
    )
    expect(f.status).toBe(400)
    expect((await c.read(`${mount}/metadata/${key}`)).data.custom_metadata).toEqual({ a: '1' })
  })

  it('deletes metadata and every version (204), then reads 404', async () => {
    const key = uniqueName('metad')
    const c = clientFor(vault)
    await c.write(`${mount}/data/${key}`, { data: { v: 1 } })
    expect((await raw(vault, 'DELETE', `${mount}/metadata/${key}`)).status).toBe(204)
    expect((await raw(vault, 'GET', `${mount}/metadata/${key}`)).status).toBe(404)
    expect((await raw(vault, 'GET', `${mount}/data/${key}`)).status).toBe(404)
    expect((await raw(vault, 'DELETE', `${mount}/metadata/${key}`)).status).toBe(204)
  })

  it('refuses a metadata write without the create capability (403)', async () => {
    const key = uniqueName('metacap')
    const { token } = await tokenWithPolicy(
      vault,
      `path "${mount}/metadata/${key}" { capabilities = ["read"] }`,
    )
    const f = await failure(
      clientFor(vault, token).write(`${mount}/metadata/${key}`, { max_versions: 2 }),
    )
    expect(f.status).toBe(403)
    expect((await raw(vault, 'GET', `${mount}/metadata/${key}`)).status).toBe(404)
  })
})

describe('permission denied on every KV route', () => {
  it('refuses each route a read-only token lacks, and the key is unchanged', async () => {
    const key = uniqueName('matrix')
    const c = clientFor(vault)
    await c.write(`${mount}/data/${key}`, { data: { v: 1 } })
    await c.write(`${mount}/data/${key}`, { data: { v: 2 } })
    const { token } = await tokenWithPolicy(
      vault,
      `path "${mount}/data/${key}" { capabilities = ["read"] }`,
    )
    const calls: [string, string, unknown?][] = [
      ['DELETE', `${mount}/data/${key}`],
      ['POST', `${mount}/delete/${key}`, { versions: [1] }],
      ['POST', `${mount}/undelete/${key}`, { versions: [1] }],
      ['POST', `${mount}/destroy/${key}`, { versions: [1] }],
      ['GET', `${mount}/metadata/${key}`],
      ['POST', `${mount}/metadata/${key}`, { max_versions: 1 }],
      // Before Vault 1.9 PATCH is no verb of Vault's (405 before any policy check).
      ...(has(GATES.kvPatch)
        ? [['PATCH', `${mount}/metadata/${key}`, { max_versions: 1 }] as [string, string, unknown]]
        : []),
      ['DELETE', `${mount}/metadata/${key}`],
    ]
    for (const [method, path, body] of calls) {
      const r = await raw(vault, method, path, { token, body })
      expect(r.status, `${method} ${path}`).toBe(403)
      expect(r.json.errors).toEqual([ACL_DENIED])
    }
    expect((await raw(vault, 'GET', `${mount}/data/${key}`, { token })).status).toBe(200)
    const meta = await c.read(`${mount}/metadata/${key}`)
    expect(meta.data.current_version).toBe(2)
    expect(meta.data.max_versions).toBe(0)
    expect(meta.data.versions['1']).toMatchObject({ deletion_time: '', destroyed: false })
  })

  it('refuses a metadata patch with a non-string custom_metadata value (400)', async (ctx) => {
    requires(ctx, GATES.kvMetadataPatch)
    const key = uniqueName('metapbad')
    const c = clientFor(vault)
    await c.write(`${mount}/metadata/${key}`, { custom_metadata: { a: '1' } })
    const r = await raw(vault, 'PATCH', `${mount}/metadata/${key}`, {
      body: { custom_metadata: { a: [1, 2] } },
    })
    expect(r.status).toBe(400)
    expect((await c.read(`${mount}/metadata/${key}`)).data.custom_metadata).toEqual({ a: '1' })
  })
})

describe('list', () => {
  it('lists direct children with folders ending in / (LIST and ?list=true)', async () => {
    const dir = uniqueName('dir')
    const c = clientFor(vault)
    await c.write(`${mount}/data/${dir}/a`, { data: { v: 1 } })
    await c.write(`${mount}/data/${dir}/sub/b`, { data: { v: 1 } })
    await c.write(`${mount}/data/${dir}/sub`, { data: { v: 1 } })
    const l = await c.list(`${mount}/metadata/${dir}`)
    expect(l.data.keys).toEqual(['a', 'sub', 'sub/'])
    const q = await raw(vault, 'GET', `${mount}/metadata/${dir}/?list=true`)
    expect(q.status).toBe(200)
    expect(q.json.data.keys).toEqual(['a', 'sub', 'sub/'])
    const root = await c.list(`${mount}/metadata`)
    expect(root.data.keys).toContain(`${dir}/`)
  })

  it('404s for an empty prefix and 400s for a bad list value', async () => {
    const dir = uniqueName('nodir')
    const f = await failure(clientFor(vault).list(`${mount}/metadata/${dir}`))
    expect(f.status).toBe(404)
    expect(f.body).toEqual({ errors: [] })
    expect((await raw(vault, 'GET', `${mount}/metadata/${dir}?list=maybe`)).status).toBe(400)
  })

  it('honours list on metadata/<dir> via the trailing-slash fallback and refuses others (403)', async () => {
    const dir = uniqueName('ldir')
    await clientFor(vault).write(`${mount}/data/${dir}/x`, { data: { v: 1 } })
    const { token } = await tokenWithPolicy(
      vault,
      `path "${mount}/metadata/${dir}" { capabilities = ["list"] }`,
    )
    const l = await clientFor(vault, token).list(`${mount}/metadata/${dir}`)
    expect(l.data.keys).toEqual(['x'])
    const f = await failure(clientFor(vault, token).list(`${mount}/metadata`))
    expect(f.status).toBe(403)
  })
})

describe('max_versions pruning', () => {
  it('keeps only the newest max_versions versions once the limit is passed', async () => {
    const key = uniqueName('prune')
    const c = clientFor(vault)
    await c.write(`${mount}/metadata/${key}`, { max_versions: 2 })
    await c.write(`${mount}/data/${key}`, { data: { v: 1 } })
    let m = await c.read(`${mount}/metadata/${key}`)
    expect(m.data.oldest_version).toBe(0)
    await c.write(`${mount}/data/${key}`, { data: { v: 2 } })
    m = await c.read(`${mount}/metadata/${key}`)
    expect(m.data.oldest_version).toBe(1)
    await c.write(`${mount}/data/${key}`, { data: { v: 3 } })
    m = await c.read(`${mount}/metadata/${key}`)
    expect(m.data.oldest_version).toBe(2)
    expect(Object.keys(m.data.versions).sort()).toEqual(['2', '3'])
    const pruned = await raw(vault, 'GET', `${mount}/data/${key}?version=1`)
    expect(pruned.status).toBe(404)
    expect(pruned.json).toEqual({ errors: [] })
  })
})

describe('invalid paths on a v2 mount', () => {
  it('answers a v1-style path with 404 and the versioned-K/V warning', async () => {
    const r = await raw(vault, 'GET', `${mount}/${uniqueName('v1style')}`)
    expect(r.status).toBe(404)
    expect(r.json.data).toBeNull()
    expect(r.json.warnings[0]).toContain('Invalid path for a versioned K/V secrets engine')
    expect(r.json.warnings[0]).toContain("'vault kv get'")
  })

  it('answers non-list operations on data/ itself with the root warning', async () => {
    const r = await raw(vault, 'GET', `${mount}/data`)
    expect(r.status).toBe(404)
    expect(r.json.warnings).toEqual([
      'Non-listing operations on the root of a K/V v2 mount are not supported.',
    ])
  })
})
