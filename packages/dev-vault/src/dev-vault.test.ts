/** @module dev-vault/dev-vault.test: dev-vault behaviour that needs a controlled clock (token TTLs). */
import { afterEach, describe, expect, it } from 'vitest'
import { startDevVault, type DevVault } from './dev-vault.js'

let vault: DevVault | undefined

afterEach(async () => {
  await vault?.close()
  vault = undefined
})

async function call(v: DevVault, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${v.url}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, json: text ? JSON.parse(text) : undefined }
}

describe('startDevVault', () => {
  it('uses the given root token and answers on 127.0.0.1', async () => {
    vault = await startDevVault({ rootToken: 'root-for-test' })
    expect(vault.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const look = await call(vault, 'GET', 'auth/token/lookup-self', 'root-for-test')
    expect(look.status).toBe(200)
    expect(look.json.data.policies).toEqual(['root'])
  })

  it('generates an hvs.-style root token when none is given', async () => {
    vault = await startDevVault()
    expect(vault.rootToken).toMatch(/^hvs\.[A-Za-z0-9]{24}$/)
  })

  it('expires tokens by the clock: valid before the TTL, 403 invalid token after', async () => {
    let now = 1_800_000_000_000
    vault = await startDevVault({ rootToken: 'r', clock: () => now })
    const created = await call(vault, 'POST', 'auth/token/create', 'r', {
      ttl: '60s',
      policies: ['default'],
    })
    const token = created.json.auth.client_token as string
    now += 59_000
    const before = await call(vault, 'GET', 'auth/token/lookup-self', token)
    expect(before.status).toBe(200)
    expect(before.json.data.ttl).toBe(1)
    now += 1_000
    const after = await call(vault, 'GET', 'auth/token/lookup-self', token)
    expect(after.status).toBe(403)
    expect(after.json.errors[0]).toContain('invalid token')
  })

  it('refuses renewal past explicit_max_ttl and caps renewals before it', async () => {
    let now = 1_800_000_000_000
    vault = await startDevVault({ rootToken: 'r', clock: () => now })
    const created = await call(vault, 'POST', 'auth/token/create', 'r', {
      ttl: '60s',
      explicit_max_ttl: '100s',
      policies: ['default'],
    })
    const token = created.json.auth.client_token as string
    now += 50_000
    const capped = await call(vault, 'POST', 'auth/token/renew-self', token, { increment: '60s' })
    expect(capped.status).toBe(200)
    expect(capped.json.auth.lease_duration).toBe(50)
    expect(capped.json.warnings.length).toBe(1)
    now += 49_000
    const late = await call(vault, 'POST', 'auth/token/renew-self', token, { increment: '60s' })
    expect(late.json.auth.lease_duration).toBe(1)
    now += 1_000
    const expired = await call(vault, 'POST', 'auth/token/renew-self', token, {})
    expect(expired.status).toBe(403)
  })

  it('stamps KV versions with the clock', async () => {
    const now = Date.UTC(2030, 0, 2, 3, 4, 5, 600)
    vault = await startDevVault({ rootToken: 'r', clock: () => now })
    const w = await call(vault, 'POST', 'secret/data/k', 'r', { data: { a: 1 } })
    expect(w.json.data.created_time).toBe('2030-01-02T03:04:05.6Z')
  })

  it('stops listening on close', async () => {
    const v = await startDevVault()
    await v.close()
    await expect(fetch(`${v.url}/v1/sys/health`)).rejects.toThrow()
  })
})
