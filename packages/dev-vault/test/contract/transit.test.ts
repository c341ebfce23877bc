/** @module dev-vault/test/contract/transit.test: the Transit secrets engine (reference §3). */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ACL_DENIED,
  clientFor,
  contractVault,
  failure,
  hcl,
  mountEngine,
  raw,
  tokenWithPolicy,
  uniqueName,
  type ContractVault,
  type VaultFailure,
} from './harness.js'
import { assertSince, GATES, has } from './versions.js'

let vault: ContractVault
let mount: string

const b64 = (s: string): string => Buffer.from(s).toString('base64')

beforeAll(async () => {
  vault = await contractVault()
  mount = await mountEngine(vault, 'transit', { type: 'transit' })
})

afterAll(() => vault?.close())

/** A fresh key (root) with optional create parameters; returns its name. */
async function newKey(params: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName('k')
  await clientFor(vault).write(`${mount}/keys/${name}`, params)
  return name
}

/**
 * A decrypt that failed to authenticate (tampering, another key, another context): a 400 since
 * Vault 1.10; before, the AEAD error was no user error and made a 500 with the same text.
 */
function expectAuthenticationFailure(f: VaultFailure): void {
  if (has(GATES.transitBatchErrors)) {
    expect([f.status, f.body.errors]).toEqual([400, ['cipher: message authentication failed']])
  } else {
    expect(f.status).toBe(500)
    expect(f.body.errors?.[0]).toContain('cipher: message authentication failed')
  }
}

async function encrypt(key: string, text: string, extra: Record<string, unknown> = {}) {
  const res = await clientFor(vault).write(`${mount}/encrypt/${key}`, {
    plaintext: b64(text),
    ...extra,
  })
  return res.data as { ciphertext: string; key_version: number }
}

