/** @module dev-vault/engines/transit/transit-engine.test: the Transit engine, called directly (no HTTP). */
import { createDecipheriv, createHmac, createPublicKey, hkdfSync, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createEngineClient } from '../../testing/engine-client.js'
import type { EngineHost, EngineRequest, VaultHttpError } from '../../routing/backend.js'
import { createTransitEngine } from './transit-engine.js'
import type { KeyStore } from './transit-keys.js'

const host: EngineHost = {
  issueToken: () => {
    throw new Error('transit issues no tokens')
  },
  now: () => 1_700_000_000_000,
}

const b64 = (s: string): string => Buffer.from(s).toString('base64')

function setup() {
  const store: KeyStore = new Map()
  const engine = createTransitEngine(host, {}, store)
  /** Symmetric key material of `name`'s version 1 (the engine never exports it). */
  const material = (name: string) => {
    const v = store.get(name)!.versions.get(1)!
    return { ...v, key: v.key! }
  }
  const { call, envelope, fail } = createEngineClient(engine, 'transit/', 'root')
  const ok = async (
    operation: EngineRequest['operation'],
    path: string,
    data: Record<string, unknown> = {},
  ): Promise<Record<string, unknown>> =>
    ((await envelope(operation, path, data)).data ?? {}) as Record<string, unknown>
  return { engine, call, ok, fail, material }
}

describe('transit keys', () => {
  it('creates, reads, lists and rotates a key with the reference body', async () => {
    const { ok } = setup()
    const created = await ok('update', 'keys/k1')
    expect(created).toEqual({
      allow_plaintext_backup: false,
      auto_rotate_period: 0,
      deletion_allowed: false,
      derived: false,
      exportable: false,
      imported_key: false,
      keys: { '1': 1_700_000_000 },
      latest_version: 1,
      min_available_version: 0,
      min_decryption_version: 1,
      min_encryption_version: 0,
      name: 'k1',
      supports_decryption: true,
      supports_derivation: true,
      supports_encryption: true,
      supports_signing: false,
      type: 'aes256-gcm96',
    })
    expect(await ok('read', 'keys/k1')).toEqual(created)
    expect(await ok('list', 'keys/')).toEqual({ keys: ['k1'] })
    const rotated = await ok('update', 'keys/k1/rotate')
    expect(rotated.latest_version).toBe(2)
    expect(Object.keys(rotated.keys as object)).toEqual(['1', '2'])
  })

  it('warns and ignores parameters when the key already exists', async () => {
    const { call, ok } = setup()
    await ok('update', 'keys/k1')
    const again = await call('update', 'keys/k1', { derived: true })
    expect(again).toMatchObject({ kind: 'envelope', warnings: ['key k1 already existed'] })
    expect((await ok('read', 'keys/k1')).derived).toBe(false)
  })

  it('rejects bad create parameters without creating anything', async () => {
    const { fail } = setup()
    expect((await fail('update', 'keys/k', { type: 'des' })).errors).toEqual([
      'unknown key type des',
    ])
    expect((await fail('update', 'keys/k', { convergent_encryption: true })).errors).toEqual([
      'convergent encryption requires derivation to be enabled',
    ])
    expect((await fail('update', 'keys/k', { derived: 'maybe' })).status).toBe(400)
    expect((await fail('update', 'keys/k', { auto_rotate_period: '10m' })).status).toBe(400)
    expect((await fail('read', 'keys/k')).status).toBe(404)
    expect((await fail('list', 'keys/')).status).toBe(404)
  })

  it('supports aes128-gcm96 and chacha20-poly1305', async () => {
    const { ok } = setup()
    for (const type of ['aes128-gcm96', 'chacha20-poly1305']) {
      await ok('update', `keys/${type}`, { type })
      const { ciphertext } = await ok('update', `encrypt/${type}`, { plaintext: b64('hi') })
      const decoded = Buffer.from((ciphertext as string).split(':')[2] as string, 'base64')
      expect(decoded.length).toBe(12 + 2 + 16)
      expect(await ok('update', `decrypt/${type}`, { ciphertext })).toEqual({
        plaintext: b64('hi'),
      })
    }
  })

  it('enforces deletion_allowed and reports absent keys', async () => {
    const { ok, fail, call } = setup()
    await ok('update', 'keys/k1')
    expect((await fail('delete', 'keys/k1')).errors).toEqual([
      'error deleting policy k1: deletion is not allowed for this key',
    ])
    await ok('update', 'keys/k1/config', { deletion_allowed: true })
    expect(await call('delete', 'keys/k1')).toEqual({ kind: 'envelope' })
    expect((await fail('delete', 'keys/k1')).errors).toEqual([
      'error deleting policy k1: could not delete key; not found',
    ])
    expect((await fail('update', 'keys/k1/config', {})).errors).toEqual([
      'no existing key named k1 could be found',
    ])
    expect((await fail('update', 'keys/k1/rotate')).errors).toEqual(['key not found'])
  })

  it('validates config and changes nothing on a rejected request', async () => {
    const { ok, fail, call } = setup()
    await ok('update', 'keys/k1')
    await ok('update', 'keys/k1/rotate')
    expect((await fail('update', 'keys/k1/config', { min_decryption_version: 5 })).errors).toEqual([
      'cannot set min decryption version of 5, latest key version is 2',
    ])
    const mixed = await fail('update', 'keys/k1/config', {
      deletion_allowed: true,
      min_decryption_version: 2,
      min_encryption_version: 1,
    })
    expect(mixed.errors[0]).toMatch(/^cannot set min encryption\/decryption values/)
    const after = await ok('read', 'keys/k1')
    expect(after.deletion_allowed).toBe(false)
    expect(after.min_decryption_version).toBe(1)
    const zero = await call('update', 'keys/k1/config', { min_decryption_version: 0 })
    expect(zero).toEqual({
      kind: 'envelope',
      warnings: ['since Vault 0.3, transit key numbering starts at 1; forcing minimum to 1'],
    })
  })
})

