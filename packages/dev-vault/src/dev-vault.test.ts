/** @module dev-vault/dev-vault.test: dev-vault behaviour that needs a controlled clock (token TTLs). */
import { afterEach, describe, expect, it } from 'vitest'
import { startDevVault, type DevVault } from './dev-vault.js'

let vault: DevVault | undefined

afterEach(async () => {
  await vault?.close()
  vault = undefined
})

async function call(
  v: DevVault,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${v.url}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': token, 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, json: text ? JSON.parse(text) : undefined }
}

describe('startDevVault', () => {
  it('makes a given root token as -dev-root-token-id does: through auth/token/create', async () => {
    vault = await startDevVault({ rootToken: 'root-for-test' })
    expect(vault.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const look = await call(vault, 'GET', 'auth/token/lookup-self', 'root-for-test')
    expect(look.status).toBe(200)
    expect(look.json.data).toMatchObject({
      id: 'root-for-test',
      path: 'auth/token/create',
      display_name: 'token',
      orphan: true,
      policies: ['root'],
      creation_ttl: 0,
      ttl: 0,
      expire_time: null,
      explicit_max_ttl: 0,
      num_uses: 0,
      renewable: false,
    })
    expect(look.json.data.issue_time).toMatch(/^\d{4}-\d\d-\d\dT/)
    // The same request a user can send gives a token that looks the same.
    const made = await call(vault, 'POST', 'auth/token/create', 'root-for-test', {
      id: 'made-the-same-way',
      policies: ['root'],
      no_parent: true,
      no_default_policy: true,
    })
    expect(made.status).toBe(200)
    const other = await call(vault, 'GET', 'auth/token/lookup-self', 'made-the-same-way')
    // Everything but the values that differ per token (ids, accessor, times) is the same.
    const shape = (data: Record<string, unknown>) => {
      const { id: _id, accessor: _a, creation_time: _c, issue_time: _i, ...rest } = data
      return { ...rest, fields: Object.keys(data).sort() }
    }
    expect(shape(other.json.data)).toEqual(shape(look.json.data))
    const renew = await call(vault, 'POST', 'auth/token/renew-self', 'root-for-test', {})
    expect([renew.status, renew.json.errors]).toEqual([400, ['lease is not renewable']])
  })

  it('generates an hvs.-style root token without a lease when none is given', async () => {
    vault = await startDevVault()
    expect(vault.rootToken).toMatch(/^hvs\.[A-Za-z0-9]{24}$/)
    const look = await call(vault, 'GET', 'auth/token/lookup-self', vault.rootToken)
    expect(look.json.data).toMatchObject({
      path: 'auth/token/root',
      display_name: 'root',
      orphan: true,
      policies: ['root'],
      ttl: 0,
      expire_time: null,
    })
    expect(look.json.data).not.toHaveProperty('issue_time')
    expect(look.json.data).not.toHaveProperty('renewable')
    const renew = await call(vault, 'POST', 'auth/token/renew-self', vault.rootToken, {})
    expect([renew.status, renew.json.errors]).toEqual([400, ['invalid lease ID']])
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

  it('expires wrapping tokens after their wrap TTL (to the millisecond) and drops the response', async () => {
    let now = 1_800_000_000_000
    vault = await startDevVault({ rootToken: 'r', clock: () => now })
    await call(vault, 'POST', 'secret/data/w', 'r', { data: { v: 1 } })
    const wrap = async (ttl: string) =>
      (
        await call(vault as DevVault, 'GET', 'secret/data/w', 'r', undefined, {
          'X-Vault-Wrap-TTL': ttl,
        })
      ).json.wrap_info
    const short = await wrap('1500ms')
    expect(short.ttl).toBe(1)
    const long = await wrap('60')
    const lookup = (t: string) =>
      call(vault as DevVault, 'POST', 'sys/wrapping/lookup', '', { token: t })
    expect((await lookup(short.token)).json.data.creation_ttl).toBe(1.5)
    now += 1_499
    expect((await lookup(short.token)).status).toBe(200)
    now += 1
    expect((await lookup(short.token)).json.errors).toEqual([
      'wrapping token is not valid or does not exist',
    ])
    now += 58_499
    const unwrapped = await call(vault, 'POST', 'sys/wrapping/unwrap', long.token)
    expect(unwrapped.json.data.data).toEqual({ v: 1 })
    const late = await wrap('60')
    now += 60_000
    expect((await call(vault, 'POST', 'sys/wrapping/unwrap', late.token)).status).toBe(400)
  })

  it('renews periodic tokens to the period, up to their explicit max TTL', async () => {
    let now = 1_800_000_000_000
    vault = await startDevVault({ rootToken: 'r', clock: () => now })
    const created = await call(vault, 'POST', 'auth/token/create', 'r', {
      period: '60s',
      explicit_max_ttl: '150s',
      policies: ['default'],
    })
    expect(created.json.auth.lease_duration).toBe(60)
    const token = created.json.auth.client_token as string
    now += 50_000
    const first = await call(vault, 'POST', 'auth/token/renew-self', token, { increment: '1s' })
    expect([first.json.auth.lease_duration, first.json.warnings]).toEqual([60, null])
    now += 50_000
    const capped = await call(vault, 'POST', 'auth/token/renew-self', token, {})
    expect(capped.json.auth.lease_duration).toBe(50)
    expect(capped.json.warnings).toHaveLength(1)
    now += 50_000
    expect((await call(vault, 'GET', 'auth/token/lookup-self', token)).status).toBe(403)
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
