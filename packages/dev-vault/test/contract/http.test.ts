/** @module dev-vault/test/contract/http.test: Vault's generic HTTP layer (reference §1). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ACL_DENIED,
  BOGUS_TOKEN,
  clientFor,
  contractVault,
  envelopeKeys,
  failure,
  invalidTokenErrors,
  raw,
  tokenWithPolicy,
  uniqueName,
  type ContractVault,
} from './harness.js'
import { GATES, has } from './versions.js'

let vault: ContractVault

beforeAll(async () => {
  vault = await contractVault()
})

afterAll(async () => {
  await vault.close()
})

describe('methods', () => {
  it('maps LIST and GET ?list=true to list, and plain GET to read', async () => {
    const dir = uniqueName('m')
    await clientFor(vault).write(`secret/data/${dir}/a`, { data: { v: 1 } })
    const list = await raw(vault, 'LIST', `secret/metadata/${dir}`)
    expect(list.status).toBe(200)
    expect(list.json.data.keys).toEqual(['a'])
    for (const flag of ['true', '1', 'T']) {
      const q = await raw(vault, 'GET', `secret/metadata/${dir}?list=${flag}`)
      expect(q.json.data.keys).toEqual(['a'])
    }
    const read = await raw(vault, 'GET', `secret/metadata/${dir}/a?list=false`)
    expect(read.json.data.current_version).toBe(1)
    await clientFor(vault).delete(`secret/metadata/${dir}/a`)
  })

  it('refuses an unparsable list flag with 400 {"errors":[]}', async () => {
    const r = await raw(vault, 'GET', 'secret/metadata/?list=yes')
    expect(r.status).toBe(400)
    expect(r.json).toEqual({ errors: [] })
  })

  it('treats POST and PUT alike', async () => {
    const key = uniqueName('put')
    expect(
      (await raw(vault, 'PUT', `secret/data/${key}`, { body: { data: { v: 1 } } })).status,
    ).toBe(200)
    const post = await raw(vault, 'POST', `secret/data/${key}`, { body: { data: { v: 2 } } })
    expect(post.json.data.version).toBe(2)
    await clientFor(vault).delete(`secret/metadata/${key}`)
  })

  it('answers an unknown HTTP verb with 405 {"errors":[]}', async () => {
    const r = await raw(vault, 'FROB', 'secret/data/x')
    expect(r.status).toBe(405)
    expect(r.json).toEqual({ errors: [] })
  })

  it('answers an unsupported operation on a known path with 405', async () => {
    const r = await raw(vault, 'GET', 'auth/token/create')
    expect(r.status).toBe(405)
    expect(r.json.errors).toEqual(['1 error occurred:\n\t* unsupported operation\n\n'])
  })

  it('PATCH without a content type is 400, with the wrong one 415 (405 before Vault 1.9)', async () => {
    const key = uniqueName('pt')
    await clientFor(vault).write(`secret/data/${key}`, { data: { v: 1 } })
    const none = await fetch(`${vault.url}/v1/secret/data/${key}`, {
      method: 'PATCH',
      headers: { 'X-Vault-Token': vault.rootToken },
      body: new Uint8Array(Buffer.from('{"data":{"v":2}}')),
    })
    // Before Vault 1.9 PATCH was no HTTP verb of Vault's: 405, whatever the content type.
    const patch = has(GATES.kvPatch)
    expect(none.status).toBe(patch ? 400 : 405)
    const wrong = await raw(vault, 'PATCH', `secret/data/${key}`, {
      body: { data: { v: 2 } },
      headers: { 'Content-Type': 'text/plain' },
    })
    expect(wrong.status).toBe(patch ? 415 : 405)
    expect((await clientFor(vault).read(`secret/data/${key}`)).data.data).toEqual({ v: 1 })
    await clientFor(vault).delete(`secret/metadata/${key}`)
  })
})

describe('tokens in requests', () => {
  it('accepts Authorization: Bearer when X-Vault-Token is absent', async () => {
    const r = await raw(vault, 'GET', 'auth/token/lookup-self', {
      token: null,
      headers: { Authorization: `Bearer ${vault.rootToken}` },
    })
    expect(r.status).toBe(200)
  })

  it('X-Vault-Token wins over Authorization', async () => {
    const r = await raw(vault, 'GET', 'auth/token/lookup-self', {
      headers: { Authorization: `Bearer ${BOGUS_TOKEN}` },
    })
    expect(r.status).toBe(200)
  })

  it('no token: 403 permission denied (400 missing client token before Vault 1.10)', async () => {
    const r = await raw(vault, 'GET', 'secret/data/x', { token: null })
    if (has(GATES.noTokenForbidden)) {
      expect([r.status, r.json]).toEqual([403, { errors: ['permission denied'] }])
    } else {
      expect([r.status, r.json]).toEqual([400, { errors: ['missing client token'] }])
    }
  })

  it('unknown token: 403 (with the two-error body since Vault 1.17)', async () => {
    const r = await raw(vault, 'GET', 'secret/data/x', { token: BOGUS_TOKEN })
    expect(r.status).toBe(403)
    expect(r.json).toEqual({ errors: invalidTokenErrors() })
    const f = await failure(clientFor(vault, BOGUS_TOKEN).read('secret/data/x'))
    expect(f.status).toBe(403)
  })

  it('policy denial: 403 with the one-error body, also on paths that do not exist', async () => {
    const { token } = await tokenWithPolicy(
      vault,
      'path "secret/data/only" { capabilities = ["read"] }',
    )
    const r = await raw(vault, 'GET', 'secret/data/elsewhere', { token })
    expect(r.status).toBe(403)
    expect(r.text).toBe(`${JSON.stringify({ errors: [ACL_DENIED] })}\n`)
    expect((await raw(vault, 'GET', `${uniqueName('nomount')}/x`, { token })).status).toBe(403)
  })
})

describe('envelope and bodies', () => {
  it('has Go field order, null warnings, a trailing newline and no-store caching', async () => {
    const r = await raw(vault, 'GET', 'auth/token/lookup-self')
    expect(r.status).toBe(200)
    expect(Object.keys(r.json)).toEqual(envelopeKeys())
    expect(r.json.warnings).toBeNull()
    expect(r.json.wrap_info).toBeNull()
    expect(r.json.request_id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    )
    expect(r.text.endsWith('}\n')).toBe(true)
    expect(r.headers.get('cache-control')).toBe('no-store')
    expect(r.headers.get('content-type')).toContain('application/json')
    const keys = Object.keys(r.json.data)
    expect(keys).toEqual([...keys].sort())
  })

  it('answers 204 with an empty body when there is nothing to return', async () => {
    const key = uniqueName('nc')
    const r = await raw(vault, 'DELETE', `secret/metadata/${key}`)
    expect(r.status).toBe(204)
    expect(r.text).toBe('')
  })

  it('refuses malformed JSON with 400 and writes nothing', async () => {
    const key = uniqueName('badjson')
    const r = await raw(vault, 'POST', `secret/data/${key}`, { body: '{"data": {"a": 1' })
    expect(r.status).toBe(400)
    expect(r.json.errors.length).toBe(1)
    expect((await raw(vault, 'GET', `secret/metadata/${key}`)).status).toBe(404)
  })

  it('refuses a body over 32 MiB with 413', async () => {
    const big = `{"data":{"a":"${'x'.repeat(32 * 1024 * 1024)}"}}`
    const key = uniqueName('big')
    const r = await raw(vault, 'POST', `secret/data/${key}`, { body: big })
    expect(r.status).toBe(413)
    expect((await raw(vault, 'GET', `secret/metadata/${key}`)).status).toBe(404)
  })
})

describe('routing errors', () => {
  it('a path outside /v1/ is not served as the API (404, or the UI redirect of a dev server)', async () => {
    // `vault server -dev` enables the UI, whose handler answers unknown paths with 307 to /ui/.
    const r = await fetch(`${vault.url}/v2/secret/data/x`, { redirect: 'manual' })
    expect(vault.real ? [307, 404] : [404]).toContain(r.status)
  })

  it('a path with no mount is 404 "no handler for route" for root', async () => {
    const path = `${uniqueName('nomount')}/data/x`
    const r = await raw(vault, 'GET', path)
    expect(r.status).toBe(404)
    expect(r.json.errors[0]).toContain('no handler for route')
    const f = await failure(clientFor(vault).read(path))
    expect(f.status).toBe(404)
  })

  it('a path inside a mount that matches nothing is 404 "unsupported path"', async () => {
    const r = await raw(vault, 'GET', `auth/token/${uniqueName('nothing')}`)
    expect(r.status).toBe(404)
    expect(r.json.errors).toEqual(['1 error occurred:\n\t* unsupported path\n\n'])
  })
})