describe('transit keys', () => {
  it('creates a key (200 + key body; 204 before Vault 1.14), reads it and lists it', async () => {
    const name = uniqueName('k')
    const created = await raw(vault, 'POST', `${mount}/keys/${name}`, { body: {} })
    const read = await clientFor(vault).read(`${mount}/keys/${name}`)
    if (has(GATES.transitKeyResponses)) {
      expect(created.status).toBe(200)
      expect(read.data).toEqual(created.json.data)
    } else {
      expect([created.status, created.text]).toEqual([204, ''])
    }
    expect(read.data).toMatchObject({
      name,
      type: 'aes256-gcm96',
      derived: false,
      exportable: false,
      deletion_allowed: false,
      latest_version: 1,
      min_decryption_version: 1,
      min_encryption_version: 0,
      supports_encryption: true,
      supports_decryption: true,
    })
    expect(Object.keys(read.data.keys)).toEqual(['1'])
    expect(Number.isInteger(read.data.keys['1'])).toBe(true)
    const listed = await clientFor(vault).list(`${mount}/keys`)
    expect(listed.data.keys).toContain(name)
  })

  it('honours derived and exportable, and keeps an existing key (a warning since Vault 1.14)', async () => {
    const name = await newKey({ derived: true, exportable: true })
    const read = await clientFor(vault).read(`${mount}/keys/${name}`)
    expect(read.data).toMatchObject({ derived: true, exportable: true, kdf: 'hkdf_sha256' })
    const again = await raw(vault, 'POST', `${mount}/keys/${name}`, { body: { derived: false } })
    if (has(GATES.transitKeyResponses)) {
      expect(again.status).toBe(200)
      expect(again.json.warnings).toEqual([`key ${name} already existed`])
      expect(again.json.data.derived).toBe(true)
    } else {
      // Vault built the warning but answered nil: a 204 with no body.
      expect([again.status, again.text]).toEqual([204, ''])
    }
    expect((await clientFor(vault).read(`${mount}/keys/${name}`)).data.derived).toBe(true)
  })

  it('refuses bad create parameters (400) and creates nothing', async () => {
    const name = uniqueName('k')
    const bad = await raw(vault, 'POST', `${mount}/keys/${name}`, { body: { type: 'des-56' } })
    expect(bad.status).toBe(400)
    expect(bad.json.errors).toEqual(['unknown key type des-56'])
    const convergent = await raw(vault, 'POST', `${mount}/keys/${name}`, {
      body: { convergent_encryption: true },
    })
    expect(convergent.status).toBe(400)
    expect(convergent.json.errors).toEqual([
      'convergent encryption requires derivation to be enabled',
    ])
    expect((await raw(vault, 'GET', `${mount}/keys/${name}`)).status).toBe(404)
  })

  it('refuses list, config and rotate to a token with read only (403)', async () => {
    const name = await newKey()
    const { token } = await tokenWithPolicy(vault, hcl(`${mount}/keys/${name}`, ['read']))
    expect((await clientFor(vault, token).read(`${mount}/keys/${name}`)).data.name).toBe(name)
    expect((await raw(vault, 'LIST', `${mount}/keys`, { token })).status).toBe(403)
    const config = await raw(vault, 'POST', `${mount}/keys/${name}/config`, {
      token,
      body: { deletion_allowed: true },
    })
    expect([config.status, config.json.errors]).toEqual([403, [ACL_DENIED]])
    const rotate = await raw(vault, 'POST', `${mount}/keys/${name}/rotate`, { token, body: {} })
    expect(rotate.status).toBe(403)
    const read = await clientFor(vault).read(`${mount}/keys/${name}`)
    expect([read.data.latest_version, read.data.deletion_allowed]).toEqual([1, false])
  })

  it('refuses key creation and reads to a token without the capability (403)', async () => {
    const name = await newKey()
    const { token } = await tokenWithPolicy(vault, hcl(`${mount}/keys/*`, ['list']))
    const write = await failure(
      clientFor(vault, token).write(`${mount}/keys/${uniqueName('k')}`, {}),
    )
    expect(write.status).toBe(403)
    expect(write.body.errors).toEqual([ACL_DENIED])
    const read = await failure(clientFor(vault, token).read(`${mount}/keys/${name}`))
    expect(read.status).toBe(403)
  })

  it('rotates: old ciphertext still decrypts until min_decryption_version forbids it', async () => {
    const name = await newKey()
    const v1 = await encrypt(name, 'one')
    const rotated = await raw(vault, 'POST', `${mount}/keys/${name}/rotate`, { body: {} })
    const keyResponses = has(GATES.transitKeyResponses)
    expect(rotated.status).toBe(keyResponses ? 200 : 204)
    if (keyResponses) expect(rotated.json.data.latest_version).toBe(2)
    expect((await clientFor(vault).read(`${mount}/keys/${name}`)).data.latest_version).toBe(2)
    const v2 = await encrypt(name, 'two')
    expect(v2.ciphertext).toMatch(/^vault:v2:/)
    expect(v2.key_version).toBe(2)
    const old = await clientFor(vault).write(`${mount}/decrypt/${name}`, {
      ciphertext: v1.ciphertext,
    })
    expect(old.data.plaintext).toBe(b64('one'))
    const configured = await raw(vault, 'POST', `${mount}/keys/${name}/config`, {
      body: { min_decryption_version: 2 },
    })
    expect(configured.status).toBe(keyResponses ? 200 : 204)
    if (keyResponses) expect(configured.json.data.min_decryption_version).toBe(2)
    const read = await clientFor(vault).read(`${mount}/keys/${name}`)
    expect(read.data.min_decryption_version).toBe(2)
    const tooOld = await failure(
      clientFor(vault).write(`${mount}/decrypt/${name}`, { ciphertext: v1.ciphertext }),
    )
    expect(tooOld.status).toBe(400)
    expect(tooOld.body.errors).toEqual([
      'ciphertext or signature version is disallowed by policy (too old)',
    ])
  })

  it('refuses a bad config (400) and changes nothing', async () => {
    const name = await newKey()
    const bad = await raw(vault, 'POST', `${mount}/keys/${name}/config`, {
      body: { min_decryption_version: 5, deletion_allowed: true },
    })
    expect(bad.status).toBe(400)
    expect(bad.json.errors).toEqual([
      'cannot set min decryption version of 5, latest key version is 1',
    ])
    const read = await clientFor(vault).read(`${mount}/keys/${name}`)
    expect(read.data.deletion_allowed).toBe(false)
    const absent = await raw(vault, 'POST', `${mount}/keys/${uniqueName('k')}/config`, {
      body: { deletion_allowed: true },
    })
    expect(absent.status).toBe(400)
    const rotateAbsent = await raw(vault, 'POST', `${mount}/keys/${uniqueName('k')}/rotate`, {
      body: {},
    })
    expect(rotateAbsent.status).toBe(400)
  })

  it('deletes only when deletion_allowed (400 otherwise, then 204)', async () => {
    const name = await newKey()
    const refused = await raw(vault, 'DELETE', `${mount}/keys/${name}`)
    expect(refused.status).toBe(400)
    expect(refused.json.errors).toEqual([
      `error deleting policy ${name}: deletion is not allowed for this key`,
    ])
    expect((await raw(vault, 'GET', `${mount}/keys/${name}`)).status).toBe(200)
    await clientFor(vault).write(`${mount}/keys/${name}/config`, { deletion_allowed: true })
    const { token } = await tokenWithPolicy(vault, hcl(`${mount}/keys/*`, ['read']))
    expect((await raw(vault, 'DELETE', `${mount}/keys/${name}`, { token })).status).toBe(403)
    const deleted = await raw(vault, 'DELETE', `${mount}/keys/${name}`)
    expect(deleted.status).toBe(204)
    expect((await raw(vault, 'GET', `${mount}/keys/${name}`)).status).toBe(404)
  })
})

