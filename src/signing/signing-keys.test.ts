/** @module signing/signing-keys tests: one root key, a stable and separate subkey per purpose. */
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createSigningKeys } from './signing-keys.js'

describe('createSigningKeys', () => {
  const root = Buffer.alloc(32, 7)

  it('derives the same 32-byte subkey from the same root on every replica', () => {
    const a = createSigningKeys(root).keyFor('mcp-request-state')
    const b = createSigningKeys(Buffer.from(root)).keyFor('mcp-request-state')
    expect(a).toHaveLength(32)
    expect(a.equals(b)).toBe(true)
    expect(createSigningKeys(root).generated).toBe(false)
  })

  it('never signs with the root key itself, and another root gives another subkey', () => {
    const sub = createSigningKeys(root).keyFor('mcp-request-state')
    expect(sub.equals(root)).toBe(false)
    const other = createSigningKeys(Buffer.alloc(32, 8)).keyFor('mcp-request-state')
    expect(sub.equals(other)).toBe(false)
    // A MAC made with the root does not verify under the subkey.
    const msg = 'v1.payload'
    const byRoot = createHmac('sha256', root).update(msg).digest()
    expect(byRoot.equals(createHmac('sha256', sub).update(msg).digest())).toBe(false)
  })

  it('makes a random key per process when none is configured', () => {
    const a = createSigningKeys(undefined)
    const b = createSigningKeys(undefined)
    expect(a.generated).toBe(true)
    expect(a.keyFor('mcp-request-state').equals(b.keyFor('mcp-request-state'))).toBe(false)
  })

  it('refuses a root key shorter than 32 bytes', () => {
    expect(() => createSigningKeys(Buffer.alloc(31))).toThrow(RangeError)
  })
})