describe('transit encrypt and decrypt', () => {
  it('reports encrypt/:name existence so the core can require create', async () => {
    const { engine, ok } = setup()
    expect(engine.exists?.('encrypt/new', {})).toBe(false)
    expect(engine.exists?.('keys/new', {})).toBeUndefined()
    await ok('create', 'encrypt/new', { plaintext: b64('x') })
    expect(engine.exists?.('encrypt/new', {})).toBe(true)
    expect((await ok('read', 'keys/new')).type).toBe('aes256-gcm96')
  })

  it('upserts a derived key when encrypt carries a context; convergent needs one', async () => {
    const { engine, ok, fail, call } = setup()
    await ok('create', 'encrypt/ctx', { plaintext: b64('x'), context: b64('c') })
    expect((await ok('read', 'keys/ctx')).derived).toBe(true)
    const convergent = await fail('create', 'encrypt/conv', {
      plaintext: b64('x'),
      convergent_encryption: true,
    })
    expect(convergent.errors).toEqual([
      'convergent encryption requires derivation to be enabled, so context is required',
    ])
    expect(engine.exists?.('encrypt/conv', {})).toBe(false)
    const again = await call('create', 'encrypt/ctx', { plaintext: b64('y'), context: b64('c') })
    expect(again).toMatchObject({
      warnings: [
        'Attempted creation of the key during the encrypt operation, but it was created beforehand',
      ],
    })
    const extra = await call('update', 'encrypt/ctx', {
      plaintext: b64('y'),
      context: b64('c'),
      bogus: 1,
    })
    expect(extra).toMatchObject({
      warnings: ['Endpoint ignored these unrecognized parameters: [bogus]'],
    })
  })

  it('honours key_version and min_encryption_version on encrypt', async () => {
    const { ok, fail } = setup()
    await ok('update', 'keys/v')
    await ok('update', 'keys/v/rotate')
    expect(
      (await ok('update', 'encrypt/v', { plaintext: b64('x'), key_version: 1 })).key_version,
    ).toBe(1)
    await ok('update', 'keys/v/config', { min_encryption_version: 2 })
    expect(
      (await fail('update', 'encrypt/v', { plaintext: b64('x'), key_version: 1 })).errors,
    ).toEqual(['requested version for encryption is less than the minimum encryption key version'])
    expect(
      (await fail('update', 'encrypt/v', { plaintext: b64('x'), key_version: 3 })).errors,
    ).toEqual(['requested version for encryption is higher than the latest key version'])
  })

  it('uses Vault’s byte layout: vault:vN: + base64(nonce12 || AES-256-GCM ct || tag16)', async () => {
    const { ok, material } = setup()
    await ok('update', 'keys/exp')
    const { ciphertext, key_version } = await ok('update', 'encrypt/exp', {
      plaintext: b64('hello'),
    })
    expect(key_version).toBe(1)
    expect(ciphertext).toMatch(/^vault:v1:[A-Za-z0-9+/]+=*$/)
    const raw = Buffer.from((ciphertext as string).slice('vault:v1:'.length), 'base64')
    expect(raw.length).toBe(12 + 5 + 16)
    const key = material('exp').key
    expect(key.length).toBe(32)
    const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12))
    d.setAuthTag(raw.subarray(raw.length - 16))
    const plain = Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()])
    expect(plain.toString()).toBe('hello')
  })

  it('decrypts old versions after rotation until min_decryption_version forbids it', async () => {
    const { ok, fail } = setup()
    await ok('update', 'keys/k')
    const v1 = (await ok('update', 'encrypt/k', { plaintext: b64('one') })).ciphertext
    await ok('update', 'keys/k/rotate')
    const v2 = await ok('update', 'encrypt/k', { plaintext: b64('two') })
    expect(v2.key_version).toBe(2)
    expect(await ok('update', 'decrypt/k', { ciphertext: v1 })).toEqual({ plaintext: b64('one') })
    const rewrapped = await ok('update', 'rewrap/k', { ciphertext: v1 })
    expect(rewrapped.ciphertext).toMatch(/^vault:v2:/)
    await ok('update', 'keys/k/config', { min_decryption_version: 2 })
    expect((await fail('update', 'decrypt/k', { ciphertext: v1 })).errors).toEqual([
      'ciphertext or signature version is disallowed by policy (too old)',
    ])
    expect(await ok('update', 'decrypt/k', { ciphertext: rewrapped.ciphertext })).toEqual({
      plaintext: b64('one'),
    })
    expect(Object.keys((await ok('read', 'keys/k')).keys as object)).toEqual(['2'])
  })

  it('fails tampered, foreign and malformed ciphertexts with Vault’s messages', async () => {
    const { ok, fail } = setup()
    await ok('update', 'keys/a')
    await ok('update', 'keys/b')
    const ct = (await ok('update', 'encrypt/a', { plaintext: b64('secret') })).ciphertext as string
    const raw = Buffer.from(ct.slice(9), 'base64')
    raw[14] = (raw[14] as number) ^ 1
    const tampered = `vault:v1:${raw.toString('base64')}`
    const cases: Array<[string, string, string]> = [
      ['a', tampered, 'cipher: message authentication failed'],
      ['b', ct, 'cipher: message authentication failed'],
      ['a', 'nope', 'invalid ciphertext: no prefix'],
      ['a', 'vault:v1', 'invalid ciphertext: wrong number of fields'],
      ['a', 'vault:vx:abc', 'invalid ciphertext: version number could not be decoded'],
      ['a', 'vault:v9:abc', 'invalid ciphertext: version is too new'],
      ['a', 'vault:v1:***', 'invalid ciphertext: could not decode base64'],
      ['a', 'vault:v1:AAAA', 'invalid ciphertext length'],
    ]
    for (const [key, ciphertext, message] of cases) {
      const e = await fail('update', `decrypt/${key}`, { ciphertext })
      expect([e.status, e.errors]).toEqual([400, [message]])
    }
    expect((await fail('update', 'decrypt/a', {})).errors).toEqual([
      'missing ciphertext to decrypt',
    ])
    expect((await fail('update', 'encrypt/a', {})).errors).toEqual(['missing plaintext to encrypt'])
    expect((await fail('update', 'encrypt/a', { plaintext: 'no!' })).errors).toEqual([
      'illegal base64 data at input byte 2',
    ])
    expect((await fail('update', 'decrypt/none', { ciphertext: ct })).errors).toEqual([
      'encryption key not found',
    ])
    expect((await fail('update', 'encrypt/none', { plaintext: '' })).errors).toEqual([
      'encryption key not found',
    ])
  })

  it('derives per-context keys with HKDF-SHA256 and refuses a missing or wrong context', async () => {
    const { ok, fail, material } = setup()
    await ok('update', 'keys/d', { derived: true })
    const context = b64('tenant-1')
    const { ciphertext } = await ok('update', 'encrypt/d', { plaintext: b64('x'), context })
    expect(await ok('update', 'decrypt/d', { ciphertext, context })).toEqual({
      plaintext: b64('x'),
    })
    expect(
      (await fail('update', 'decrypt/d', { ciphertext, context: b64('tenant-2') })).errors,
    ).toEqual(['cipher: message authentication failed'])
    expect((await fail('update', 'decrypt/d', { ciphertext })).errors[0]).toMatch(
      /^missing 'context' for key derivation/,
    )
    expect((await ok('read', 'keys/d')).kdf).toBe('hkdf_sha256')
    const derived = Buffer.from(
      hkdfSync('sha256', material('d').key, Buffer.alloc(0), Buffer.from('tenant-1'), 32),
    )
    const raw = Buffer.from((ciphertext as string).slice(9), 'base64')
    const d = createDecipheriv('aes-256-gcm', derived, raw.subarray(0, 12))
    d.setAuthTag(raw.subarray(raw.length - 16))
    expect(Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]).toString()).toBe(
      'x',
    )
  })

  it('is deterministic for convergent keys and random otherwise', async () => {
    const { ok } = setup()
    await ok('update', 'keys/c', { derived: true, convergent_encryption: true })
    const body = { plaintext: b64('same'), context: b64('ctx') }
    const one = await ok('update', 'encrypt/c', body)
    expect(await ok('update', 'encrypt/c', body)).toEqual(one)
    expect((await ok('read', 'keys/c')).convergent_encryption_version).toBe(3)
    await ok('update', 'keys/r')
    const a = await ok('update', 'encrypt/r', { plaintext: b64('same') })
    expect(await ok('update', 'encrypt/r', { plaintext: b64('same') })).not.toEqual(a)
  })

  it('answers a batch with one failed item as a raw 400 that still carries batch_results', async () => {
    const { ok, call } = setup()
    await ok('update', 'keys/k')
    const good = await call('update', 'encrypt/k', {
      batch_input: [{ plaintext: b64('a'), reference: 'r1' }, { plaintext: b64('b') }],
    })
    expect(good.kind).toBe('envelope')
    const items = (good as { data: Record<string, unknown> }).data.batch_results as Array<
      Record<string, unknown>
    >
    expect(items.map((i) => [i.key_version, i.reference])).toEqual([
      [1, 'r1'],
      [1, ''],
    ])
    const mixed = await call('update', 'decrypt/k', {
      batch_input: [{ ciphertext: items[0]?.ciphertext }, { ciphertext: 'vault:v1:AAAA' }],
    })
    expect(mixed.kind).toBe('raw')
    const raw = mixed as { status: number; body: Record<string, unknown> }
    expect(raw.status).toBe(400)
    expect(raw.body).not.toHaveProperty('errors')
    const results = (raw.body.data as { batch_results: Array<Record<string, unknown>> })
      .batch_results
    expect(results[0]).toEqual({ plaintext: b64('a'), reference: '' })
    expect(results[1]).toEqual({ plaintext: '', error: 'invalid ciphertext length', reference: '' })
    const overridden = await call('update', 'decrypt/k', {
      partial_failure_response_code: 207,
      batch_input: [{ ciphertext: items[0]?.ciphertext }, { ciphertext: 'vault:v1:AAAA' }],
    })
    expect(overridden).toMatchObject({ kind: 'raw', status: 207 })
    const mixedContext = await call('update', 'encrypt/k', {
      batch_input: [{ plaintext: b64('a'), context: b64('c') }, { plaintext: b64('b') }],
    }).catch((e: VaultHttpError) => e)
    expect(mixedContext).toMatchObject({
      status: 400,
      errors: ['context should be set either in all the request blocks or in none'],
    })
    const empty = await call('update', 'encrypt/k', { batch_input: [] }).catch(
      (e: VaultHttpError) => e,
    )
    expect(empty).toMatchObject({ status: 400, errors: ['missing batch input to process'] })
  })
})

