/**
 * @module The agent's own Transit keys over REST and MCP: create (a chosen type), list, read
 * (no key material), rotate, HMAC and its check, sign and its check. Each operation: the happy
 * path, bad input (a clear 4xx, nothing changed), another agent's keys (never reached), a
 * missing scope, and the audit trail (names only, never the data, HMACs or signatures).
 */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { Scope } from '../../src/core/identity.js'
import { transitKeyName } from '../../src/core/paths.js'
import { ADAPTERS, useAdapters, type AdapterName } from '../helpers/both-adapters.js'
import { startVaultStack } from '../helpers/vault-stack.js'

const both = useAdapters(startVaultStack)
const b64 = (s: string) => Buffer.from(s).toString('base64')

/** The key as Vault holds it (root token), or undefined. */
async function vaultKey(agent: string, key: string) {
  const name = transitKeyName(both.stack.prefix, agent, key)
  try {
    const res = (await both.stack.root.request({
      path: `/${both.stack.config.vault.transitMount}/keys/${name}`,
      method: 'GET',
    })) as { data: { type: string; latest_version: number } }
    return res.data
  } catch {
    return undefined
  }
}

const caller = (adapter: AdapterName, agent: string, scopes?: readonly Scope[]) =>
  both.as(adapter, agent, scopes)