describe('transit encrypt and decrypt', () => {
  it('round-trips base64 plaintext through vault:v1: ciphertext', async () => {
    const name = await newKey()
    const { ciphertext, key_version } = await encrypt(name, 'hello world')
    expect(ciphertext).toMatch(/^vault:v1:[A-Za-z0-9+/]+={0,2}$/)
    expect(key_version).toBe(1)
    expect(Buffer.from(ciphertext.slice('vault:v1:'.length), 'base64').length).toBe(12 + 11 + 16)
    const plain = await clientFor(vault).write(`${mount}/decrypt/${name}`, { ciphertext })
    expect(plain.data).toEqual({ plaintext: b64('hello world') })
  })

  it('auto-creates the key on encrypt with create capability, not with update only', async () => {
    const withCreate = await tokenWithPolicy(vault, hcl(`${mount}/encrypt/*`, ['create', 'update']))
    const updateOnly = await tokenWithPolicy(vault, hcl(`${mount}/encrypt/*`, ['update']))
    const denied = uniqueName('auto')
    const f = await failure(
      clientFor(vault, updateOnly.token).write(`${mount}/encrypt/${denied}`, {
        plaintext: b64('x'),
      }),
    )
    expect(f.status).toBe(403)
    expect((await raw(vault, 'GET', `${mount}/keys/${denied}`)).status).toBe(404)
    const auto = uniqueName('auto')
    const res = await clientFor(vault, withCreate.token).write(`${mount}/encrypt/${auto}`, {
      plaintext: b64('x'),
    })
    expect(res.data.ciphertext).toMatch(/^vault:v1:/)
    const key = await clientFor(vault).read(`${mount}/keys/${auto}`)
    expect(key.data.type).toBe('aes256-gcm96')
    const existing = await clientFor(vault, updateOnly.token).write(`${mount}/encrypt/${auto}`, {
      plaintext: b64('y'),
    })
    expect(existing.data.key_version).toBe(1)
  })

  it('fails tampered ciphertext, another key’s ciphertext and malformed input with 400', async () => {
    const a = await newKey()
    const b = await newKey()
    const { ciphertext } = await encrypt(a, 'secret')
    const bytes = Buffer.from(ciphertext.slice(9), 'base64')
    bytes[13] = (bytes[13] as number) ^ 0xff
    const tampered = `vault:v1:${bytes.toString('base64')}`
    for (const [key, ct] of [
      [a, tampered],
      [b, ciphertext],
    ] as const) {
      const f = await failure(clientFor(vault).write(`${mount}/decrypt/${key}`, { ciphertext: ct }))
      expectAuthenticationFailure(f)
    }
    const noPrefix = await failure(
      clientFor(vault).write(`${mount}/decrypt/${a}`, { ciphertext: 'garbage' }),
    )
    expect([noPrefix.status, noPrefix.body.errors]).toEqual([
      400,
      ['invalid ciphertext: no prefix'],
    ])
    const missing = await failure(clientFor(vault).write(`${mount}/decrypt/${a}`, {}))
    expect([missing.status, missing.body.errors]).toEqual([400, ['missing ciphertext to decrypt']])
    const notB64 = await failure(
      clientFor(vault).write(`${mount}/encrypt/${a}`, { plaintext: 'not base64!' }),
    )
    expect(notB64.status).toBe(400)
    const noKey = await failure(
      clientFor(vault).write(`${mount}/decrypt/${uniqueName('none')}`, { ciphertext }),
    )
    expect([noKey.status, noKey.body.errors]).toEqual([400, ['encryption key not found']])
  })

  it('refuses decrypt to a token that may only encrypt (403)', async () => {
    const name = await newKey()
    const { ciphertext } = await encrypt(name, 'x')
    const { token } = await tokenWithPolicy(vault, hcl(`${mount}/encrypt/${name}`, ['update']))
    expect(
      (await clientFor(vault, token).write(`${mount}/encrypt/${name}`, { plaintext: b64('y') }))
        .data.ciphertext,
    ).toMatch(/^vault:v1:/)
    const f = await failure(
      clientFor(vault, token).write(`${mount}/decrypt/${name}`, { ciphertext }),
    )
    expect(f.status).toBe(403)
    expect(f.body.errors).toEqual([ACL_DENIED])
  })

  it('binds derived keys to their context', async () => {
    const name = await newKey({ derived: true })
    const context = b64('tenant-a')
    const { ciphertext } = await encrypt(name, 'scoped', { context })
    const ok = await clientFor(vault).write(`${mount}/decrypt/${name}`, { ciphertext, context })
    expect(ok.data.plaintext).toBe(b64('scoped'))
    const wrong = await failure(
      clientFor(vault).write(`${mount}/decrypt/${name}`, { ciphertext, context: b64('tenant-b') }),
    )
    expectAuthenticationFailure(wrong)
    const none = await failure(clientFor(vault).write(`${mount}/decrypt/${name}`, { ciphertext }))
    expect(none.status).toBe(400)
    expect(none.body.errors?.[0]).toMatch(/^missing 'context' for key derivation/)
  })

  it('answers a batch with a failed item as a raw 400 whose body keeps batch_results', async (ctx) => {
    const name = await newKey()
    const good = await raw(vault, 'POST', `${mount}/encrypt/${name}`, {
      body: { batch_input: [{ plaintext: b64('a'), reference: 'r1' }, { plaintext: b64('b') }] },
    })
    expect(good.status).toBe(200)
    const results = good.json.data.batch_results
    expect(results).toHaveLength(2)
    await assertSince(ctx, GATES.transitReference, () => {
      expect(results[0].reference).toBe('r1')
      expect(results[1].reference).toBe('')
    })
    expect(results[0].ciphertext).toMatch(/^vault:v1:/)
    const mixed = await raw(vault, 'POST', `${mount}/decrypt/${name}`, {
      body: {
        batch_input: [{ ciphertext: results[0].ciphertext }, { ciphertext: 'vault:v1:AAAA' }],
      },
    })
    // Before Vault 1.10 a failed item left the batch a 200 with the error in the item.
    expect(mixed.status).toBe(has(GATES.transitBatchErrors) ? 400 : 200)
    expect(mixed.json.errors).toBeUndefined()
    const items = mixed.json.data.batch_results
    expect(items[0].plaintext).toBe(b64('a'))
    expect(items[0].error).toBeUndefined()
    expect(items[1].plaintext).toBe('')
    expect(typeof items[1].error).toBe('string')
    const empty = await raw(vault, 'POST', `${mount}/encrypt/${name}`, {
      body: { batch_input: [] },
    })
    expect([empty.status, empty.json.errors]).toEqual([400, ['missing batch input to process']])
  })
})