describe('transit datakey, hmac, verify', () => {
  it('generates plaintext and wrapped data keys of the requested size', async () => {
    const { ok, fail } = setup()
    await ok('update', 'keys/k')
    const pt = await ok('update', 'datakey/plaintext/k', { bits: 512 })
    expect(Buffer.from(pt.plaintext as string, 'base64').length).toBe(64)
    expect(await ok('update', 'decrypt/k', { ciphertext: pt.ciphertext })).toEqual({
      plaintext: pt.plaintext,
    })
    const wrapped = await ok('update', 'datakey/wrapped/k')
    expect(wrapped).not.toHaveProperty('plaintext')
    expect(
      Buffer.from(
        (await ok('update', 'decrypt/k', { ciphertext: wrapped.ciphertext })).plaintext as string,
        'base64',
      ).length,
    ).toBe(32)
    expect((await fail('update', 'datakey/plaintext/k', { bits: 100 })).errors).toEqual([
      'invalid bit length',
    ])
    expect((await fail('update', 'datakey/other/k')).errors).toEqual([
      "Invalid path, must be 'plaintext' or 'wrapped'",
    ])
  })

  it('computes HMACs with a per-version key distinct from the encryption key, and verifies them', async () => {
    const { ok, fail, material } = setup()
    await ok('update', 'keys/h')
    const input = b64('message')
    const { hmac } = await ok('update', 'hmac/h', { input })
    const { hmacKey, key } = material('h')
    expect(hmacKey.equals(key)).toBe(false)
    const expected = createHmac('sha256', hmacKey).update('message').digest('base64')
    expect(hmac).toBe(`vault:v1:${expected}`)
    expect((await ok('update', 'hmac/h/sha2-512', { input })).hmac).not.toBe(hmac)
    expect(await ok('update', 'verify/h', { input, hmac })).toEqual({ valid: true })
    expect(await ok('update', 'verify/h', { input: b64('other'), hmac })).toEqual({ valid: false })
    expect((await fail('update', 'hmac/h', {})).errors).toEqual(['missing input for HMAC'])
    expect((await fail('update', 'hmac/none', { input })).errors).toEqual([
      'encryption key not found',
    ])
    expect((await fail('update', 'verify/h', { input })).errors).toEqual([
      "neither a 'signature' nor an 'hmac' were given to verify",
    ])
  })

  it('refuses signatures on symmetric keys and batches HMACs with references', async () => {
    const { ok, fail } = setup()
    await ok('update', 'keys/s')
    expect((await fail('update', 'sign/s', { input: b64('x') })).errors).toEqual([
      'key type aes256-gcm96 does not support signing',
    ])
    expect((await fail('update', 'sign/none', { input: b64('x') })).errors).toEqual([
      'signing key not found',
    ])
    const batch = await ok('update', 'hmac/s', {
      batch_input: [{ input: b64('a'), reference: 'r' }, { input: '!!' }],
    })
    const results = batch.batch_results as Array<Record<string, unknown>>
    expect(results[0]).toMatchObject({ reference: 'r' })
    expect(results[0]?.hmac).toMatch(/^vault:v1:/)
    expect(results[1]?.error).toMatch(/^unable to decode input as base64/)
    const verified = await ok('update', 'verify/s', {
      batch_input: [{ input: b64('a'), hmac: results[0]?.hmac }],
    })
    expect(verified.batch_results).toEqual([{ valid: true, reference: '' }])
  })

  it('answers unknown paths with 404 and wrong operations with 405', async () => {
    const { fail } = setup()
    expect((await fail('read', 'nothing/here')).status).toBe(404)
    // No key material leaves the dev vault: export/ is not implemented (no bridge operation).
    expect((await fail('read', 'export/encryption-key/k')).status).toBe(404)
    expect((await fail('read', 'keys')).status).toBe(405)
    expect((await fail('delete', 'encrypt/k')).status).toBe(405)
  })
})

