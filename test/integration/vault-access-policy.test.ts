/**
 * @module test/integration/vault-access-policy: the policy `gen-policy` prints is sufficient and
 * tight. Applied in Vault, with child tokens on, every bridge operation for alice passes under
 * it, and every Vault operation on bob's paths and keys made with alice's token is denied by
 * Vault itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppError } from '../../src/core/errors.js'
import type { CallContext } from '../../src/core/identity.js'
import { OPERATIONS, type AnyOperation } from '../../src/core/operations.js'
import { resolveFolderPath, resolveSecretPath, transitKeyName } from '../../src/core/paths.js'
import type { VaultSession } from '../../src/core/ports.js'
import { uniqueName } from '@vault-mcp-bridge/dev-vault/testing'
import { principal, startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

let stack: VaultStack
let alice: string
let bob: string

beforeAll(async () => {
  stack = await startVaultStack({ childTokens: true })
  alice = stack.agent('alice')
  bob = stack.agent('bob')
  await stack.provision(alice, bob)
})
afterAll(async () => {
  await stack?.close()
})

const ctx = (agent: string): CallContext => ({
  principal: principal(agent),
  requestId: uniqueName('req'),
  // Where request_secret's link points (the stack's bridge listens on loopback).
  origin: 'http://127.0.0.1:1',
})

/** The operations that need a Transit mount. */
const TRANSIT_OPERATIONS = [
  'encrypt',
  'decrypt',
  'rewrap',
  'generate_data_key',
  'create_transit_key',
  'list_transit_keys',
  'read_transit_key',
  'rotate_transit_key',
  'generate_hmac',
  'verify_hmac',
  'sign',
  'verify_signature',
]

const op = (name: string): AnyOperation => OPERATIONS.find((o) => o.name === name)!