describe('transit rewrap, datakey, hmac', () => {
  it('rewraps old ciphertext to the latest version', async () => {
    const name = await newKey()
    const { ciphertext } = await encrypt(name, 'rewrap me')
    await clientFor(vault).write(`${mount}/keys/${name}/rotate`, {})
    const res = await clientFor(vault).write(`${mount}/rewrap/${name}`, { ciphertext })
    expect(res.data.ciphertext).toMatch(/^vault:v2:/)
    expect(res.data.key_version).toBe(2)
    const plain = await clientFor(vault).write(`${mount}/decrypt/${name}`, {
      ciphertext: res.data.ciphertext,
    })
    expect(plain.data.plaintext).toBe(b64('rewrap me'))
    const { token } = await tokenWithPolicy(vault, hcl(`${mount}/decrypt/${name}`, ['update']))
    expect(
      (await failure(clientFor(vault, token).write(`${mount}/rewrap/${name}`, { ciphertext })))
        .status,
    ).toBe(403)
    const bad = await failure(
      clientFor(vault).write(`${mount}/rewrap/${name}`, { ciphertext: 'x' }),
    )
    expect(bad.status).toBe(400)
  })

  it('rewraps a batch with per-item errors and a 200 (rewrap has no batch status codes)', async () => {
    const name = await newKey()
    const { ciphertext } = await encrypt(name, 'batch rewrap')
    await clientFor(vault).write(`${mount}/keys/${name}/rotate`, {})
    const res = await clientFor(vault).write(`${mount}/rewrap/${name}`, {
      batch_input: [{ ciphertext }, { ciphertext: 'vault:v1:not-base64!' }],
    })
    const [good, failed] = res.data.batch_results
    expect(good.ciphertext).toMatch(/^vault:v2:/)
    expect(good.error ?? '').toBe('')
    expect(typeof failed.error).toBe('string')
    expect(failed.error.length).toBeGreaterThan(0)
    expect(failed.ciphertext ?? '').toBe('')
  })

  it('generates plaintext and wrapped data keys', async () => {
    const name = await newKey()
    const pt = await clientFor(vault).write(`${mount}/datakey/plaintext/${name}`, { bits: 128 })
    expect(Buffer.from(pt.data.plaintext, 'base64').length).toBe(16)
    const opened = await clientFor(vault).write(`${mount}/decrypt/${name}`, {
      ciphertext: pt.data.ciphertext,
    })
    expect(opened.data.plaintext).toBe(pt.data.plaintext)
    const wrapped = await clientFor(vault).write(`${mount}/datakey/wrapped/${name}`, {})
    expect(wrapped.data.plaintext).toBeUndefined()
    expect(wrapped.data.ciphertext).toMatch(/^vault:v1:/)
    const bits = await raw(vault, 'POST', `${mount}/datakey/plaintext/${name}`, {
      body: { bits: 100 },
    })
    expect([bits.status, bits.json.errors]).toEqual([400, ['invalid bit length']])
    const kind = await raw(vault, 'POST', `${mount}/datakey/other/${name}`, { body: {} })
    expect([kind.status, kind.json.errors]).toEqual([
      400,
      ["Invalid path, must be 'plaintext' or 'wrapped'"],
    ])
    const { token } = await tokenWithPolicy(vault, hcl(`${mount}/datakey/wrapped/*`, ['update']))
    expect(
      (await raw(vault, 'POST', `${mount}/datakey/plaintext/${name}`, { token, body: {} })).status,
    ).toBe(403)
  })

  it('computes HMACs and verifies them (mismatch is 200 valid:false)', async () => {
    const name = await newKey()
    const input = b64('message')
    const res = await clientFor(vault).write(`${mount}/hmac/${name}`, { input })
    expect(res.data.hmac).toMatch(/^vault:v1:/)
    const sha512 = await clientFor(vault).write(`${mount}/hmac/${name}/sha2-512`, { input })
    expect(sha512.data.hmac).not.toBe(res.data.hmac)
    const valid = await clientFor(vault).write(`${mount}/verify/${name}`, {
      input,
      hmac: res.data.hmac,
    })
    expect(valid.data).toEqual({ valid: true })
    const invalid = await clientFor(vault).write(`${mount}/verify/${name}`, {
      input: b64('other'),
      hmac: res.data.hmac,
    })
    expect(invalid.data).toEqual({ valid: false })
    const noHmac = await raw(vault, 'POST', `${mount}/verify/${name}`, { body: { input } })
    expect(noHmac.status).toBe(400)
    const verifier = await tokenWithPolicy(vault, hcl(`${mount}/hmac/*`, ['update']))
    const deniedVerify = await raw(vault, 'POST', `${mount}/verify/${name}`, {
      token: verifier.token,
      body: { input, hmac: res.data.hmac },
    })
    expect(deniedVerify.status).toBe(403)
    const missing = await raw(vault, 'POST', `${mount}/hmac/${name}`, { body: {} })
    expect([missing.status, missing.json.errors]).toEqual([400, ['missing input for HMAC']])
    const { token } = await tokenWithPolicy(vault, hcl(`${mount}/verify/*`, ['update']))
    expect(
      (await raw(vault, 'POST', `${mount}/hmac/${name}`, { token, body: { input } })).status,
    ).toBe(403)
  })

  it('answers unknown paths with 404 and unsupported operations with 405', async () => {
    expect((await raw(vault, 'GET', `${mount}/no-such-path/x`)).status).toBe(404)
    expect((await raw(vault, 'GET', `${mount}/keys`)).status).toBe(405)
  })
})

