/** @module entry/secret-entry tests: where a link points, its single use, decline and outcomes. */
import { describe, expect, it } from 'vitest'
import { AppError } from '../core/errors.js'
import type { SecretEntryRequest } from '../core/ports.js'
import { createMemoryNonceStore } from '../signing/nonce-store.js'
import { createMemoryEntryStore, type EntryStore } from './entry-store.js'
import { createSecretEntry } from './secret-entry.js'

const REQUEST: SecretEntryRequest = {
  agent: 'alice',
  method: 'api_key',
  path: 'app/db',
  fields: [{ name: 'password', description: 'The password' }],
  update: false,
  cas: 0,
}

function entry(options: { publicUrl?: string; originFallback?: boolean; store?: EntryStore } = {}) {
  let t = 1_000_000
  const now = () => t
  const made = createSecretEntry({
    key: Buffer.alloc(32, 3),
    ttlMs: 60_000,
    maxOpen: 3,
    nonces: createMemoryNonceStore({ now }),
    store: options.store ?? createMemoryEntryStore({ now }),
    publicUrl: () => options.publicUrl,
    originFallback: options.originFallback ?? false,
    now,
  })
  return { ...made, advance: (ms: number) => void (t += ms) }
}

const tokenOf = (url: string) => new URL(url).pathname.split('/').at(-1)!

