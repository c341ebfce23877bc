/**
 * @module REST Transit routes end to end: encrypt, decrypt, rewrap and datakey (single and
 * batch), their error codes, and agent-scoped keys, in process and over real HTTP.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { transitKeyName } from '../../src/core/paths.js'
import { useRestSuite } from '../helpers/test-app.js'
import { startVaultStack } from '../helpers/vault-stack.js'

const rest = useRestSuite(startVaultStack)

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8')

it('has a transit mount to test against', () => {
  expect(rest.stack.transit).toBe(true)
})

describe.each(['app.request', 'http'] as const)('transit routes over %s', (kind) => {
  const client = () => rest.clients.find((c) => c.kind === kind)!
  let agent: string
  const post = (route: string, body: unknown, extra: object = {}) =>
    client().call('POST', `/transit/${route}`, { agent, body, ...extra })

  beforeAll(() => {
    agent = rest.stack.agent('tr')
  })

  it('encrypts and decrypts, creating the key on first use under the agent-scoped name', async () => {
    const enc = await post('encrypt', { key: 'app', plaintext: b64('hello world') })
    expect(enc.status).toBe(200)
    expect(enc.json.key).toBe('app')
    expect(enc.json.ciphertext).toMatch(/^vault:v1:/)
    expect(enc.json.key_version).toBe(1)
    expect(Object.keys(enc.json).sort()).toEqual(['ciphertext', 'key', 'key_version'])
    expect(enc.text).not.toContain(rest.stack.prefix)

    const dec = await post('decrypt', { key: 'app', ciphertext: enc.json.ciphertext })
    expect(dec.status).toBe(200)
    expect(dec.json).toEqual({ key: 'app', plaintext: b64('hello world') })

    // The Vault key is {prefix}--{agent}--app, not "app".
    const name = transitKeyName(rest.stack.prefix, agent, 'app')
    const key = (await rest.stack.root.read(`transit/keys/${name}`)) as { data: { name: string } }
    expect(key.data.name).toBe(name)
  })

  it('encrypts and decrypts an empty plaintext and a derived-key context', async () => {
    const empty = await post('encrypt', { key: 'empty', plaintext: '' })
    expect(empty.status).toBe(200)
    const back = await post('decrypt', { key: 'empty', ciphertext: empty.json.ciphertext })
    expect(back.json.plaintext).toBe('')

    const ctx = b64('tenant-1')
    const enc = await post('encrypt', { key: 'derived', plaintext: b64('x'), context: ctx })
    expect(enc.status).toBe(200)
    const ok = await post('decrypt', {
      key: 'derived',
      ciphertext: enc.json.ciphertext,
      context: ctx,
    })
    expect(unb64(ok.json.plaintext)).toBe('x')
    const wrong = await post('decrypt', {
      key: 'derived',
      ciphertext: enc.json.ciphertext,
      context: b64('tenant-2'),
    })
    expect(wrong.status).toBe(400)
    expect(wrong.json.error.code).toBe('INVALID_INPUT')
  })

  it('handles batches, with a per-item error for a bad item', async () => {
    const enc = await post('encrypt', {
      key: 'batch',
      batch: [{ plaintext: b64('one') }, { plaintext: b64('two') }],
    })
    expect(enc.status).toBe(200)
    expect(enc.json.batch).toHaveLength(2)
    const [c1, c2] = enc.json.batch as { ciphertext: string; key_version: number }[]
    expect(c1!.ciphertext).toMatch(/^vault:v1:/)
    expect(c2!.key_version).toBe(1)

    const dec = await post('decrypt', {
      key: 'batch',
      batch: [
        { ciphertext: c1!.ciphertext },
        { ciphertext: 'vault:v1:bm90IGEgY2lwaGVydGV4dA==' },
        { ciphertext: c2!.ciphertext },
      ],
    })
    expect(dec.status).toBe(200)
    expect(dec.json.batch[0]).toEqual({ plaintext: b64('one') })
    expect(dec.json.batch[1].error.code).toBe('INVALID_INPUT')
    expect(typeof dec.json.batch[1].error.message).toBe('string')
    expect(dec.json.batch[2]).toEqual({ plaintext: b64('two') })
  })

  it('rewraps to the latest key version after a rotation', async () => {
    const enc = await post('encrypt', { key: 'rot', plaintext: b64('keep me') })
    const name = transitKeyName(rest.stack.prefix, agent, 'rot')
    await rest.stack.root.write(`transit/keys/${name}/rotate`, {})
    const re = await post('rewrap', { key: 'rot', ciphertext: enc.json.ciphertext })
    expect(re.status).toBe(200)
    expect(re.json.ciphertext).toMatch(/^vault:v2:/)
    expect(re.json.key_version).toBe(2)
    const batch = await post('rewrap', { key: 'rot', batch: [{ ciphertext: enc.json.ciphertext }] })
    expect(batch.json.batch[0].key_version).toBe(2)
    const dec = await post('decrypt', { key: 'rot', ciphertext: re.json.ciphertext })
    expect(unb64(dec.json.plaintext)).toBe('keep me')
  })

  it('makes data keys: wrapped only, or also in the clear', async () => {
    await post('encrypt', { key: 'dk', plaintext: b64('init') })
    const wrapped = await post('datakey', { key: 'dk', type: 'wrapped' })
    expect(wrapped.status).toBe(200)
    expect(wrapped.json.plaintext).toBeUndefined()
    expect(wrapped.json.ciphertext).toMatch(/^vault:v1:/)
    const defaulted = await post('datakey', { key: 'dk' })
    expect(defaulted.json.plaintext).toBeUndefined()

    const plain = await post('datakey', { key: 'dk', type: 'plaintext', bits: 128 })
    expect(plain.status).toBe(200)
    expect(Buffer.from(plain.json.plaintext, 'base64')).toHaveLength(16)
    const dec = await post('decrypt', { key: 'dk', ciphertext: plain.json.ciphertext })
    expect(dec.json.plaintext).toBe(plain.json.plaintext)
  })

  it.each([
    ['encrypt', { key: 'app', plaintext: 'not base64!' }],
    ['encrypt', { key: 'app' }],
    ['encrypt', { key: 'app', plaintext: b64('x'), batch: [{ plaintext: b64('y') }] }],
    ['encrypt', { key: 'app', batch: [] }],
    ['encrypt', { key: 'app', plaintext: b64('x'), extra: 1 }],
    ['encrypt', { key: '../other', plaintext: b64('x') }],
    ['encrypt', { key: 'a/b', plaintext: b64('x') }],
    ['encrypt', { key: 'ends-with-', plaintext: b64('x') }],
    ['encrypt', { plaintext: b64('x') }],
    ['decrypt', { key: 'app', ciphertext: 'garbage' }],
    ['decrypt', { key: 'app', ciphertext: '' }],
    ['decrypt', { key: 'never-created', ciphertext: 'vault:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
    ['rewrap', { key: 'app', ciphertext: 'vault:v1:%%%' }],
    ['datakey', { key: 'app', bits: 100 }],
    ['datakey', { key: 'app', type: 'clear' }],
  ])('%s with bad input %j → 400 INVALID_INPUT', async (route, body) => {
    const res = await post(route, body)
    expect(res.status).toBe(400)
    expect(res.json.error.code).toBe('INVALID_INPUT')
  })

  it('refuses malformed JSON and missing scopes', async () => {
    const bad = await client().call('POST', '/transit/encrypt', { agent, rawBody: '{"key":' })
    expect(bad.status).toBe(400)
    expect(bad.json.error.code).toBe('INVALID_INPUT')
    const noWrite = await post('encrypt', { key: 'app', plaintext: b64('x') }, { scopes: ['read'] })
    expect(noWrite.status).toBe(403)
    expect(noWrite.json.error.code).toBe('FORBIDDEN')
    const noRead = await post(
      'decrypt',
      { key: 'app', ciphertext: 'vault:v1:x' },
      { scopes: ['write'] },
    )
    expect(noRead.status).toBe(403)
  })

  it('never returns Vault text, the envelope or a token', async () => {
    const res = await post('decrypt', { key: 'app', ciphertext: 'vault:v1:AAAA' })
    expect(res.status).toBe(400)
    expect(res.text).not.toMatch(/cipher:|invalid ciphertext|request_id|hv[sb]\./)
    const ok = await post('encrypt', { key: 'app', plaintext: b64('z') })
    expect(ok.text).not.toMatch(/request_id|lease_id|wrap_info|hv[sb]\./)
  })
})