describe('transit signing keys (ed25519, ecdsa-p256)', () => {
  type KeyBody = { type: string; keys: Record<string, { public_key: string }> }

  /** The public key of a version, from nothing but the key's read body. */
  const publicKeyOf = (body: KeyBody, version = '1') => {
    const published = body.keys[version]!.public_key
    if (body.type !== 'ed25519') return createPublicKey(published)
    const x = Buffer.from(published, 'base64').toString('base64url')
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' })
  }
  const sign = async (name: string, input: string, extra: Record<string, unknown> = {}) =>
    (await clientFor(vault).write(`${mount}/sign/${name}`, { input, ...extra })).data as {
      signature: string
      key_version: number
    }
  const verifySig = async (name: string, body: Record<string, unknown>) =>
    (await clientFor(vault).write(`${mount}/verify/${name}`, body)).data as { valid: boolean }

  it.each([
    ['ed25519', 'ed25519'],
    ['ecdsa-p256', 'P-256'],
  ])('creates a %s key whose read shows a public key and no private one', async (type, curve) => {
    const name = await newKey({ type })
    const read = await clientFor(vault).read(`${mount}/keys/${name}`)
    expect(read.data).toMatchObject({
      type,
      latest_version: 1,
      supports_signing: true,
      supports_encryption: false,
      supports_decryption: false,
    })
    const entry = read.data.keys['1']
    expect(entry.name).toBe(curve)
    expect(Number.isNaN(Date.parse(entry.creation_time))).toBe(false)
    const key = publicKeyOf(read.data)
    expect(key.asymmetricKeyType).toBe(type === 'ed25519' ? 'ed25519' : 'ec')
    expect(JSON.stringify(read.data)).not.toMatch(/PRIVATE/)
  })

  it('signs with ed25519 over the input itself; the published key verifies it outside Vault', async () => {
    const name = await newKey({ type: 'ed25519' })
    const body = (await clientFor(vault).read(`${mount}/keys/${name}`)).data as KeyBody
    const signed = await sign(name, b64('sign me'))
    expect(signed.key_version).toBe(1)
    expect(signed.signature).toMatch(/^vault:v1:[A-Za-z0-9+/]+={0,2}$/)
    const raw64 = Buffer.from(signed.signature.slice('vault:v1:'.length), 'base64')
    expect(cryptoVerify(null, Buffer.from('sign me'), publicKeyOf(body), raw64)).toBe(true)
    expect(await verifySig(name, { input: b64('sign me'), signature: signed.signature })).toEqual({
      valid: true,
    })
    expect(await verifySig(name, { input: b64('other'), signature: signed.signature })).toEqual({
      valid: false,
    })
  })

  it('signs with ECDSA P-256 over the hash of the input, ASN.1 or JWS, verifiable outside Vault', async () => {
    const name = await newKey({ type: 'ecdsa-p256' })
    const body = (await clientFor(vault).read(`${mount}/keys/${name}`)).data as KeyBody
    const data = Buffer.from('sign me')
    const der = await sign(name, b64('sign me'))
    const derBytes = Buffer.from(der.signature.slice('vault:v1:'.length), 'base64')
    expect(cryptoVerify('sha256', data, publicKeyOf(body), derBytes)).toBe(true)
    const sha384 = await sign(name, b64('sign me'), { hash_algorithm: 'sha2-384' })
    const sha384Bytes = Buffer.from(sha384.signature.slice('vault:v1:'.length), 'base64')
    expect(cryptoVerify('sha384', data, publicKeyOf(body), sha384Bytes)).toBe(true)
    expect(
      await verifySig(name, {
        input: b64('sign me'),
        signature: sha384.signature,
        hash_algorithm: 'sha2-384',
      }),
    ).toEqual({ valid: true })
    // The same signature checked against the sha2-256 hash does not verify.
    expect(await verifySig(name, { input: b64('sign me'), signature: sha384.signature })).toEqual({
      valid: false,
    })
    const jws = await sign(name, b64('sign me'), { marshaling_algorithm: 'jws' })
    expect(jws.signature).toMatch(/^vault:v1:[A-Za-z0-9_-]+$/)
    const rs = Buffer.from(jws.signature.slice('vault:v1:'.length), 'base64url')
    expect(rs).toHaveLength(64)
    const p1363 = { key: publicKeyOf(body), dsaEncoding: 'ieee-p1363' as const }
    expect(cryptoVerify('sha256', data, p1363, rs)).toBe(true)
    expect(
      await verifySig(name, {
        input: b64('sign me'),
        signature: jws.signature,
        marshaling_algorithm: 'jws',
      }),
    ).toEqual({ valid: true })
  })

  it('rotates a signing key: v2 signs, v1 signatures verify until min_decryption_version', async () => {
    const name = await newKey({ type: 'ed25519' })
    const input = b64('x')
    const old = await sign(name, input)
    const rotated = await raw(vault, 'POST', `${mount}/keys/${name}/rotate`, { body: {} })
    expect(rotated.status).toBe(has(GATES.transitKeyResponses) ? 200 : 204)
    const read = await clientFor(vault).read(`${mount}/keys/${name}`)
    expect(read.data.latest_version).toBe(2)
    expect(Object.keys(read.data.keys).sort()).toEqual(['1', '2'])
    expect(read.data.keys['2'].public_key).not.toBe(read.data.keys['1'].public_key)
    const fresh = await sign(name, input)
    expect([fresh.key_version, fresh.signature.slice(0, 9)]).toEqual([2, 'vault:v2:'])
    expect(await verifySig(name, { input, signature: old.signature })).toEqual({ valid: true })
    await clientFor(vault).write(`${mount}/keys/${name}/config`, { min_decryption_version: 2 })
    const tooOld = await raw(vault, 'POST', `${mount}/verify/${name}`, {
      body: { input, signature: old.signature },
    })
    expect([tooOld.status, tooOld.json.errors]).toEqual([
      400,
      ['ciphertext or signature version is disallowed by policy (too old)'],
    ])
  })

  it.each([
    ['no prefix', 'v1:abc', 'invalid signature: no prefix'],
    ['a version that is too new', 'vault:v9:abc', 'invalid signature: version is too new'],
    ['bad base64', 'vault:v1:!!', 'invalid base64 signature value'],
  ])('refuses a signature with %s (400) and nothing else changes', async (_what, sig, msg) => {
    const name = await newKey({ type: 'ecdsa-p256' })
    const res = await raw(vault, 'POST', `${mount}/verify/${name}`, {
      body: { input: b64('x'), signature: sig },
    })
    expect([res.status, res.json.errors]).toEqual([400, [msg]])
  })

  it('refuses signing with a symmetric or missing key and encryption with a signing key (400)', async () => {
    const symmetric = await newKey()
    const signWithAes = await raw(vault, 'POST', `${mount}/sign/${symmetric}`, {
      body: { input: b64('x') },
    })
    expect([signWithAes.status, signWithAes.json.errors]).toEqual([
      400,
      ['key type aes256-gcm96 does not support signing'],
    ])
    const missing = await raw(vault, 'POST', `${mount}/sign/${uniqueName('k')}`, {
      body: { input: b64('x') },
    })
    expect(missing.status).toBe(400)
    const ed = await newKey({ type: 'ed25519' })
    const enc = await raw(vault, 'POST', `${mount}/encrypt/${ed}`, {
      body: { plaintext: b64('x') },
    })
    expect([enc.status, enc.json.errors]).toEqual([
      400,
      ['message encryption not supported for key type ed25519'],
    ])
  })

  it('computes and verifies HMACs with a signing key (every key type has an HMAC key)', async () => {
    const name = await newKey({ type: 'ecdsa-p256' })
    const { hmac } = (await clientFor(vault).write(`${mount}/hmac/${name}`, { input: b64('m') }))
      .data as { hmac: string }
    expect(hmac).toMatch(/^vault:v1:/)
    expect(await verifySig(name, { input: b64('m'), hmac })).toEqual({ valid: true })
  })

  it('needs update on sign/<name> to sign and on verify/<name> to verify (403 otherwise)', async () => {
    const name = await newKey({ type: 'ed25519' })
    const { signature } = await sign(name, b64('x'))
    const reader = await tokenWithPolicy(vault, hcl(`${mount}/keys/${name}`, ['read']))
    const denied = await raw(vault, 'POST', `${mount}/sign/${name}`, {
      token: reader.token,
      body: { input: b64('x') },
    })
    expect([denied.status, denied.json.errors]).toEqual([403, [ACL_DENIED]])
    const signer = await tokenWithPolicy(vault, hcl(`${mount}/sign/${name}`, ['update']))
    const signed = await raw(vault, 'POST', `${mount}/sign/${name}`, {
      token: signer.token,
      body: { input: b64('x') },
    })
    expect(signed.status).toBe(200)
    const verifyDenied = await raw(vault, 'POST', `${mount}/verify/${name}`, {
      token: signer.token,
      body: { input: b64('x'), signature },
    })
    expect(verifyDenied.status).toBe(403)
  })
})