describe('createSecretEntry', () => {
  it('points the link at PUBLIC_URL (keeping its path), else at the caller only when allowed', async () => {
    const withPublic = entry({ publicUrl: 'https://bridge.example/vault' })
    const a = await withPublic.issue(REQUEST, 'http://127.0.0.1:1')
    expect(a.url).toMatch(/^https:\/\/bridge\.example\/vault\/secret-entry\/v1\./)
    const local = await entry({ originFallback: true }).issue(REQUEST, 'http://127.0.0.1:9')
    expect(local.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/secret-entry\/v1\./)
    await expect(entry().issue(REQUEST, 'http://attacker.example')).rejects.toMatchObject({
      code: 'FORBIDDEN',
    })
  })

  it('opens a link until it is used; the outcome is kept for its agent only', async () => {
    const e = entry({ originFallback: true })
    const link = await e.issue(REQUEST, 'http://127.0.0.1:9')
    const token = tokenOf(link.url)
    expect(await e.open(token)).toMatchObject({
      ok: true,
      view: { path: 'app/db', agent: 'alice' },
    })
    expect(await e.state(link.id, 'alice')).toMatchObject({ status: 'pending' })
    const done = await e.submit(token, async () => 7)
    expect(done).toMatchObject({ ok: true, version: 7 })
    expect(await e.open(token)).toEqual({ ok: false, reason: 'used' })
    expect(await e.submit(token, async () => 8)).toEqual({ ok: false, reason: 'used' })
    expect(await e.state(link.id, 'alice')).toMatchObject({ status: 'written', version: 7 })
    expect(await e.state(link.id, 'mallory')).toBeUndefined()
  })

  it('records a failed write by its code, and the link is used up', async () => {
    const e = entry({ originFallback: true })
    const link = await e.issue(REQUEST, 'http://127.0.0.1:9')
    const failed = await e.submit(tokenOf(link.url), async () => {
      throw new AppError('CAS_MISMATCH', 'exists')
    })
    expect(failed).toMatchObject({ ok: false, reason: 'failed', code: 'CAS_MISMATCH' })
    expect(await e.state(link.id, 'alice')).toMatchObject({
      status: 'failed',
      error: 'CAS_MISMATCH',
    })
    expect(await e.open(tokenOf(link.url))).toEqual({ ok: false, reason: 'used' })
  })

  it('a declined request cannot be submitted; only its own agent can decline it', async () => {
    const e = entry({ originFallback: true })
    const link = await e.issue(REQUEST, 'http://127.0.0.1:9')
    expect(await e.decline(link.id, 'mallory')).toBe(false)
    expect(await e.decline(link.id, 'alice')).toBe(true)
    expect(await e.decline(link.id, 'alice')).toBe(false)
    expect(await e.submit(tokenOf(link.url), async () => 1)).toEqual({ ok: false, reason: 'used' })
    expect(await e.state(link.id, 'alice')).toMatchObject({ status: 'declined' })
  })

  it('an expired link is refused as expired, naming the agent it was issued to', async () => {
    const e = entry({ originFallback: true })
    const link = await e.issue(REQUEST, 'http://127.0.0.1:9')
    e.advance(60_000)
    const issuer = { agent: 'alice', method: 'api_key' }
    expect(await e.open(tokenOf(link.url))).toEqual({ ok: false, reason: 'expired', issuer })
    let wrote = false
    expect(await e.submit(tokenOf(link.url), async () => ((wrote = true), 1))).toEqual({
      ok: false,
      reason: 'expired',
      issuer,
    })
    expect(wrote).toBe(false)
  })

  it("a write Vault refuses by check-and-set after the link's own write reads as used", async () => {
    const store = createMemoryEntryStore({ now: () => 1_000_000 })
    const e = entry({ originFallback: true, store })
    const link = await e.issue(REQUEST, 'http://127.0.0.1:9')
    const token = tokenOf(link.url)
    let casSeen: number | undefined
    expect(await e.submit(token, async (v) => ((casSeen = v.cas), 1))).toMatchObject({ ok: true })
    expect(casSeen).toBe(0)
    const mismatch = async (): Promise<number> => {
      throw new AppError('CAS_MISMATCH', 'changed')
    }
    // Fresh nonces (a restart) over the same records: Vault refuses, the record stays written.
    const restarted = entry({ originFallback: true, store })
    expect(await restarted.submit(token, mismatch)).toMatchObject({ ok: false, reason: 'used' })
    expect(await e.state(link.id, 'alice')).toMatchObject({ status: 'written', version: 1 })
    // Without a record of its own write (someone else changed the secret), it failed.
    const other = await e.issue(REQUEST, 'http://127.0.0.1:9')
    expect(await e.submit(tokenOf(other.url), mismatch)).toMatchObject({
      ok: false,
      reason: 'failed',
      code: 'CAS_MISMATCH',
    })
    expect(await e.state(other.id, 'alice')).toMatchObject({
      status: 'failed',
      error: 'CAS_MISMATCH',
    })
  })

  it("refuses a request past the agent's cap of open ones until one is used, declined or expired", async () => {
    const e = entry({ originFallback: true })
    const links = []
    for (let i = 0; i < 3; i++) links.push(await e.issue(REQUEST, 'http://127.0.0.1:9'))
    const over = () => e.issue(REQUEST, 'http://127.0.0.1:9')
    await expect(over()).rejects.toMatchObject({ code: 'TOO_MANY_OPEN_REQUESTS' })
    // The refusal says when the oldest link expires (a minute from now), in its message too.
    e.advance(20_500)
    const refused = await over().then(
      () => undefined,
      (err: unknown) => err,
    )
    expect(refused).toBeInstanceOf(AppError)
    expect((refused as AppError).details.retryAfterSeconds).toBe(40)
    expect((refused as AppError).message).toContain('The oldest link expires in 40 seconds')
    // Another agent is not held back by alice's.
    await expect(e.issue({ ...REQUEST, agent: 'bob' }, 'http://127.0.0.1:9')).resolves.toBeDefined()
    expect((await e.submit(tokenOf(links[0]!.url), async () => 1)).ok).toBe(true)
    await over()
    await expect(over()).rejects.toMatchObject({ code: 'TOO_MANY_OPEN_REQUESTS' })
    expect(await e.decline(links[1]!.id, 'alice')).toBe(true)
    await over()
    await expect(over()).rejects.toMatchObject({ code: 'TOO_MANY_OPEN_REQUESTS' })
    e.advance(60_000)
    await over()
  })
})
