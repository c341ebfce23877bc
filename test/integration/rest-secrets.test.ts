/**
 * @module REST KV v2 routes end to end: every /secrets route's success and the error codes it
 * can produce, against the dev vault (or a real Vault), in process and over real HTTP.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { useRestSuite } from '../helpers/test-app.js'
import { startVaultStack } from '../helpers/vault-stack.js'

const rest = useRestSuite(startVaultStack)

/** Keys Vault's own envelope has; none may appear in a bridge response. */
const ENVELOPE_KEYS = ['request_id', 'lease_id', 'lease_duration', 'renewable', 'wrap_info', 'auth']

const expectNoEnvelope = (json: unknown) => {
  const text = JSON.stringify(json)
  for (const k of ENVELOPE_KEYS) expect(text).not.toContain(`"${k}"`)
  expect(text).not.toContain(rest.stack.vault.rootToken)
  expect(text).not.toMatch(/hv[sb]\./)
}

describe.each(['app.request', 'http'] as const)('KV routes over %s', (kind) => {
  const client = () => rest.clients.find((c) => c.kind === kind)!
  let agent: string
  const call = (method: string, path: string, body?: unknown, extra: object = {}) =>
    client().call(method, path, { agent, ...(body === undefined ? {} : { body }), ...extra })

  beforeAll(() => {
    agent = rest.stack.agent('kv')
  })

  it('writes, reads and lists a secret', async () => {
    const put = await call('PUT', '/secrets/app/db', { data: { user: 'u', password: 'p1' } })
    expect(put.status).toBe(200)
    expect(put.json.path).toBe('app/db')
    expect(put.json.metadata).toMatchObject({ version: 1, destroyed: false, deletion_time: '' })
    expect(Object.keys(put.json.metadata).sort()).toEqual(
      ['created_time', 'custom_metadata', 'deletion_time', 'destroyed', 'version'].sort(),
    )
    expectNoEnvelope(put.json)

    const get = await call('GET', '/secrets/app/db')
    expect(get.status).toBe(200)
    expect(get.json).toMatchObject({ path: 'app/db', data: { user: 'u', password: 'p1' } })
    expect(get.json.metadata.version).toBe(1)
    expectNoEnvelope(get.json)

    // It really is in Vault, inside this agent's namespace.
    const inVault = (await rest.stack.root.read(
      `secret/data/${rest.stack.prefix}/${agent}/app/db`,
    )) as {
      data: { data: Record<string, string> }
    }
    expect(inVault.data.data.password).toBe('p1')

    await call('PUT', '/secrets/app/nested/deep', { data: { a: 1 } })
    const list = await call('GET', '/secrets?prefix=app/')
    expect(list.status).toBe(200)
    expect(list.json).toEqual({ prefix: 'app/', keys: ['db', 'nested/'], truncated: false })
    const root = await call('GET', '/secrets')
    expect(root.json.keys).toEqual(['app/'])
    const rec = await call('GET', '/secrets?prefix=&recursive=true')
    expect(rec.json).toEqual({
      prefix: '',
      keys: ['app/db', 'app/nested/deep'],
      truncated: false,
    })
    const slash = await call('GET', '/secrets/?prefix=app/nested')
    expect(slash.json.keys).toEqual(['deep'])
  })

  it('lists an empty or missing folder as no keys', async () => {
    const res = await call('GET', '/secrets?prefix=nothing-here/')
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ prefix: 'nothing-here/', keys: [], truncated: false })
  })

  it('keeps versions, and reads an older one with ?version=', async () => {
    await call('PUT', '/secrets/ver', { data: { v: 'one' } })
    const second = await call('PUT', '/secrets/ver', { data: { v: 'two' } })
    expect(second.json.metadata.version).toBe(2)
    expect((await call('GET', '/secrets/ver')).json.data).toEqual({ v: 'two' })
    expect((await call('GET', '/secrets/ver?version=1')).json.data).toEqual({ v: 'one' })
    // A version the secret never had is not a missing secret (issue 18).
    const missing = await call('GET', '/secrets/ver?version=9')
    expect(missing.status).toBe(404)
    expect(missing.json.error.code).toBe('VERSION_NOT_FOUND')
  })

  it('check-and-set: 409 CAS_MISMATCH when the version moved, success when it matches', async () => {
    const first = await call('PUT', '/secrets/cas', { data: { n: 1 }, cas: 0 })
    expect(first.status).toBe(200)
    const again = await call('PUT', '/secrets/cas', { data: { n: 2 }, cas: 0 })
    expect(again.status).toBe(409)
    expect(again.json.error.code).toBe('CAS_MISMATCH')
    const stale = await call('PUT', '/secrets/cas', { data: { n: 2 }, cas: 5 })
    expect(stale.json.error.code).toBe('CAS_MISMATCH')
    expect((await call('GET', '/secrets/cas')).json.data).toEqual({ n: 1 })
    const ok = await call('PUT', '/secrets/cas', { data: { n: 2 }, cas: 1 })
    expect(ok.status).toBe(200)
    expect(ok.json.metadata.version).toBe(2)
  })

  it('patches with JSON merge patch, with cas, and refuses absent secrets', async () => {
    await call('PUT', '/secrets/patchme', { data: { a: 1, b: { c: 2, d: 3 }, gone: 'x' } })
    const patched = await call('PATCH', '/secrets/patchme', {
      data: { b: { c: 20 }, gone: null, e: 'new' },
    })
    expect(patched.status).toBe(200)
    expect(patched.json.metadata.version).toBe(2)
    expect((await call('GET', '/secrets/patchme')).json.data).toEqual({
      a: 1,
      b: { c: 20, d: 3 },
      e: 'new',
    })
    const cas = await call('PATCH', '/secrets/patchme', { data: { a: 2 }, cas: 1 })
    expect(cas.status).toBe(409)
    expect(cas.json.error.code).toBe('CAS_MISMATCH')
    const absent = await call('PATCH', '/secrets/never-written', { data: { a: 1 } })
    expect(absent.status).toBe(404)
    expect(absent.json.error.code).toBe('SECRET_NOT_FOUND')
  })

  it('deletes, undeletes and destroys versions, and reports their state', async () => {
    await call('PUT', '/secrets/life', { data: { v: 1 } })
    await call('PUT', '/secrets/life', { data: { v: 2 } })
    await call('PUT', '/secrets/life', { data: { v: 3 } })

    const del = await call('DELETE', '/secrets/life')
    expect(del.status).toBe(200)
    expect(del.json).toEqual({ path: 'life', versions: 'latest' })
    const deleted = await call('GET', '/secrets/life')
    expect(deleted.status).toBe(404)
    expect(deleted.json.error.code).toBe('VERSION_DELETED')
    expectNoEnvelope(deleted.json)

    const patchDeleted = await call('PATCH', '/secrets/life', { data: { v: 4 } })
    expect(patchDeleted.status).toBe(404)
    expect(patchDeleted.json.error.code).toBe('VERSION_DELETED')

    const und = await call('POST', '/secrets/life:undelete', { versions: [3] })
    expect(und.status).toBe(200)
    expect(und.json).toEqual({ path: 'life', versions: [3] })
    expect((await call('GET', '/secrets/life')).json.data).toEqual({ v: 3 })

    const delSome = await call('DELETE', '/secrets/life?versions=1,2')
    expect(delSome.json).toEqual({ path: 'life', versions: [1, 2] })
    expect((await call('GET', '/secrets/life?version=1')).json.error.code).toBe('VERSION_DELETED')

    const des = await call('POST', '/secrets/life:destroy', { versions: [2] })
    expect(des.status).toBe(200)
    const destroyed = await call('GET', '/secrets/life?version=2')
    expect(destroyed.status).toBe(410)
    expect(destroyed.json.error.code).toBe('VERSION_DESTROYED')

    const meta = await call('GET', '/secrets/life:metadata')
    expect(meta.status).toBe(200)
    expect(meta.json).toMatchObject({ path: 'life', current_version: 3, cas_required: false })
    expect(
      meta.json.versions.map((v: { version: number; state: string }) => [v.version, v.state]),
    ).toEqual([
      [1, 'deleted'],
      [2, 'destroyed'],
      [3, 'live'],
    ])
    expectNoEnvelope(meta.json)
    // No secret value in metadata.
    expect(JSON.stringify(meta.json)).not.toContain('"v"')
  })

  it('removes a secret permanently with DELETE :metadata', async () => {
    await call('PUT', '/secrets/temp/x', { data: { a: 1 } })
    const res = await call('DELETE', '/secrets/temp/x:metadata')
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ path: 'temp/x', deleted: true })
    expect((await call('GET', '/secrets/temp/x')).json.error.code).toBe('SECRET_NOT_FOUND')
    expect((await call('GET', '/secrets/temp/x:metadata')).status).toBe(404)
    expect((await call('GET', '/secrets?prefix=temp/')).json.keys).toEqual([])
  })

  it('answers 404 SECRET_NOT_FOUND for every operation on an absent secret', async () => {
    const cases: [string, string, unknown?][] = [
      ['GET', '/secrets/absent'],
      ['DELETE', '/secrets/absent'],
      ['DELETE', '/secrets/absent?versions=1'],
      ['POST', '/secrets/absent:undelete', { versions: [1] }],
      ['POST', '/secrets/absent:destroy', { versions: [1] }],
      ['GET', '/secrets/absent:metadata'],
      ['DELETE', '/secrets/absent:metadata'],
      ['PATCH', '/secrets/absent', { data: { a: 1 } }],
    ]
    for (const [method, path, body] of cases) {
      const res = await call(method, path, body)
      expect([method, path, res.status, res.json?.error?.code]).toEqual([
        method,
        path,
        404,
        'SECRET_NOT_FOUND',
      ])
    }
  })

  it('keeps a percent-encoded ":" in the name and unusual characters round-trip', async () => {
    const put = await call('PUT', '/secrets/odd%3Ametadata', { data: { a: 1 } })
    expect(put.status).toBe(200)
    expect(put.json.path).toBe('odd:metadata')
    expect((await call('GET', '/secrets/odd%3Ametadata')).json.data).toEqual({ a: 1 })
    const spaced = await call('PUT', '/secrets/with%20space/%C3%BC%3Fq%23h', { data: { b: 2 } })
    expect(spaced.json.path).toBe('with space/ü?q#h')
    expect((await call('GET', '/secrets/with%20space/%C3%BC%3Fq%23h')).json.data).toEqual({ b: 2 })
    expect((await call('GET', '/secrets?prefix=with%20space/')).json.keys).toEqual(['ü?q#h'])
  })

  it('answers whoami with the principal, its namespace and the operations its scopes allow', async () => {
    const res = await client().call('GET', '/whoami', { agent, scopes: ['read', 'list'] })
    expect(res.status).toBe(200)
    expect(res.json).toEqual({
      agent,
      method: 'api_key',
      scopes: ['read', 'list'],
      kv_mount: 'secret',
      secrets_prefix: `${rest.stack.prefix}/${agent}/`,
      transit_mount: 'transit',
      transit_key_prefix: `${rest.stack.prefix}--${agent}--`,
      operations: [
        'read_secret',
        'list_secrets',
        'read_secret_metadata',
        'decrypt',
        'list_transit_keys',
        'read_transit_key',
        'verify_hmac',
        'verify_signature',
        'whoami',
      ],
      child_tokens: rest.stack.config.childToken.enabled,
      vault_identity: rest.stack.config.childToken.enabled ? 'child_token' : 'bridge_token',
      rate_limit: null,
    })
  })

  it('refuses missing scopes with 403 and writes nothing', async () => {
    const readOnly = { scopes: ['read'] as const }
    const put = await call('PUT', '/secrets/scoped', { data: { a: 1 } }, readOnly)
    expect(put.status).toBe(403)
    expect(put.json.error.code).toBe('FORBIDDEN')
    const list = await call('GET', '/secrets', undefined, readOnly)
    expect(list.json.error.code).toBe('FORBIDDEN')
    const del = await call('DELETE', '/secrets/app/db', undefined, readOnly)
    expect(del.json.error.code).toBe('FORBIDDEN')
    expect((await call('GET', '/secrets/scoped')).json.error.code).toBe('SECRET_NOT_FOUND')
    expect((await call('GET', '/secrets/app/db')).status).toBe(200)
  })

  it('refuses unauthenticated calls with 401 and invalid agent ids with 403', async () => {
    const anon = await client().call('GET', '/secrets/app/db')
    expect(anon.status).toBe(401)
    expect(anon.json.error.code).toBe('UNAUTHENTICATED')
    for (const bad of ['a--b', '..', '-x']) {
      const res = await client().call('PUT', '/secrets/x', { agent: bad, body: { data: { a: 1 } } })
      expect(res.status).toBe(403)
      expect(res.json.error.code).toBe('FORBIDDEN')
    }
  })

  it('answers 405 with Allow for methods a route does not take', async () => {
    const cases: [string, string, string][] = [
      ['POST', '/secrets/app/db', 'GET, PUT, PATCH, DELETE'],
      ['GET', '/secrets/app/db:undelete', 'POST'],
      ['POST', '/secrets/app/db:metadata', 'GET, PUT, DELETE'],
      ['GET', '/transit/encrypt', 'POST'],
      ['POST', '/whoami', 'GET'],
      ['DELETE', '/secrets', 'GET'],
    ]
    for (const [method, path, allow] of cases) {
      const res = await call(method, path, method === 'GET' ? undefined : {})
      expect([path, res.status, res.json?.error?.code]).toEqual([path, 405, 'METHOD_NOT_ALLOWED'])
      expect(res.headers.get('allow')).toBe(allow)
    }
  })
})