describe('transit: the calls an agent key operation makes', () => {
  it.each([
    ['aes128-gcm96', true],
    ['chacha20-poly1305', true],
    ['ed25519', false],
  ])('creates a %s key with type in the body; its read shows the type', async (type, encrypts) => {
    const name = await newKey({ type })
    const read = await clientFor(vault).read(`${mount}/keys/${name}`)
    expect(read.data).toMatchObject({
      type,
      latest_version: 1,
      min_decryption_version: 1,
      supports_encryption: encrypts,
      supports_signing: !encrypts,
      exportable: false,
    })
  })

  it('lists key names with GET ?list=true, as LIST does; a mount without keys is 404 []', async () => {
    const names = [await newKey(), await newKey({ type: 'ed25519' })]
    const listed = await raw(vault, 'GET', `${mount}/keys?list=true`)
    expect(listed.status).toBe(200)
    expect(listed.json.data.keys).toEqual(expect.arrayContaining(names))
    expect(listed.json.data.keys).toEqual((await clientFor(vault).list(`${mount}/keys`)).data.keys)
    const empty = await mountEngine(vault, 'transit-none', { type: 'transit' })
    const none = await raw(vault, 'GET', `${empty}/keys?list=true`)
    expect([none.status, none.json.errors]).toEqual([404, []])
  })

  it('rotates with an empty body; a missing key is 400 "key not found"', async () => {
    const name = await newKey({ type: 'ecdsa-p256' })
    const rotated = await raw(vault, 'POST', `${mount}/keys/${name}/rotate`, { body: {} })
    expect(rotated.status).toBe(has(GATES.transitKeyResponses) ? 200 : 204)
    if (has(GATES.transitKeyResponses)) {
      expect(rotated.json.data).toMatchObject({ type: 'ecdsa-p256', latest_version: 2 })
    }
    const missing = await raw(vault, 'POST', `${mount}/keys/${uniqueName('k')}/rotate`, {
      body: {},
    })
    expect([missing.status, missing.json.errors]).toEqual([400, ['key not found']])
  })

  it('takes the HMAC algorithm and key_version in the body, and verify takes the algorithm', async () => {
    const name = await newKey()
    await raw(vault, 'POST', `${mount}/keys/${name}/rotate`, { body: {} })
    const input = b64('m')
    const inUrl = await clientFor(vault).write(`${mount}/hmac/${name}/sha2-512`, { input })
    const inBody = await clientFor(vault).write(`${mount}/hmac/${name}`, {
      input,
      algorithm: 'sha2-512',
    })
    expect(inBody.data.hmac).toBe(inUrl.data.hmac)
    expect(inBody.data.hmac).toMatch(/^vault:v2:/)
    const v1 = await clientFor(vault).write(`${mount}/hmac/${name}`, { input, key_version: 1 })
    expect(v1.data.hmac).toMatch(/^vault:v1:/)
    const verify = (body: Record<string, unknown>) =>
      clientFor(vault).write(`${mount}/verify/${name}`, { input, ...body })
    expect((await verify({ hmac: inBody.data.hmac, algorithm: 'sha2-512' })).data).toEqual({
      valid: true,
    })
    expect((await verify({ hmac: inBody.data.hmac })).data).toEqual({ valid: false })
    expect((await verify({ hmac: v1.data.hmac })).data).toEqual({ valid: true })
    const tooNew = await raw(vault, 'POST', `${mount}/hmac/${name}`, {
      body: { input, key_version: 9 },
    })
    expect(tooNew.status).toBe(400)
    const badAlgorithm = await raw(vault, 'POST', `${mount}/hmac/${name}`, {
      body: { input, algorithm: 'md5' },
    })
    expect(badAlgorithm.status).toBe(400)
    const missingKey = await raw(vault, 'POST', `${mount}/hmac/${uniqueName('k')}`, {
      body: { input },
    })
    expect(missingKey.status).toBe(400)
  })

  it('signs with an older key_version; a version newer than the key is 400', async () => {
    const name = await newKey({ type: 'ed25519' })
    await raw(vault, 'POST', `${mount}/keys/${name}/rotate`, { body: {} })
    const input = b64('m')
    const v1 = await clientFor(vault).write(`${mount}/sign/${name}`, { input, key_version: 1 })
    expect([v1.data.key_version, v1.data.signature.slice(0, 9)]).toEqual([1, 'vault:v1:'])
    const checked = await clientFor(vault).write(`${mount}/verify/${name}`, {
      input,
      signature: v1.data.signature,
    })
    expect(checked.data).toEqual({ valid: true })
    const tooNew = await raw(vault, 'POST', `${mount}/sign/${name}`, {
      body: { input, key_version: 3 },
    })
    expect(tooNew.status).toBe(400)
  })
})

