/** @module auth/verified-tokens tests: exact-token hits, expiry, the age bound and the size bound. */
import { describe, expect, it } from 'vitest'
import type { Principal } from '../core/identity.js'
import { createVerifiedTokens } from './verified-tokens.js'

const alice: Principal = { agent: 'alice', scopes: ['read'], method: 'jwt' }

describe('createVerifiedTokens', () => {
  it('knows exactly the tokens it was given, until their time is up', () => {
    let t = 1_000_000
    const cache = createVerifiedTokens({ now: () => t })
    cache.set('token-a', alice, t + 10_000)
    expect(cache.get('token-a')).toEqual(alice)
    expect(cache.get('token-a ')).toBeUndefined()
    expect(cache.get('token-b')).toBeUndefined()
    t += 9_999
    expect(cache.get('token-a')).toEqual(alice)
    t += 1
    expect(cache.get('token-a')).toBeUndefined()
  })

  it('keeps a token at most maxAgeMs, whatever its exp, and nothing already expired', () => {
    let t = 0
    const cache = createVerifiedTokens({ now: () => t, maxAgeMs: 60_000 })
    cache.set('long-lived', alice, 3_600_000)
    cache.set('expired', alice, 0)
    expect(cache.get('expired')).toBeUndefined()
    t = 59_999
    expect(cache.get('long-lived')).toEqual(alice)
    t = 60_000
    expect(cache.get('long-lived')).toBeUndefined()
  })

  it('holds at most maxEntries tokens, dropping the least recently used', () => {
    const cache = createVerifiedTokens({ now: () => 0, maxEntries: 2 })
    cache.set('a', alice, 1000)
    cache.set('b', alice, 1000)
    expect(cache.get('a')).toEqual(alice)
    cache.set('c', alice, 1000)
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('a')).toEqual(alice)
    expect(cache.get('c')).toEqual(alice)
  })
})
