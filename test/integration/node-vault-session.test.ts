/**
 * @module test/integration/node-vault-session.test: the VaultSession port over node-vault against the dev
 * vault (or a real Vault) over HTTP: KV v2 and Transit calls, error mapping from real Vault
 * answers, and request ids for the audit trail.
 */
import nodeVault from 'node-vault'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { uniqueName, vaultForTests, type TestVault } from '@vault-mcp-bridge/dev-vault/testing'
import { AppError } from '../../src/core/errors.js'
import type { VaultSession } from '../../src/core/ports.js'
import { createNodeVaultSession } from '../../src/vault/node-vault-session.js'
import { startVaultProxy } from '../helpers/vault-proxy.js'

let vault: TestVault
let client: nodeVault.client
let session: VaultSession
const trace = { vaultRequestIds: [] as string[] }
const ns = uniqueName('session')
const b64 = (s: string) => Buffer.from(s).toString('base64')

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof AppError ? e.code : `not an AppError: ${String(e)}`),
  )

beforeAll(async () => {
  vault = await vaultForTests()
  client = nodeVault({ endpoint: vault.url, token: vault.rootToken, debug: () => {} })
  try {
    await client.request({ path: '/sys/mounts/transit', method: 'POST', json: { type: 'transit' } })
  } catch {
    // Already mounted.
  }
  session = createNodeVaultSession(client, { kvMount: 'secret', transitMount: 'transit', trace })
})

afterAll(async () => {
  await vault?.close()
})

describe('KV v2', () => {
  it('writes, reads, patches and records Vault request ids', async () => {
    const before = trace.vaultRequestIds.length
    const m1 = await session.kvWrite(`${ns}/a`, { x: 1, y: { z: 2 } })
    expect(m1).toEqual({
      version: 1,
      created_time: expect.any(String),
      deletion_time: '',
      destroyed: false,
      custom_metadata: null,
    })
    const m2 = await session.kvPatch(`${ns}/a`, { y: { z: null, w: 3 } })
    expect(m2.version).toBe(2)
    const read = await session.kvRead(`${ns}/a`)
    expect(read.data).toEqual({ x: 1, y: { w: 3 } })
    expect((await session.kvRead(`${ns}/a`, 1)).data).toEqual({ x: 1, y: { z: 2 } })
    expect(trace.vaultRequestIds.length).toBe(before + 4)
    expect(trace.vaultRequestIds.every((id) => /^[0-9a-f-]{36}$/.test(id))).toBe(true)
  })

  it('maps missing, deleted and destroyed versions from Vault answers', async () => {
    const key = `${ns}/states`
    expect(await codeOf(session.kvRead(key))).toBe('SECRET_NOT_FOUND')
    expect(await codeOf(session.kvPatch(key, { a: 1 }))).toBe('SECRET_NOT_FOUND')
    await session.kvWrite(key, { v: 1 })
    await session.kvWrite(key, { v: 2 })
    await session.kvDeleteLatest(key)
    expect(await codeOf(session.kvRead(key))).toBe('VERSION_DELETED')
    expect(await codeOf(session.kvPatch(key, { a: 1 }))).toBe('VERSION_DELETED')
    await session.kvDestroy(key, [1])
    expect(await codeOf(session.kvRead(key, 1))).toBe('VERSION_DESTROYED')
    await session.kvUndelete(key, [2])
    expect((await session.kvRead(key)).data).toEqual({ v: 2 })
    await session.kvDeleteVersions(key, [2])
    expect(await codeOf(session.kvRead(key, 2))).toBe('VERSION_DELETED')
    const meta = await session.kvReadMetadata(key)
    expect(meta.current_version).toBe(2)
    expect(meta.versions['1']?.destroyed).toBe(true)
    expect(meta.versions['2']?.deletion_time).not.toBe('')
    await session.kvDeleteMetadata(key)
    expect(await codeOf(session.kvReadMetadata(key))).toBe('SECRET_NOT_FOUND')
  })

  it('tells CAS_MISMATCH from other invalid writes without reading Vault text', async () => {
    const key = `${ns}/cas`
    await session.kvWrite(key, { a: 1 }, 0)
    expect(await codeOf(session.kvWrite(key, { a: 2 }, 0))).toBe('CAS_MISMATCH')
    expect(await codeOf(session.kvPatch(key, { a: 2 }, 7))).toBe('CAS_MISMATCH')
    expect((await session.kvWrite(key, { a: 2 }, 1)).version).toBe(2)
    // A 400 that is not about cas stays INVALID_INPUT.
    expect(await codeOf(session.kvUndelete(key, []))).toBe('INVALID_INPUT')
  })

  it('lists folders (missing folder: no keys) and keeps unusual characters in keys', async () => {
    await session.kvWrite(`${ns}/list/a b?c#d%e`, { a: 1 })
    await session.kvWrite(`${ns}/list/sub/x`, { a: 1 })
    expect(await session.kvList(`${ns}/list/`)).toEqual(['a b?c#d%e', 'sub/'])
    expect(await session.kvList(`${ns}/nothing/`)).toEqual([])
    expect((await session.kvRead(`${ns}/list/a b?c#d%e`)).data).toEqual({ a: 1 })
  })

  it('answers FORBIDDEN for a token without rights', async () => {
    const anon = nodeVault({ endpoint: vault.url, token: 'hvs.not-a-real-token', debug: () => {} })
    const denied = createNodeVaultSession(anon, { kvMount: 'secret', transitMount: 'transit' })
    expect(await codeOf(denied.kvRead(`${ns}/a`))).toBe('FORBIDDEN')
  })
})

