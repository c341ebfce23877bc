/** @module dev-vault/test/contract/cubbyhole.test: the per-token `cubbyhole/` (`vault/logical_cubbyhole.go`). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { contractVault, createToken, raw, type ContractVault } from './harness.js'

let vault: ContractVault

beforeAll(async () => {
  vault = await contractVault()
})

afterAll(() => vault?.close())

describe('cubbyhole/', () => {
  it('is mounted, local, as in every Vault', async () => {
    const mounts = await raw(vault, 'GET', 'sys/mounts')
    expect(mounts.json.data['cubbyhole/']).toMatchObject({ type: 'cubbyhole', local: true })
  })

  it('gives each token its own entries: write (204), read, list and delete', async () => {
    const { token: a } = await createToken(vault, { policies: ['default'], ttl: '10m' })
    const { token: b } = await createToken(vault, { policies: ['default'], ttl: '10m' })
    const put = await raw(vault, 'POST', 'cubbyhole/note', { token: a, body: { k: 'v', n: 1 } })
    expect(put.status).toBe(204)
    await raw(vault, 'POST', 'cubbyhole/dir/inner', { token: a, body: { x: true } })
    const read = await raw(vault, 'GET', 'cubbyhole/note', { token: a })
    expect([read.status, read.json.data]).toEqual([200, { k: 'v', n: 1 }])
    expect((await raw(vault, 'GET', 'cubbyhole/note', { token: b })).status).toBe(404)
    const list = await raw(vault, 'LIST', 'cubbyhole', { token: a })
    expect(list.json.data.keys).toEqual(['dir/', 'note'])
    expect((await raw(vault, 'LIST', 'cubbyhole', { token: b })).status).toBe(404)
    expect((await raw(vault, 'DELETE', 'cubbyhole/note', { token: a })).status).toBe(204)
    expect((await raw(vault, 'GET', 'cubbyhole/note', { token: a })).status).toBe(404)
  })

  it('refuses a write without data (a Go error: 500)', async () => {
    const { token } = await createToken(vault, { policies: ['default'], ttl: '10m' })
    const res = await raw(vault, 'POST', 'cubbyhole/empty', { token, body: {} })
    expect([res.status, res.json.errors]).toEqual([
      500,
      ['1 error occurred:\n\t* missing data fields\n\n'],
    ])
  })
})
