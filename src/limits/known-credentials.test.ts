/** @module limits/known-credentials tests: remembering per address, within both bounds. */
import { describe, expect, it } from 'vitest'
import { createKnownCredentials } from './known-credentials.js'

describe('createKnownCredentials', () => {
  it('knows a credential only at the address it verified from', () => {
    const known = createKnownCredentials()
    known.remember('10.0.0.1', 'key-a')
    expect(known.knows('10.0.0.1', 'key-a')).toBe(true)
    expect(known.knows('10.0.0.1', 'key-b')).toBe(false)
    expect(known.knows('10.0.0.2', 'key-a')).toBe(false)
    known.remember('10.0.0.1', 'key-a')
    expect(known.size).toBe(1)
    expect(known.touch('10.0.0.1', 'key-a')).toBe(true)
    expect(known.touch('10.0.0.1', 'key-b')).toBe(false)
    expect(known.knows('10.0.0.1', 'key-b')).toBe(false)
  })

  it('drops the least recently used credential of an address beyond maxPerAddress', () => {
    const known = createKnownCredentials({ maxPerAddress: 2 })
    known.remember('a', 'k1')
    known.remember('a', 'k2')
    expect(known.touch('a', 'k1')).toBe(true) // k1 used again: k2 is now the oldest
    known.remember('a', 'k3')
    expect(known.knows('a', 'k1')).toBe(true)
    expect(known.knows('a', 'k2')).toBe(false)
    expect(known.knows('a', 'k3')).toBe(true)
    expect(known.size).toBe(2)
  })

  it('holds at most maxEntries over all addresses, dropping from the least recently used address', () => {
    const known = createKnownCredentials({ maxEntries: 3 })
    known.remember('a', 'k1')
    known.remember('b', 'k1')
    known.remember('c', 'k1')
    known.remember('a', 'k2') // a is now the most recent address; b the oldest
    expect(known.size).toBe(3)
    expect(known.knows('b', 'k1')).toBe(false)
    expect(known.knows('a', 'k1')).toBe(true)
    expect(known.knows('a', 'k2')).toBe(true)
    expect(known.knows('c', 'k1')).toBe(true)
    for (let i = 0; i < 100; i++) known.remember(`x${i}`, 'k')
    expect(known.size).toBe(3)
  })
})