describe('Transit', () => {
  const key = `${ns.replace(/[^\w.-]/g, '')}--k`

  it('encrypts, decrypts and rewraps single items and batches', async () => {
    const [enc] = await session.transitEncrypt(key, [{ plaintext: b64('hi') }])
    expect(enc).toEqual({
      ok: true,
      value: { ciphertext: expect.stringMatching(/^vault:v1:/), key_version: 1 },
    })
    if (!enc?.ok) throw new Error('unreachable')
    const [dec] = await session.transitDecrypt(key, [{ ciphertext: enc.value.ciphertext }])
    expect(dec).toEqual({ ok: true, value: { plaintext: b64('hi') } })
    const batch = await session.transitDecrypt(key, [
      { ciphertext: enc.value.ciphertext },
      { ciphertext: 'vault:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    ])
    expect(batch[0]).toEqual({ ok: true, value: { plaintext: b64('hi') } })
    expect(batch[1]).toMatchObject({ ok: false, code: 'INVALID_INPUT' })
    // Vault's own item error text is not passed on.
    expect(JSON.stringify(batch[1])).not.toMatch(/cipher:|authentication failed|invalid ciphertext/)
    const [single] = await session.transitDecrypt(key, [{ ciphertext: 'garbage' }])
    expect(single).toMatchObject({ ok: false, code: 'INVALID_INPUT' })
    const [re] = await session.transitRewrap(key, [{ ciphertext: enc.value.ciphertext }])
    expect(re).toMatchObject({ ok: true, value: { key_version: 1 } })
  })

  it('returns a wrapped data key without plaintext, and a plaintext one with it', async () => {
    await session.transitEncrypt(key, [{ plaintext: b64('init') }])
    const wrapped = await session.transitDataKey(key, { type: 'wrapped', bits: 256 })
    expect(wrapped.plaintext).toBeUndefined()
    expect(wrapped.ciphertext).toMatch(/^vault:v1:/)
    const plain = await session.transitDataKey(key, { type: 'plaintext', bits: 512 })
    expect(Buffer.from(plain.plaintext ?? '', 'base64')).toHaveLength(64)
  })

  it('maps a missing key on decrypt to INVALID_INPUT (Vault answers 400)', async () => {
    const [r] = await session.transitDecrypt(`${key}-none`, [
      { ciphertext: 'vault:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    ])
    expect(r).toMatchObject({ ok: false, code: 'INVALID_INPUT' })
    expect(
      await codeOf(session.transitDataKey(`${key}-none`, { type: 'wrapped', bits: 256 })),
    ).toBe('INVALID_INPUT')
  })
})

describe('response-wrapped KV reads', () => {
  it('returns only the wrap_info of a read Vault wrapped', async () => {
    await session.kvWrite(`${ns}/wrapped`, { pw: 'in-the-cubbyhole' })
    const info = await session.kvReadWrapped(`${ns}/wrapped`, 90)
    expect(Object.keys(info).sort()).toEqual(
      ['accessor', 'creation_path', 'creation_time', 'token', 'ttl'].sort(),
    )
    expect(info).toMatchObject({ ttl: 90, creation_path: `secret/data/${ns}/wrapped` })
    expect(JSON.stringify(info)).not.toContain('in-the-cubbyhole')
    const out = await nodeVault({
      endpoint: vault.url,
      token: info.token,
      debug: () => {},
    }).unwrap()
    expect(out.data.data).toEqual({ pw: 'in-the-cubbyhole' })
  })

  it('never sends a wrap TTL Vault would answer unwrapped (0), and fails closed on an unwrapped answer', async () => {
    expect(await codeOf(session.kvReadWrapped(`${ns}/wrapped`, 0))).toBe('INTERNAL')
    expect(await codeOf(session.kvReadWrapped(`${ns}/wrapped`, 1.5))).toBe('INTERNAL')
    // Something between the bridge and Vault (a proxy that drops X-Vault-Wrap-TTL, say) answers
    // with the data: refused, and nothing of the body travels in the error.
    const proxy = await startVaultProxy(vault.url, {
      response: (method, path) =>
        method === 'GET' && path.startsWith('secret/data/')
          ? {
              data: { data: { pw: 'must-not-leak' }, metadata: { version: 1 } },
              wrap_info: null,
            }
          : undefined,
    })
    try {
      const through = createNodeVaultSession(
        nodeVault({ endpoint: proxy.url, token: vault.rootToken, debug: () => {} }),
        { kvMount: 'secret', transitMount: 'transit' },
      )
      const err = await through.kvReadWrapped(`${ns}/wrapped`, 60).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(AppError)
      expect((err as AppError).code).toBe('INTERNAL')
      const seen = JSON.stringify({
        m: (err as AppError).message,
        c: String((err as AppError).cause),
      })
      expect(seen).not.toContain('must-not-leak')
    } finally {
      await proxy.close()
    }
  })
})