describe('the generated agent policy', () => {
  it('lets every bridge operation of alice pass under her child tokens', async () => {
    expect(stack.config.childToken.enabled).toBe(true)
    if (!stack.vault.real) expect(stack.transit).toBe(true)
    const ran = new Set<string>()
    const run = async (name: string, input: unknown) => {
      const out = (await stack.runner.run(op(name), ctx(alice), input)) as Record<string, unknown>
      ran.add(name)
      return out
    }
    await run('write_secret', { path: 'app/db', data: { user: 'u' } })
    await run('write_secret', { path: 'app/db', data: { user: 'v' }, cas: 1 })
    // A refused check-and-set makes the session read metadata once more: still within uses.
    const cas = await stack.runner
      .run(op('write_secret'), ctx(alice), { path: 'app/db', data: { x: 1 }, cas: 1 })
      .catch((e: AppError) => e.code)
    expect(cas).toBe('CAS_MISMATCH')
    await run('patch_secret', { path: 'app/db', data: { pass: 'p' } })
    expect((await run('read_secret', { path: 'app/db' })).data).toEqual({ user: 'v', pass: 'p' })
    await run('read_secret', { path: 'app/db', version: 1 })
    expect((await run('list_secrets', { prefix: '' })).keys).toEqual(['app/'])
    expect((await run('list_secrets', { prefix: '', recursive: true })).keys).toEqual(['app/db'])
    await run('read_secret_metadata', { path: 'app/db' })
    await run('update_secret_metadata', { path: 'app/db', max_versions: 5, cas_required: false })
    await run('delete_secret', { path: 'app/db' })
    await run('delete_secret', { path: 'app/db', versions: [1] })
    await run('undelete_secret', { path: 'app/db', versions: [1] })
    await run('destroy_secret', { path: 'app/db', versions: [2] })
    await run('delete_secret_metadata', { path: 'app/db' })
    await run('whoami', {})
    const asked = await run('request_secret', {
      path: 'app/asked',
      fields: [{ name: 'pw', description: 'A password' }],
    })
    await run('check_secret_request', { request_id: asked.request_id })
    if (stack.transit) {
      const enc = await run('encrypt', { key: 'k', plaintext: 'aGVsbG8=' })
      const ciphertext = enc.ciphertext as string
      expect((await run('decrypt', { key: 'k', ciphertext })).plaintext).toBe('aGVsbG8=')
      await run('rewrap', { key: 'k', ciphertext })
      await run('generate_data_key', { key: 'k', type: 'plaintext' })
      await run('generate_data_key', { key: 'k', type: 'wrapped', bits: 128 })
      await run('encrypt', { key: 'k', batch: [{ plaintext: 'YQ==' }, { plaintext: 'Yg==' }] })
      await run('create_transit_key', { key: 's', type: 'ed25519' })
      expect((await run('list_transit_keys', {})).keys).toEqual(['k', 's'])
      await run('read_transit_key', { key: 's' })
      await run('rotate_transit_key', { key: 's' })
      const { hmac } = await run('generate_hmac', { key: 'k', input: 'aGk=' })
      expect((await run('verify_hmac', { key: 'k', input: 'aGk=', hmac })).valid).toBe(true)
      const { signature } = await run('sign', { key: 's', input: 'aGk=' })
      const verified = await run('verify_signature', { key: 's', input: 'aGk=', signature })
      expect(verified.valid).toBe(true)
    }
    const expected = OPERATIONS.map((o) => o.name).filter(
      (n) => stack.transit || !TRANSIT_OPERATIONS.includes(n),
    )
    expect([...ran].sort()).toEqual([...expected].sort())
    expect(stack.events.filter((e) => e.outcome !== 'ok').map((e) => e.outcome)).toEqual([
      'CAS_MISMATCH',
    ])
  })

  it("denies each Vault operation on bob's paths and keys made with alice's token", async () => {
    // Bob's data exists, so a denial cannot be mistaken for "not found".
    const key = resolveSecretPath(stack.prefix, bob, 'db')
    const transitKey = transitKeyName(stack.prefix, bob, 'k')
    await stack.runner.run(op('write_secret'), ctx(bob), { path: 'db', data: { s: 'bob' } })
    let ciphertext = 'vault:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
    if (stack.transit) {
      const enc = (await stack.runner.run(op('encrypt'), ctx(bob), {
        key: 'k',
        plaintext: 'aGk=',
      })) as { ciphertext: string }
      ciphertext = enc.ciphertext
    }
    const attempts: [string, (v: VaultSession) => Promise<unknown>][] = [
      ['kvRead', (v) => v.kvRead(key)],
      ['kvWrite', (v) => v.kvWrite(key, { s: 'alice' })],
      ['kvWrite (cas)', (v) => v.kvWrite(key, { s: 'alice' }, 1)],
      ['kvPatch', (v) => v.kvPatch(key, { s: 'alice' })],
      ['kvDeleteLatest', (v) => v.kvDeleteLatest(key)],
      ['kvDeleteVersions', (v) => v.kvDeleteVersions(key, [1])],
      ['kvUndelete', (v) => v.kvUndelete(key, [1])],
      ['kvDestroy', (v) => v.kvDestroy(key, [1])],
      ['kvList', (v) => v.kvList(resolveFolderPath(stack.prefix, bob, ''))],
      ['kvReadMetadata', (v) => v.kvReadMetadata(key)],
      ['kvDeleteMetadata', (v) => v.kvDeleteMetadata(key)],
    ]
    if (stack.transit) {
      attempts.push(
        ['transitEncrypt', (v) => v.transitEncrypt(transitKey, [{ plaintext: 'aGk=' }])],
        [
          'transitEncrypt (new key)',
          (v) => v.transitEncrypt(`${transitKey}2`, [{ plaintext: 'aGk=' }]),
        ],
        ['transitDecrypt', (v) => v.transitDecrypt(transitKey, [{ ciphertext }])],
        ['transitRewrap', (v) => v.transitRewrap(transitKey, [{ ciphertext }])],
        ['transitDataKey', (v) => v.transitDataKey(transitKey, { type: 'plaintext', bits: 256 })],
        ['transitCreateKey', (v) => v.transitCreateKey(`${transitKey}3`, 'ed25519')],
        ['transitReadKey', (v) => v.transitReadKey(transitKey)],
        ['transitRotateKey', (v) => v.transitRotateKey(transitKey)],
        ['transitHmac', (v) => v.transitHmac(transitKey, { input: 'aGk=', algorithm: 'sha2-256' })],
        [
          'transitVerifyHmac',
          (v) =>
            v.transitVerifyHmac(transitKey, {
              input: 'aGk=',
              hmac: 'vault:v1:AA==',
              algorithm: 'sha2-256',
            }),
        ],
        ['transitSign', (v) => v.transitSign(transitKey, { input: 'aGk=' })],
        [
          'transitVerifySignature',
          (v) =>
            v.transitVerifySignature(transitKey, { input: 'aGk=', signature: 'vault:v1:AA==' }),
        ],
      )
    }
    const outcomes: Record<string, string> = {}
    for (const [name, fn] of attempts) {
      outcomes[name] = await stack.port.session(ctx(alice), 1, fn).then(
        () => 'ok',
        (e: AppError) => e.code,
      )
    }
    expect(outcomes).toEqual(Object.fromEntries(attempts.map(([name]) => [name, 'FORBIDDEN'])))

    // Nothing of bob's changed.
    const read = (await stack.runner.run(op('read_secret'), ctx(bob), { path: 'db' })) as {
      data: unknown
      metadata: { version: number }
    }
    expect(read).toMatchObject({ data: { s: 'bob' }, metadata: { version: 1 } })
  })
})