describe.each(ADAPTERS)('transit keys over %s', (adapter) => {
  it('creates keys of each type, idempotently, and refuses another type under the same name', async () => {
    const agent = both.stack.agent('mk')
    const c = caller(adapter, agent)
    for (const type of [
      'aes256-gcm96',
      'aes128-gcm96',
      'chacha20-poly1305',
      'ed25519',
      'ecdsa-p256',
    ]) {
      const key = `k-${type}`
      const r = await c.call('create_transit_key', { key, type })
      expect(r).toMatchObject({
        ok: true,
        body: { key, type, created: true, latest_version: 1, exportable: false },
      })
      expect((await vaultKey(agent, key))?.type).toBe(type)
      const again = await c.call('create_transit_key', { key, type })
      expect(again).toMatchObject({ ok: true, body: { created: false, type } })
    }
    const def = await c.call('create_transit_key', { key: 'default' })
    expect(def.ok && def.body.type).toBe('aes256-gcm96')
    const other = await c.call('create_transit_key', { key: 'k-ed25519', type: 'aes256-gcm96' })
    expect(other).toMatchObject({ ok: false, code: 'KEY_EXISTS' })
    if (adapter === 'rest') expect(other.status).toBe(409)
    expect((await vaultKey(agent, 'k-ed25519'))?.type).toBe('ed25519')
  })

  it.each([
    [{ key: 'k', type: 'rsa-4096' }, 'type'],
    [{ key: 'k', type: 'hmac' }, 'type'],
    [{ key: '../k' }, 'key'],
    [{ key: 'a/b' }, 'key'],
    [{ key: '' }, 'key'],
    [{ key: 'k', exportable: true }, 'exportable'],
    [{ type: 'ed25519' }, 'key'],
  ])(
    'refuses to create from %j (INVALID_INPUT naming %s), creating nothing',
    async (input, field) => {
      const agent = both.stack.agent('bad')
      const r = await caller(adapter, agent).call('create_transit_key', input)
      expect(r).toMatchObject({ ok: false, code: 'INVALID_INPUT' })
      expect(!r.ok && r.message).toContain(field)
      if (adapter === 'rest') expect(r.status).toBe(400)
      expect(await vaultKey(agent, 'k')).toBeUndefined()
    },
  )

  it('reads a key: versions and public keys, never key material', async () => {
    const agent = both.stack.agent('rd')
    const c = caller(adapter, agent)
    await c.call('create_transit_key', { key: 'sym' })
    await c.call('create_transit_key', { key: 'sig', type: 'ecdsa-p256' })
    const sym = await c.call('read_transit_key', { key: 'sym' })
    expect(sym).toMatchObject({
      ok: true,
      body: {
        key: 'sym',
        type: 'aes256-gcm96',
        supports_encryption: true,
        supports_signing: false,
        min_decryption_version: 1,
      },
    })
    expect(sym.ok && sym.body.versions).toEqual([
      { version: 1, created_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    ])
    const sig = await c.call('read_transit_key', { key: 'sig' })
    expect(sig.ok && sig.body.supports_signing).toBe(true)
    const pem = sig.ok ? sig.body.versions[0].public_key : ''
    expect(createPublicKey(pem).asymmetricKeyType).toBe('ec')
    // Nothing but the declared fields: no names in Vault, no private parts.
    expect(Object.keys(sig.ok ? sig.body : {}).sort()).toEqual(
      [
        'key',
        'type',
        'latest_version',
        'min_decryption_version',
        'min_encryption_version',
        'supports_encryption',
        'supports_decryption',
        'supports_signing',
        'derived',
        'exportable',
        'versions',
      ].sort(),
    )
    expect(JSON.stringify(sig)).not.toMatch(/PRIVATE/)
    expect(JSON.stringify(sig)).not.toContain(both.stack.prefix)
    expect(await c.call('read_transit_key', { key: 'nope' })).toMatchObject({
      ok: false,
      code: 'KEY_NOT_FOUND',
    })
  })

  it('rotates: a new version that HMACs and signs, while the old one still verifies and decrypts', async () => {
    const agent = both.stack.agent('rot')
    const c = caller(adapter, agent)
    await c.call('create_transit_key', { key: 'e', type: 'ed25519' })
    const input = b64('hello')
    const first = await c.call('sign', { key: 'e', input })
    const r = await c.call('rotate_transit_key', { key: 'e' })
    expect(r).toMatchObject({ ok: true, body: { key: 'e', latest_version: 2 } })
    expect(r.ok && r.body.versions.map((v: { version: number }) => v.version)).toEqual([1, 2])
    expect((await vaultKey(agent, 'e'))?.latest_version).toBe(2)
    const second = await c.call('sign', { key: 'e', input })
    expect(second.ok && second.body.key_version).toBe(2)
    for (const s of [first, second]) {
      const v = await c.call('verify_signature', {
        key: 'e',
        input,
        signature: s.ok && s.body.signature,
      })
      expect(v).toMatchObject({ ok: true, body: { valid: true } })
    }
    // An encryption key: old ciphertext decrypts, rewrap moves it to the new version.
    const enc = await c.call('encrypt', { key: 'x', plaintext: input })
    await c.call('rotate_transit_key', { key: 'x' })
    const old = enc.ok ? enc.body.ciphertext : ''
    expect(await c.call('decrypt', { key: 'x', ciphertext: old })).toMatchObject({
      ok: true,
      body: { plaintext: input },
    })
    const re = await c.call('rewrap', { key: 'x', ciphertext: old })
    expect(re.ok && re.body.key_version).toBe(2)
    expect(await c.call('rotate_transit_key', { key: 'missing' })).toMatchObject({
      ok: false,
      code: 'KEY_NOT_FOUND',
    })
    expect(await c.call('rotate_transit_key', { key: 'e', type: 'x' })).toMatchObject({
      ok: false,
      code: 'INVALID_INPUT',
    })
    expect((await vaultKey(agent, 'e'))?.latest_version).toBe(2)
  })

  it("lists only the caller's own keys, by their own names, in pages", async () => {
    const agent = both.stack.agent('ls')
    const neighbour = both.stack.agent('ls-x')
    await caller(adapter, neighbour).call('create_transit_key', { key: 'theirs' })
    const c = caller(adapter, agent)
    expect(await c.call('list_transit_keys')).toMatchObject({
      ok: true,
      body: { keys: [], truncated: false },
    })
    for (const k of ['b', 'a', 'c.1', 'c-2']) await c.call('create_transit_key', { key: k })
    const all = await c.call('list_transit_keys', {})
    expect(all).toMatchObject({
      ok: true,
      body: { keys: ['a', 'b', 'c-2', 'c.1'], truncated: false },
    })
    const p1 = await c.call('list_transit_keys', { limit: 3 })
    expect(p1).toMatchObject({ ok: true, body: { keys: ['a', 'b', 'c-2'], truncated: true } })
    const p2 = await c.call('list_transit_keys', { limit: 3, cursor: p1.ok && p1.body.next_cursor })
    expect(p2).toMatchObject({ ok: true, body: { keys: ['c.1'], truncated: false } })
    for (const input of [{ limit: 0 }, { cursor: 'junk!' }, { prefix: 'a' }]) {
      expect(await c.call('list_transit_keys', input)).toMatchObject({
        ok: false,
        code: 'INVALID_INPUT',
      })
    }
  })

  it('computes HMACs with any key type and checks them', async () => {
    const agent = both.stack.agent('hm')
    const c = caller(adapter, agent)
    await c.call('create_transit_key', { key: 'h', type: 'ecdsa-p256' })
    const input = b64('message')
    const h = await c.call('generate_hmac', { key: 'h', input })
    expect(h).toMatchObject({ ok: true, body: { key: 'h', key_version: 1 } })
    const hmac = h.ok ? h.body.hmac : ''
    expect(hmac).toMatch(/^vault:v1:/)
    const sha512 = await c.call('generate_hmac', { key: 'h', input, algorithm: 'sha2-512' })
    expect(sha512.ok && sha512.body.hmac).not.toBe(hmac)
    expect(await c.call('verify_hmac', { key: 'h', input, hmac })).toMatchObject({
      ok: true,
      body: { key: 'h', valid: true },
    })
    expect(await c.call('verify_hmac', { key: 'h', input: b64('other'), hmac })).toMatchObject({
      ok: true,
      body: { valid: false },
    })
    expect(
      await c.call('verify_hmac', { key: 'h', input, hmac, algorithm: 'sha2-512' }),
    ).toMatchObject({ ok: true, body: { valid: false } })
    for (const [op, input2, field] of [
      ['generate_hmac', { key: 'h', input: 'not base64!' }, 'input'],
      ['generate_hmac', { key: 'h', input, algorithm: 'md5' }, 'algorithm'],
      ['generate_hmac', { key: 'h', input, key_version: 0 }, 'key_version'],
      ['verify_hmac', { key: 'h', input }, 'hmac'],
      ['verify_hmac', { key: 'h', input, hmac: '' }, 'hmac'],
    ] as const) {
      const r = await c.call(op, input2)
      expect(r).toMatchObject({ ok: false, code: 'INVALID_INPUT' })
      expect(!r.ok && r.message).toContain(field)
    }
    // Refused by Vault: a version the key does not have, an HMAC that is not Vault's.
    expect(await c.call('generate_hmac', { key: 'h', input, key_version: 9 })).toMatchObject({
      ok: false,
      code: 'INVALID_INPUT',
    })
    expect(await c.call('verify_hmac', { key: 'h', input, hmac: 'abc' })).toMatchObject({
      ok: false,
      code: 'INVALID_INPUT',
    })
    expect(await c.call('generate_hmac', { key: 'none', input })).toMatchObject({
      ok: false,
      code: 'KEY_NOT_FOUND',
    })
  })

  it('signs with ed25519 and ecdsa-p256; the public key verifies outside the bridge', async () => {
    const agent = both.stack.agent('sg')
    const c = caller(adapter, agent)
    const data = Buffer.from('sign me')
    const input = data.toString('base64')
    for (const type of ['ed25519', 'ecdsa-p256'] as const) {
      await c.call('create_transit_key', { key: type, type })
      const s = await c.call('sign', { key: type, input })
      expect(s).toMatchObject({ ok: true, body: { key: type, key_version: 1 } })
      const signature: string = s.ok ? s.body.signature : ''
      const read = await c.call('read_transit_key', { key: type })
      const published: string = read.ok ? read.body.versions[0].public_key : ''
      const pub =
        type === 'ed25519'
          ? createPublicKey({
              key: {
                kty: 'OKP',
                crv: 'Ed25519',
                x: Buffer.from(published, 'base64').toString('base64url'),
              },
              format: 'jwk',
            })
          : createPublicKey(published)
      const raw = Buffer.from(signature.slice('vault:v1:'.length), 'base64')
      expect(cryptoVerify(type === 'ed25519' ? null : 'sha256', data, pub, raw)).toBe(true)
      expect(await c.call('verify_signature', { key: type, input, signature })).toMatchObject({
        ok: true,
        body: { valid: true },
      })
      expect(
        await c.call('verify_signature', { key: type, input: b64('forged'), signature }),
      ).toMatchObject({ ok: true, body: { valid: false } })
    }
    const jws = await c.call('sign', {
      key: 'ecdsa-p256',
      input,
      hash_algorithm: 'sha2-384',
      marshaling_algorithm: 'jws',
    })
    const sig: string = jws.ok ? jws.body.signature : ''
    expect(Buffer.from(sig.slice('vault:v1:'.length), 'base64url')).toHaveLength(64)
    expect(
      await c.call('verify_signature', {
        key: 'ecdsa-p256',
        input,
        signature: sig,
        hash_algorithm: 'sha2-384',
        marshaling_algorithm: 'jws',
      }),
    ).toMatchObject({ ok: true, body: { valid: true } })
  })

  it('refuses signing with a key that cannot sign, a missing key, and bad input', async () => {
    const agent = both.stack.agent('sgbad')
    const c = caller(adapter, agent)
    await c.call('create_transit_key', { key: 'aes' })
    await c.call('create_transit_key', { key: 'ed', type: 'ed25519' })
    const input = b64('x')
    const aes = await c.call('sign', { key: 'aes', input })
    expect(aes).toMatchObject({ ok: false, code: 'INVALID_INPUT' })
    expect(!aes.ok && aes.message).toContain('aes256-gcm96, which cannot sign')
    expect(await c.call('sign', { key: 'none', input })).toMatchObject({
      ok: false,
      code: 'KEY_NOT_FOUND',
    })
    expect(
      await c.call('verify_signature', { key: 'none', input, signature: 'vault:v1:AA==' }),
    ).toMatchObject({ ok: false, code: 'KEY_NOT_FOUND' })
    for (const [op, bad, field] of [
      ['sign', { key: 'ed', input: '%%%' }, 'input'],
      ['sign', { key: 'ed', input, hash_algorithm: 'md5' }, 'hash_algorithm'],
      ['sign', { key: 'ed', input, marshaling_algorithm: 'pem' }, 'marshaling_algorithm'],
      ['sign', { key: 'ed', input, prehashed: true }, 'prehashed'],
      ['verify_signature', { key: 'ed', input }, 'signature'],
    ] as const) {
      const r = await c.call(op, bad)
      expect(r).toMatchObject({ ok: false, code: 'INVALID_INPUT' })
      expect(!r.ok && r.message).toContain(field)
    }
    // Vault refuses a signature that is not its format.
    const forged = await c.call('verify_signature', { key: 'ed', input, signature: 'garbage' })
    expect(forged).toMatchObject({ ok: false, code: 'INVALID_INPUT' })
    if (adapter === 'rest' && !forged.ok) expect(forged.status).toBe(400)
  })

  it("never reaches another agent's keys: the same name is the caller's own", async () => {
    const owner = both.stack.agent('own')
    const intruder = both.stack.agent('intr')
    const o = caller(adapter, owner)
    await o.call('create_transit_key', { key: 'shared', type: 'ed25519' })
    const signed = await o.call('sign', { key: 'shared', input: b64('x') })
    const hmac = await o.call('generate_hmac', { key: 'shared', input: b64('x') })
    const i = caller(adapter, intruder)
    const attempts: [string, Record<string, unknown>][] = [
      ['read_transit_key', { key: 'shared' }],
      ['rotate_transit_key', { key: 'shared' }],
      ['sign', { key: 'shared', input: b64('x') }],
      ['generate_hmac', { key: 'shared', input: b64('x') }],
      ['verify_hmac', { key: 'shared', input: b64('x'), hmac: hmac.ok && hmac.body.hmac }],
      [
        'verify_signature',
        { key: 'shared', input: b64('x'), signature: signed.ok && signed.body.signature },
      ],
    ]
    for (const [op, input] of attempts) {
      expect([op, await i.call(op, input)]).toMatchObject([
        op,
        { ok: false, code: 'KEY_NOT_FOUND' },
      ])
    }
    // Names that would leave the caller's key namespace are not key names at all.
    const escapes = [`${owner}--shared`, `../${owner}--shared`, 'shared/../x', `x--${owner}`]
    for (const key of escapes) {
      for (const op of ['read_transit_key', 'rotate_transit_key', 'create_transit_key']) {
        const r = await i.call(op, { key })
        if (key === `${owner}--shared` || key === `x--${owner}`) {
          // A legal name, but in the intruder's own namespace: nothing of the owner's.
          if (op !== 'create_transit_key')
            expect(r).toMatchObject({ ok: false, code: 'KEY_NOT_FOUND' })
        } else {
          expect(r).toMatchObject({ ok: false, code: 'INVALID_INPUT' })
        }
      }
    }
    const listed = await i.call('list_transit_keys')
    expect(listed.ok && listed.body.keys).not.toContain('shared')
    expect(await vaultKey(owner, 'shared')).toMatchObject({ latest_version: 1, type: 'ed25519' })
  })

  it.each([
    ['create_transit_key', { key: 'k' }, 'delete'],
    ['list_transit_keys', {}, 'list'],
    ['read_transit_key', { key: 'k' }, 'read'],
    ['rotate_transit_key', { key: 'k' }, 'delete'],
    ['generate_hmac', { key: 'k', input: b64('x') }, 'write'],
    ['verify_hmac', { key: 'k', input: b64('x'), hmac: 'vault:v1:AA==' }, 'read'],
    ['sign', { key: 'k', input: b64('x') }, 'write'],
    ['verify_signature', { key: 'k', input: b64('x'), signature: 'vault:v1:AA==' }, 'read'],
  ] as const)('%s needs the %s scope (FORBIDDEN, nothing changed)', async (op, input, needed) => {
    const agent = both.stack.agent('scope')
    await caller(adapter, agent).call('create_transit_key', { key: 'k', type: 'ed25519' })
    const others = (['read', 'write', 'delete', 'list'] as const).filter((s) => s !== needed)
    const r = await caller(adapter, agent, others).call(op, input)
    expect(r).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    if (adapter === 'rest') expect(r.status).toBe(403)
    expect((await vaultKey(agent, 'k'))?.latest_version).toBe(1)
  })

  it('audits key names only, never the data, HMACs or signatures', async () => {
    const agent = both.stack.agent('aud')
    const c = caller(adapter, agent)
    const secretInput = b64('audit-must-not-see-this')
    await c.call('create_transit_key', { key: 'a', type: 'ed25519' })
    const s = await c.call('sign', { key: 'a', input: secretInput })
    const h = await c.call('generate_hmac', { key: 'a', input: secretInput })
    const signature = s.ok ? s.body.signature : ''
    const hmac = h.ok ? h.body.hmac : ''
    await c.call('verify_signature', { key: 'a', input: secretInput, signature })
    await c.call('verify_hmac', { key: 'a', input: secretInput, hmac })
    const events = both.stack.events.filter((e) => e.agent === agent)
    expect(events.map((e) => [e.operation, e.target, e.outcome])).toEqual([
      ['create_transit_key', 'a', 'ok'],
      ['sign', 'a', 'ok'],
      ['generate_hmac', 'a', 'ok'],
      ['verify_signature', 'a', 'ok'],
      ['verify_hmac', 'a', 'ok'],
    ])
    const text = JSON.stringify(events) + JSON.stringify(both.stack.logs)
    for (const value of [secretInput, signature.slice(9), hmac.slice(9)]) {
      expect(text).not.toContain(value)
    }
  })
})

describe('transit key routes over REST', () => {
  it('answers each key route with its methods only, and no other route under /transit/keys', async () => {
    const agent = both.stack.agent('routes')
    const rest = both.rest()
    const as = { agent }
    expect((await rest.call('POST', '/transit/keys', { ...as, body: { key: 'r' } })).status).toBe(
      200,
    )
    for (const [method, url, status, code] of [
      ['PUT', '/transit/keys', 405, 'METHOD_NOT_ALLOWED'],
      ['DELETE', '/transit/keys/r', 405, 'METHOD_NOT_ALLOWED'],
      ['POST', '/transit/keys/r', 405, 'METHOD_NOT_ALLOWED'],
      ['GET', '/transit/keys/r/rotate', 405, 'METHOD_NOT_ALLOWED'],
      ['POST', '/transit/keys/r/config', 404, 'NOT_FOUND'],
      ['GET', '/transit/keys/r/export', 404, 'NOT_FOUND'],
      ['POST', '/transit/keys/a/b/rotate', 404, 'NOT_FOUND'],
    ] as const) {
      const res = await rest.call(method, url, { ...as, body: {} })
      expect([method, url, res.status, res.json?.error?.code]).toEqual([method, url, status, code])
    }
    const twice = await rest.call('POST', '/transit/keys/r/rotate', { ...as, body: { key: 'x' } })
    expect([twice.status, twice.json?.error?.code]).toEqual([400, 'INVALID_INPUT'])
    // A name with a slash cannot be written in one segment; encoded, it is refused as a name.
    const slash = await rest.call('GET', '/transit/keys/a%2Fb', as)
    expect([slash.status, slash.json?.error?.code]).toEqual([400, 'INVALID_INPUT'])
    const key = await vaultKey(agent, 'r')
    expect(key?.latest_version).toBe(1)
  })
})
