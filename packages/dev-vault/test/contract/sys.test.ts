/** @module dev-vault/test/contract/sys.test: sys/health, sys/mounts and sys/auth (reference §1.10, §1.11). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ACL_DENIED,
  authPath,
  clientFor,
  contractVault,
  envelopeKeys,
  failure,
  mountPath,
  raw,
  tokenWithPolicy,
  type ContractVault,
} from './harness.js'
import { assertSince, GATES } from './versions.js'

let vault: ContractVault

beforeAll(async () => {
  vault = await contractVault()
})

afterAll(() => vault?.close())

describe('sys/health', () => {
  it('answers unauthenticated with its own JSON, not the envelope', async () => {
    const r = await raw(vault, 'GET', 'sys/health', { token: null })
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({ initialized: true, sealed: false, standby: false })
    expect(typeof r.json.version).toBe('string')
    expect(typeof r.json.server_time_utc).toBe('number')
    expect(r.json.request_id).toBeUndefined()
    const viaClient = await clientFor(vault).health()
    expect(viaClient.initialized).toBe(true)
  })

  it('HEAD has the status and no body; activecode overrides the status', async () => {
    const head = await raw(vault, 'HEAD', 'sys/health', { token: null })
    expect(head.status).toBe(200)
    expect(head.text).toBe('')
    const custom = await raw(vault, 'GET', 'sys/health?activecode=299', { token: null })
    expect(custom.status).toBe(299)
  })

  it('refuses a code parameter that is not a number (400)', async () => {
    const r = await raw(vault, 'GET', 'sys/health?activecode=abc', { token: null })
    expect(r.status).toBe(400)
  })
})

describe('sys/mounts', () => {
  it('lists mounts with entries in data and copied to the top level', async (ctx) => {
    const r = await raw(vault, 'GET', 'sys/mounts')
    expect(r.status).toBe(200)
    expect(r.json.data['sys/'].type).toBe('system')
    const secret = r.json.data['secret/']
    expect(secret).toMatchObject({
      type: 'kv',
      options: { version: '2' },
      local: false,
      seal_wrap: false,
    })
    expect(secret.accessor).toMatch(/^kv_[0-9a-f]{8}$/)
    expect(r.json['secret/']).toEqual(secret)
    expect(Object.keys(r.json).slice(-envelopeKeys().length)).toEqual(envelopeKeys())
    await assertSince(ctx, GATES.mountType, () => expect(r.json.mount_type).toBe('system'))
  })

  it('enables kv-v2 and transit at any path (204), reads and disables them', async (ctx) => {
    const c = clientFor(vault)
    const kv = mountPath(vault, 'mkv')
    const tr = mountPath(vault, 'mtr')
    const en = await raw(vault, 'POST', `sys/mounts/${kv}`, {
      body: { type: 'kv', options: { version: '2' }, description: 'mine' },
    })
    expect(en.status).toBe(204)
    expect(
      (await raw(vault, 'POST', `sys/mounts/${tr}`, { body: { type: 'transit' } })).status,
    ).toBe(204)
    const list = await c.mounts()
    expect(list.data[`${kv}/`]).toMatchObject({
      type: 'kv',
      description: 'mine',
      options: { version: '2' },
    })
    expect(list.data[`${tr}/`].type).toBe('transit')
    await assertSince(ctx, GATES.sysMountRead, async () => {
      expect((await c.read(`sys/mounts/${kv}`)).data.type).toBe('kv')
    })
    expect((await c.write(`${kv}/data/x`, { data: { a: 1 } })).data.version).toBe(1)
    expect((await raw(vault, 'DELETE', `sys/mounts/${kv}`)).status).toBe(204)
    await c.unmount({ mount_point: tr })
    const after = await c.mounts()
    expect(after.data[`${kv}/`]).toBeUndefined()
    expect(after.data[`${tr}/`]).toBeUndefined()
    expect((await raw(vault, 'DELETE', `sys/mounts/${kv}`)).status).toBe(204)
  })

  it('refuses a path already in use (400) and keeps the existing mount', async () => {
    const c = clientFor(vault)
    const path = mountPath(vault, 'dup')
    await c.mount({ mount_point: path, type: 'kv-v2' })
    await c.write(`${path}/data/keep`, { data: { a: 1 } })
    const f = await failure(c.mount({ mount_point: path, type: 'transit' }))
    expect(f.status).toBe(400)
    expect(f.body.errors?.[0]).toContain('path is already in use at')
    expect((await c.read(`${path}/data/keep`)).data.data).toEqual({ a: 1 })
    await c.unmount({ mount_point: path })
  })

  it('refuses an unknown type and a version option on transit (400), mounting nothing', async () => {
    const path = mountPath(vault, 'badtype')
    const f = await failure(clientFor(vault).mount({ mount_point: path, type: 'no-such-engine' }))
    expect(f.status).toBe(400)
    const v = await failure(
      clientFor(vault).mount({ mount_point: path, type: 'transit', options: { version: '2' } }),
    )
    expect(v.status).toBe(400)
    const list = await clientFor(vault).mounts()
    expect(list.data[`${path}/`]).toBeUndefined()
  })

  it('refuses mount changes and listing to a token without sys/mounts rights (403)', async () => {
    const { token } = await tokenWithPolicy(
      vault,
      'path "secret/data/*" { capabilities = ["read"] }',
    )
    const path = mountPath(vault, 'nope')
    const f = await failure(clientFor(vault, token).mount({ mount_point: path, type: 'kv-v2' }))
    expect(f.status).toBe(403)
    expect(f.body.errors).toEqual([ACL_DENIED])
    expect((await raw(vault, 'GET', 'sys/mounts', { token })).status).toBe(403)
    expect((await clientFor(vault).mounts()).data[`${path}/`]).toBeUndefined()
    await clientFor(vault).mount({ mount_point: path, type: 'kv-v2' })
    expect((await raw(vault, 'DELETE', `sys/mounts/${path}`, { token })).status).toBe(403)
    expect((await clientFor(vault).mounts()).data[`${path}/`]).toBeDefined()
    await clientFor(vault).unmount({ mount_point: path })
  })

  it('lets a token with update on sys/mounts/* enable a mount (no sudo needed)', async () => {
    const path = mountPath(vault, 'nosudo')
    const { token } = await tokenWithPolicy(
      vault,
      'path "sys/mounts/*" { capabilities = ["create", "update", "delete"] }',
    )
    expect(
      (await raw(vault, 'POST', `sys/mounts/${path}`, { token, body: { type: 'kv-v2' } })).status,
    ).toBe(204)
    expect((await raw(vault, 'DELETE', `sys/mounts/${path}`, { token })).status).toBe(204)
  })
})

describe('sys/auth', () => {
  it('lists auth methods with token/ always present (top-level copies too)', async () => {
    const r = await raw(vault, 'GET', 'sys/auth')
    expect(r.status).toBe(200)
    expect(r.json.data['token/'].type).toBe('token')
    expect(r.json['token/'].type).toBe('token')
  })

  it('refuses listing and disabling auth methods to a token without rights (403)', async () => {
    const ap = authPath(vault, 'apkeep')
    await clientFor(vault).enableAuth({ mount_point: ap, type: 'approle' })
    const { token } = await tokenWithPolicy(
      vault,
      'path "secret/data/*" { capabilities = ["read"] }',
    )
    expect((await raw(vault, 'GET', 'sys/auth', { token })).status).toBe(403)
    const f = await failure(clientFor(vault, token).disableAuth({ mount_point: ap }))
    expect(f.status).toBe(403)
    expect((await clientFor(vault).auths()).data[`${ap}/`].type).toBe('approle')
    await clientFor(vault).disableAuth({ mount_point: ap })
  })

  it('enables and disables approle and jwt at any path (204)', async () => {
    const c = clientFor(vault)
    const ap = authPath(vault, 'ap')
    const jwt = authPath(vault, 'jwt')
    expect((await raw(vault, 'POST', `sys/auth/${ap}`, { body: { type: 'approle' } })).status).toBe(
      204,
    )
    await c.enableAuth({ mount_point: jwt, type: 'jwt', description: 'j' })
    const list = await c.auths()
    expect(list.data[`${ap}/`].type).toBe('approle')
    expect(list.data[`${jwt}/`]).toMatchObject({ type: 'jwt', description: 'j' })
    expect(list.data[`${ap}/`].accessor).toMatch(/^auth_approle_[0-9a-f]{8}$/)
    expect((await raw(vault, 'DELETE', `sys/auth/${ap}`)).status).toBe(204)
    await c.disableAuth({ mount_point: jwt })
    const after = await c.auths()
    expect(after.data[`${ap}/`]).toBeUndefined()
    expect(after.data[`${jwt}/`]).toBeUndefined()
  })

  it('refuses a duplicate auth path and an unknown type (400)', async () => {
    const c = clientFor(vault)
    const ap = authPath(vault, 'apdup')
    await c.enableAuth({ mount_point: ap, type: 'approle' })
    const dup = await failure(c.enableAuth({ mount_point: ap, type: 'approle' }))
    expect(dup.status).toBe(400)
    expect(dup.body.errors?.[0]).toContain('path is already in use at')
    const bad = await failure(
      c.enableAuth({ mount_point: authPath(vault, 'x'), type: 'no-such-auth' }),
    )
    expect(bad.status).toBe(400)
    await c.disableAuth({ mount_point: ap })
  })

  it('needs sudo: update without sudo on sys/auth/* is refused, with sudo it works', async () => {
    const path = authPath(vault, 'sudo')
    const without = await tokenWithPolicy(
      vault,
      'path "sys/auth/*" { capabilities = ["create", "update", "delete"] }',
    )
    const f = await failure(
      clientFor(vault, without.token).enableAuth({ mount_point: path, type: 'approle' }),
    )
    expect(f.status).toBe(403)
    const withSudo = await tokenWithPolicy(
      vault,
      'path "sys/auth/*" { capabilities = ["create", "update", "delete", "sudo"] }',
    )
    expect(
      (
        await raw(vault, 'POST', `sys/auth/${path}`, {
          token: withSudo.token,
          body: { type: 'approle' },
        })
      ).status,
    ).toBe(204)
    expect((await raw(vault, 'DELETE', `sys/auth/${path}`, { token: withSudo.token })).status).toBe(
      204,
    )
  })
})
