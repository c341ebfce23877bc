/** @module entry/entry-store tests: the memory store keeps records for their time, and no more. */
import { describe, expect, it } from 'vitest'
import type { SecretEntryState } from '../core/ports.js'
import { createMemoryEntryStore } from './entry-store.js'

const state = (id: string): SecretEntryState => ({
  id,
  agent: 'alice',
  path: 'p',
  fields: ['f'],
  status: 'pending',
  expiresAt: 50,
})

describe('createMemoryEntryStore', () => {
  it('keeps a record until its time, and gives copies', async () => {
    let t = 0
    const store = createMemoryEntryStore({ now: () => t })
    await store.put(state('a'), 100)
    const got = await store.get('a')
    expect(got).toEqual(state('a'))
    got!.status = 'written'
    expect((await store.get('a'))!.status).toBe('pending')
    t = 100
    expect(await store.get('a')).toBeUndefined()
  })

  it('forgets records past their time when full, and refuses when all are live', async () => {
    let t = 0
    const store = createMemoryEntryStore({ now: () => t, maxEntries: 2 })
    await store.put(state('a'), 10)
    await store.put(state('b'), 100)
    await expect(store.put(state('c'), 100)).rejects.toThrow()
    t = 10
    await store.put(state('c'), 100)
    expect(await store.get('b')).toBeDefined()
    // Replacing a record is never refused.
    await store.put({ ...state('b'), status: 'written' }, 100)
    expect((await store.get('b'))!.status).toBe('written')
  })

  it("counts an agent's open requests up to the cap, freeing used and expired ones", async () => {
    let t = 0
    const store = createMemoryEntryStore({ now: () => t })
    const counted = { reserved: true }
    expect(await store.reserve('alice', 'a', 10, 2)).toEqual(counted)
    expect(await store.reserve('alice', 'b', 100, 2)).toEqual(counted)
    // Refused with when the first open one expires.
    expect(await store.reserve('alice', 'c', 100, 2)).toEqual({ reserved: false, freeAt: 10 })
    // Another agent has a count of its own.
    expect(await store.reserve('bob', 'x', 100, 2)).toEqual(counted)
    await store.release('alice', 'b')
    expect(await store.reserve('alice', 'c', 100, 2)).toEqual(counted)
    expect(await store.reserve('alice', 'd', 100, 2)).toEqual({ reserved: false, freeAt: 10 })
    t = 10
    expect(await store.reserve('alice', 'd', 100, 2)).toEqual(counted)
    expect(await store.reserve('alice', 'e', 100, 2)).toEqual({ reserved: false, freeAt: 100 })
  })
})