describe('transit: what a missing key and a missing mount answer', () => {
  it('answers a read of a missing key with 404 and an empty error list', async () => {
    const res = await raw(vault, 'GET', `${mount}/keys/${uniqueName('k')}`)
    expect([res.status, res.json.errors]).toEqual([404, []])
  })

  it('answers a list of a mount without keys with 404 and an empty error list', async () => {
    const empty = await mountEngine(vault, 'transit-empty', { type: 'transit' })
    const res = await raw(vault, 'LIST', `${empty}/keys`)
    expect([res.status, res.json.errors]).toEqual([404, []])
  })

  it('answers any Transit path where nothing is mounted with 404 and an error, also under a policy that covers it', async () => {
    const nowhere = uniqueName('nomount')
    const { token } = await tokenWithPolicy(
      vault,
      hcl(`${nowhere}/*`, ['create', 'read', 'update', 'list']),
    )
    for (const t of [undefined, token]) {
      for (const [method, path] of [
        ['POST', `${nowhere}/encrypt/k`],
        ['POST', `${nowhere}/sign/k`],
        ['GET', `${nowhere}/keys/k`],
        ['LIST', `${nowhere}/keys`],
      ] as const) {
        const body = method === 'POST' ? { body: {} } : {}
        const res = await raw(vault, method, path, { ...(t ? { token: t } : {}), ...body })
        expect([method, path, res.status]).toEqual([method, path, 404])
        expect((res.json.errors ?? []).length).toBeGreaterThan(0)
      }
    }
  })
})