describe('signing keys (ed25519, ecdsa-p256)', () => {
  /** The public key of a version as a KeyObject, from the key's read body only. */
  const publicKeyOf = (body: Record<string, unknown>, version = '1') => {
    const entry = (body.keys as Record<string, { public_key: string }>)[version]!
    return body.type === 'ed25519'
      ? createPublicKey({
          key: {
            kty: 'OKP',
            crv: 'Ed25519',
            x: Buffer.from(entry.public_key, 'base64').toString('base64url'),
          },
          format: 'jwk',
        })
      : createPublicKey(entry.public_key)
  }

  it.each([
    ['ed25519', 'ed25519', /^[A-Za-z0-9+/]{43}=$/],
    ['ecdsa-p256', 'P-256', /^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/],
  ])(
    'creates a %s key whose read shows its public key and nothing private',
    async (type, curve, shape) => {
      const { ok } = setup()
      const body = await ok('update', 'keys/s', { type })
      expect(body).toMatchObject({
        type,
        supports_signing: true,
        supports_encryption: false,
        supports_decryption: false,
        supports_derivation: type === 'ed25519',
        latest_version: 1,
      })
      const entry = (body.keys as Record<string, Record<string, unknown>>)['1']!
      expect(Object.keys(entry).sort()).toEqual([
        'certificate_chain',
        'creation_time',
        'name',
        'public_key',
      ])
      expect(entry.name).toBe(curve)
      expect(entry.public_key).toMatch(shape)
      expect(entry.creation_time).toBe('2023-11-14T22:13:20Z')
      expect(await ok('read', 'keys/s')).toEqual(body)
    },
  )

  it('signs with ed25519 over the raw input; the public key verifies it, tampering does not', async () => {
    const { ok } = setup()
    const body = await ok('update', 'keys/e', { type: 'ed25519' })
    const input = b64('sign me')
    const { signature, key_version } = await ok('update', 'sign/e', { input })
    expect(key_version).toBe(1)
    expect(signature).toMatch(/^vault:v1:[A-Za-z0-9+/]+={0,2}$/)
    const raw = Buffer.from((signature as string).slice(9), 'base64')
    expect(verify(null, Buffer.from('sign me'), publicKeyOf(body), raw)).toBe(true)
    expect(await ok('update', 'verify/e', { input, signature })).toEqual({ valid: true })
    expect(await ok('update', 'verify/e', { input: b64('other'), signature })).toEqual({
      valid: false,
    })
    const jws = (await ok('update', 'sign/e', { input, marshaling_algorithm: 'jws' })).signature
    expect(jws).toMatch(/^vault:v1:[A-Za-z0-9_-]+$/)
    expect(
      await ok('update', 'verify/e', { input, signature: jws, marshaling_algorithm: 'jws' }),
    ).toEqual({ valid: true })
  })

  it('signs with ECDSA P-256 over the hash of the input, in ASN.1 or JWS form', async () => {
    const { ok } = setup()
    const body = await ok('update', 'keys/p', { type: 'ecdsa-p256' })
    const input = b64('sign me')
    const data = Buffer.from('sign me')
    const der = (await ok('update', 'sign/p', { input })).signature as string
    expect(verify('sha256', data, publicKeyOf(body), Buffer.from(der.slice(9), 'base64'))).toBe(
      true,
    )
    const sha384 = (await ok('update', 'sign/p/sha2-384', { input })).signature as string
    expect(verify('sha384', data, publicKeyOf(body), Buffer.from(sha384.slice(9), 'base64'))).toBe(
      true,
    )
    expect(await ok('update', 'verify/p/sha2-384', { input, signature: sha384 })).toEqual({
      valid: true,
    })
    expect(await ok('update', 'verify/p', { input, signature: sha384 })).toEqual({ valid: false })
    const jws = (await ok('update', 'sign/p', { input, marshaling_algorithm: 'jws' }))
      .signature as string
    const rs = Buffer.from(jws.slice(9), 'base64url')
    expect(rs).toHaveLength(64)
    const key = { key: publicKeyOf(body), dsaEncoding: 'ieee-p1363' } as const
    expect(verify('sha256', data, key, rs)).toBe(true)
  })

  it('keeps old versions verifiable after a rotation until min_decryption_version passes them', async () => {
    const { ok, fail } = setup()
    await ok('update', 'keys/r', { type: 'ed25519' })
    const input = b64('x')
    const old = (await ok('update', 'sign/r', { input })).signature
    const rotated = await ok('update', 'keys/r/rotate')
    expect(rotated.latest_version).toBe(2)
    expect(Object.keys(rotated.keys as object)).toEqual(['1', '2'])
    expect((await ok('update', 'sign/r', { input })).signature).toMatch(/^vault:v2:/)
    expect((await ok('update', 'sign/r', { input, key_version: 1 })).signature).toMatch(
      /^vault:v1:/,
    )
    expect(await ok('update', 'verify/r', { input, signature: old })).toEqual({ valid: true })
    await ok('update', 'keys/r/config', { min_decryption_version: 2 })
    expect((await fail('update', 'verify/r', { input, signature: old })).errors).toEqual([
      'ciphertext or signature version is disallowed by policy (too old)',
    ])
  })

  it.each([
    [{ signature: 'v1:abc' }, 'invalid signature: no prefix'],
    [{ signature: 'vault:v1' }, 'invalid signature: wrong number of fields'],
    [{ signature: 'vault:vx:abc' }, 'invalid signature: version number could not be decoded'],
    [{ signature: 'vault:v9:abc' }, 'invalid signature: version is too new'],
    [{ signature: 'vault:v1:!!' }, 'invalid base64 signature value'],
    [{ signature: `vault:v1:${b64('not der')}` }, 'supplied signature is invalid'],
    [{ signature: 'vault:v1:MAYCAQECAQEA' }, 'supplied signature contains extra data'],
    [{ signature: 'vault:v1:AA==', hash_algorithm: 'md5' }, 'invalid hash algorithm "md5"'],
    [{ signature: 'vault:v1:AA==', marshaling_algorithm: 'pem' }, 'invalid marshaling type "pem"'],
  ])('refuses to verify %j with a 400', async (extra, message) => {
    const { ok, fail } = setup()
    await ok('update', 'keys/p', { type: 'ecdsa-p256' })
    const res = await fail('update', 'verify/p', { input: b64('x'), ...extra })
    expect([res.status, res.errors]).toEqual([400, [message]])
  })

  it('refuses encryption with a signing key and signing with a missing one, but computes HMACs', async () => {
    const { ok, fail } = setup()
    await ok('update', 'keys/e', { type: 'ed25519' })
    expect((await fail('update', 'encrypt/e', { plaintext: b64('x') })).errors).toEqual([
      'message encryption not supported for key type ed25519',
    ])
    expect(
      (await fail('update', 'verify/none', { input: b64('x'), signature: 'vault:v1:AA==' })).errors,
    ).toEqual(['signature verification key not found'])
    expect((await fail('update', 'keys/d', { type: 'ecdsa-p256', derived: true })).status).toBe(400)
    const { hmac } = await ok('update', 'hmac/e', { input: b64('x') })
    expect(hmac).toMatch(/^vault:v1:/)
    expect(await ok('update', 'verify/e', { input: b64('x'), hmac })).toEqual({ valid: true })
  })
})
