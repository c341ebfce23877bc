/** @module signing/nonce-store tests: the in-memory store (Redis: test/integration/mcp-consent-replicas). */
import { describe, expect, it } from 'vitest'
import { createMemoryNonceStore } from './nonce-store.js'

describe('createMemoryNonceStore', () => {
  it('takes a nonce once until it expires', async () => {
    let t = 0
    const store = createMemoryNonceStore({ now: () => t })
    expect(await store.consume('n1', 100)).toBe(true)
    expect(await store.consume('n1', 100)).toBe(false)
    expect(await store.consume('n2', 100)).toBe(true)
    t = 100
    // Expired: the token carrying it is refused as expired before the store is asked.
    expect(await store.consume('n1', 200)).toBe(true)
  })

  it('forgets expired nonces when full, and refuses rather than forget a live one', async () => {
    let t = 0
    const store = createMemoryNonceStore({ now: () => t, maxEntries: 2 })
    await store.consume('a', 10)
    await store.consume('b', 50)
    await expect(store.consume('c', 50)).rejects.toThrow()
    t = 10
    expect(await store.consume('c', 50)).toBe(true)
    expect(await store.consume('b', 50)).toBe(false)
  })
})
