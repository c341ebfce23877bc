/**
 * @module dev-vault/test/contract/harness.test: the harness leaves a shared Vault as it found it:
 * what its helpers create is removed by the cleanup that `close()` runs after every test file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  clientFor,
  contractVault,
  enableAuth,
  hcl,
  mountEngine,
  raw,
  tokenWithPolicy,
  type ContractVault,
} from './harness.js'

let vault: ContractVault

beforeAll(async () => {
  vault = await contractVault()
})

afterAll(() => vault?.close())

describe('cleanup', () => {
  it('disables the mounts and auth methods and deletes the policies the helpers made', async () => {
    const mount = await mountEngine(vault, 'clean', { type: 'transit' })
    const auth = await enableAuth(vault, 'clean', 'approle')
    const { policy } = await tokenWithPolicy(vault, hcl(`${mount}/keys/*`, ['read']))
    const root = clientFor(vault)
    expect((await root.mounts()).data[`${mount}/`]).toBeDefined()
    expect((await root.auths()).data[`${auth}/`]).toBeDefined()
    expect((await raw(vault, 'GET', `sys/policies/acl/${policy}`)).status).toBe(200)
    await vault.cleanup()
    expect((await root.mounts()).data[`${mount}/`]).toBeUndefined()
    expect((await root.auths()).data[`${auth}/`]).toBeUndefined()
    expect((await raw(vault, 'GET', `sys/policies/acl/${policy}`)).status).toBe(404)
  })

  it('runs each cleanup once, newest first, and goes on past a failing one', async () => {
    const order: string[] = []
    vault.defer(async () => void order.push('first'))
    vault.defer(async () => {
      order.push('failing')
      throw new Error('cleanup failed')
    })
    vault.defer(async () => void order.push('last'))
    await vault.cleanup()
    await vault.cleanup()
    expect(order).toEqual(['last', 'failing', 'first'])
  })
})
