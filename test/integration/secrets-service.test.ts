/**
 * @module test/integration/secrets-service.test: every operation through the runner against the dev vault
 * (or a real Vault) with per-request child tokens, so that each operation's announced number
 * of Vault calls is what Vault enforces; outputs carry exactly their schema's fields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createCountingVaultPort,
  principal,
  startVaultStack,
  type VaultStack,
} from '../helpers/vault-stack.js'
import { AppError } from '../../src/core/errors.js'
import { createSecretsService } from '../../src/core/secrets-service.js'
import type { Scope } from '../../src/core/identity.js'
import {
  checkSecretRequest,
  createTransitKey,
  decrypt,
  deleteSecret,
  deleteSecretMetadata,
  destroySecret,
  encrypt,
  generateDataKey,
  generateHmac,
  listSecrets,
  listTransitKeys,
  OPERATIONS,
  createOperationRunner,
  patchSecret,
  readSecret,
  readSecretMetadata,
  readTransitKey,
  requestSecret,
  rewrap,
  rotateTransitKey,
  sign,
  undeleteSecret,
  updateSecretMetadata,
  verifyHmac,
  verifySignature,
  whoami,
  writeSecret,
  type Operation,
} from '../../src/core/operations.js'

let stack: VaultStack
let agent: string
const b64 = (s: string) => Buffer.from(s).toString('base64')

beforeAll(async () => {
  stack = await startVaultStack({ childTokens: true, listMaxKeys: 50 })
  agent = stack.agent('svc')
  await stack.provision(agent)
})

afterAll(async () => {
  await stack?.close()
})

// `origin`: where request_secret's link points (the stack's bridge listens on loopback).
const run = (op: Operation, input: unknown, scopes?: readonly Scope[]) =>
  stack.runner.run(
    op,
    { principal: principal(agent, scopes), requestId: 'test', origin: 'http://127.0.0.1:1' },
    input,
  )

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof AppError ? e.code : 'not an AppError'),
  )

/** zod strips unknown keys at every depth, so equality means no field beyond the schema. */
const exactly = async (op: Operation, input: unknown) => {
  const out = await run(op, input)
  expect(op.output.parse(out)).toEqual(out)
  return out as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('every operation, with child tokens', () => {
  it('returns exactly the output schema for all operations', async () => {
    const seen = new Set<string>()
    const check = async (op: Operation, input: unknown) => {
      seen.add(op.name)
      return exactly(op, input)
    }
    await check(writeSecret, { path: 'all/a', data: { k: 'v1' } })
    await check(writeSecret, { path: 'all/a', data: { k: 'v2' }, cas: 1 })
    await check(patchSecret, { path: 'all/a', data: { extra: true } })
    expect((await check(readSecret, { path: 'all/a', version: '1' })).data).toEqual({ k: 'v1' })
    await check(listSecrets, { prefix: 'all/', recursive: 'true' })
    await check(readSecretMetadata, { path: 'all/a' })
    await check(updateSecretMetadata, { path: 'all/a', custom_metadata: { o: 'x' } })
    await check(deleteSecret, { path: 'all/a', versions: [1] })
    await check(undeleteSecret, { path: 'all/a', versions: [1] })
    await check(destroySecret, { path: 'all/a', versions: [2] })
    await check(deleteSecret, { path: 'all/a' })
    const enc = await check(encrypt, { key: 'k', plaintext: b64('p') })
    await check(encrypt, { key: 'k', batch: [{ plaintext: b64('q') }] })
    await check(decrypt, { key: 'k', ciphertext: enc.ciphertext })
    await check(decrypt, { key: 'k', batch: [{ ciphertext: enc.ciphertext }, { ciphertext: 'x' }] })
    await check(rewrap, { key: 'k', ciphertext: enc.ciphertext })
    await check(rewrap, { key: 'k', batch: [{ ciphertext: enc.ciphertext }] })
    await check(generateDataKey, { key: 'k', type: 'plaintext' })
    await check(generateDataKey, { key: 'k' })
    await check(createTransitKey, { key: 's', type: 'ecdsa-p256' })
    await check(createTransitKey, { key: 's', type: 'ecdsa-p256' })
    expect((await check(listTransitKeys, {})).keys).toEqual(['k', 's'])
    await check(listTransitKeys, { limit: 1 })
    expect((await check(rotateTransitKey, { key: 's' })).latest_version).toBe(2)
    expect((await check(readTransitKey, { key: 's' })).versions).toHaveLength(2)
    const mac = await check(generateHmac, { key: 's', input: b64('m') })
    await check(verifyHmac, { key: 's', input: b64('m'), hmac: mac.hmac })
    const sig = await check(sign, { key: 's', input: b64('m') })
    await check(verifySignature, { key: 's', input: b64('m'), signature: sig.signature })
    await check(whoami, {})
    const fields = [{ name: 'pw', description: 'A password' }]
    const asked = await check(requestSecret, { path: 'all/asked', fields })
    await check(checkSecretRequest, { request_id: asked.request_id })
    await check(deleteSecretMetadata, { path: 'all/a' })
    expect([...seen].sort()).toEqual(OPERATIONS.map((o) => o.name).sort())
  })

  it('has enough Vault calls for a refused check-and-set to be told apart', async () => {
    // With a one-use token the metadata read after Vault's 400 would be refused, and a CAS
    // mismatch would come back as INVALID_INPUT.
    await run(writeSecret, { path: 'cas/x', data: { a: 1 } })
    expect(await codeOf(run(writeSecret, { path: 'cas/x', data: { a: 2 }, cas: 0 }))).toBe(
      'CAS_MISMATCH',
    )
    expect(await codeOf(run(patchSecret, { path: 'cas/x', data: { a: 2 }, cas: 3 }))).toBe(
      'CAS_MISMATCH',
    )
  })

  it('walks a recursive list within its announced bound', async () => {
    for (const p of ['w/a', 'w/b/c', 'w/b/d/e', 'w/f/g/h/i']) {
      await run(writeSecret, { path: p, data: { p } })
    }
    const out = await exactly(listSecrets, { prefix: 'w', recursive: true })
    expect(out).toEqual({
      prefix: 'w',
      keys: ['a', 'b/c', 'b/d/e', 'f/g/h/i'],
      truncated: false,
    })
  })

  it('marks versions live, deleted and destroyed in metadata', async () => {
    for (let i = 1; i <= 3; i++) await run(writeSecret, { path: 'st', data: { i } })
    await run(deleteSecret, { path: 'st', versions: [1] })
    await run(destroySecret, { path: 'st', versions: [2] })
    const meta = await exactly(readSecretMetadata, { path: 'st' })
    expect(meta.versions.map((v: { state: string }) => v.state)).toEqual([
      'deleted',
      'destroyed',
      'live',
    ])
  })

  it('records Vault request ids and outcomes for the audit trail', async () => {
    const before = stack.events.length
    await run(writeSecret, { path: 'audit/x', data: { a: 1 } })
    await codeOf(run(readSecret, { path: 'audit/none' }))
    const [ok, failed] = stack.events.slice(before)
    expect(ok).toMatchObject({ operation: 'write_secret', outcome: 'ok', target: 'audit/x' })
    expect(ok!.vaultRequestIds.length).toBeGreaterThan(0)
    expect(failed).toMatchObject({ operation: 'read_secret', outcome: 'SECRET_NOT_FOUND' })
    expect(JSON.stringify(stack.events)).not.toContain('"a":1')
  })

  it('made no more Vault calls than announced, in any test above', () => {
    const exceeded = stack.logs.filter(
      (l) => (l.obj as { event?: string }).event === 'child_token_uses_exceeded',
    )
    expect(exceeded).toEqual([])
  })
})

describe('announced Vault-call bounds, counted per HTTP call', () => {
  it('no session makes more calls than it announced, on success and failure paths', async () => {
    const port = createCountingVaultPort({
      url: stack.vault.url,
      token: stack.vault.rootToken,
      kvMount: stack.config.vault.kvMount,
      transitMount: stack.config.vault.transitMount,
    })
    const service = createSecretsService({
      vault: port,
      prefix: stack.prefix,
      listMaxKeys: 3,
      listMaxFolders: 3,
      dataLimits: stack.config.dataLimits,
      mounts: { kv: stack.config.vault.kvMount, transit: stack.config.vault.transitMount },
      childTokens: false,
      wrapTtlMax: stack.config.wrap.maxTtlSeconds,
    })
    const runner = createOperationRunner({ service })
    const me = stack.agent('bounds')
    const go = (op: Operation, input: unknown) =>
      codeOf(runner.run(op, { principal: principal(me), requestId: 'b' }, input))

    expect(await go(writeSecret, { path: 'b/x', data: { a: 1 }, cas: 0 })).toBe('ok')
    expect(await go(writeSecret, { path: 'b/x', data: { a: 1 }, cas: 0 })).toBe('CAS_MISMATCH')
    expect(await go(patchSecret, { path: 'b/x', data: { a: 2 }, cas: 9 })).toBe('CAS_MISMATCH')
    expect(await go(patchSecret, { path: 'b/none', data: { a: 2 }, cas: 0 })).toBe(
      'SECRET_NOT_FOUND',
    )
    expect(await go(patchSecret, { path: 'b/x', data: { a: 3 } })).toBe('ok')
    expect(await go(readSecret, { path: 'b/x' })).toBe('ok')
    expect(await go(readSecret, { path: 'b/x', version: 99 })).toBe('VERSION_NOT_FOUND')
    expect(await go(readSecret, { path: 'b/none', version: 1 })).toBe('SECRET_NOT_FOUND')
    expect(await go(readSecret, { path: 'b/x', wrap_ttl: 60 })).toBe('ok')
    expect(await go(readSecret, { path: 'b/none', wrap_ttl: 60 })).toBe('SECRET_NOT_FOUND')
    expect(await go(readSecretMetadata, { path: 'b/x' })).toBe('ok')
    expect(await go(updateSecretMetadata, { path: 'b/x', max_versions: 4 })).toBe('ok')
    expect(await go(updateSecretMetadata, { path: 'b/none', max_versions: 4 })).toBe(
      'SECRET_NOT_FOUND',
    )
    for (const op of [deleteSecret, deleteSecretMetadata]) {
      expect(await go(op, { path: 'b/none' })).toBe('SECRET_NOT_FOUND')
    }
    for (const op of [undeleteSecret, destroySecret]) {
      expect(await go(op, { path: 'b/none', versions: [1] })).toBe('SECRET_NOT_FOUND')
      expect(await go(op, { path: 'b/x', versions: [1] })).toBe('ok')
    }
    expect(await go(deleteSecret, { path: 'b/x', versions: [2] })).toBe('ok')
    expect(await go(deleteSecret, { path: 'b/x' })).toBe('ok')
    for (const p of ['t/a/b/c/d', 't/e/f/g', 't/h', 't/i/j', 't/k/l']) {
      await go(writeSecret, { path: p, data: { p } })
    }
    expect(await go(listSecrets, { prefix: 't/', recursive: true })).toBe('ok')
    expect(await go(listSecrets, { prefix: 't/a/', recursive: true })).toBe('ok')
    expect(await go(listSecrets, { prefix: '' })).toBe('ok')
    const page = (await runner.run(
      listSecrets,
      { principal: principal(me), requestId: 'p' },
      {
        prefix: 't/',
        recursive: true,
        limit: 2,
      },
    )) as { next_cursor: string }
    const next = { prefix: 't/', recursive: true, cursor: page.next_cursor }
    expect(await go(listSecrets, next)).toBe('ok')
    expect(await go(encrypt, { key: 'k', plaintext: b64('x') })).toBe('ok')
    expect(await go(decrypt, { key: 'k', ciphertext: 'vault:v1:AAAA' })).toBe('INVALID_INPUT')
    expect(await go(rewrap, { key: 'k', batch: [{ ciphertext: 'x' }] })).toBe('ok')
    expect(await go(generateDataKey, { key: 'k' })).toBe('ok')
    expect(await go(createTransitKey, { key: 'e', type: 'ed25519' })).toBe('ok')
    expect(await go(createTransitKey, { key: 'e', type: 'ed25519' })).toBe('ok')
    expect(await go(createTransitKey, { key: 'e' })).toBe('KEY_EXISTS')
    expect(await go(readTransitKey, { key: 'none' })).toBe('KEY_NOT_FOUND')
    expect(await go(rotateTransitKey, { key: 'e' })).toBe('ok')
    expect(await go(rotateTransitKey, { key: 'none' })).toBe('KEY_NOT_FOUND')
    expect(await go(listTransitKeys, { limit: 1 })).toBe('ok')
    expect(await go(generateHmac, { key: 'e', input: b64('x') })).toBe('ok')
    expect(await go(generateHmac, { key: 'none', input: b64('x') })).toBe('KEY_NOT_FOUND')
    const badMac = { key: 'e', input: b64('x'), hmac: 'nope' }
    expect(await go(verifyHmac, badMac)).toBe('INVALID_INPUT')
    expect(await go(sign, { key: 'e', input: b64('x') })).toBe('ok')
    expect(await go(sign, { key: 'k', input: b64('x') })).toBe('INVALID_INPUT')
    expect(await go(sign, { key: 'none', input: b64('x') })).toBe('KEY_NOT_FOUND')
    const badSig = { key: 'e', input: b64('x'), signature: 'vault:v1:AA==' }
    expect(await go(verifySignature, badSig)).toBe('ok')
    expect(await go(verifySignature, { ...badSig, key: 'none' })).toBe('KEY_NOT_FOUND')
    expect(await go(deleteSecretMetadata, { path: 'b/x' })).toBe('ok')

    expect(port.uses.length).toBeGreaterThan(25)
    const over = port.uses.filter((u) => u.used > u.announced)
    expect(over).toEqual([])
    expect(port.uses.every((u) => u.agent === me)).toBe(true)
  })
})
