/** @module signing/one-time-tokens tests: each way a token is refused, and its single use. */
import { describe, expect, it } from 'vitest'
import type { NonceStore } from '../core/ports.js'
import { createMemoryNonceStore } from './nonce-store.js'
import { TokenRefusedError, createOneTimeTokens, type TokenRefusal } from './one-time-tokens.js'

const KEY = Buffer.alloc(32, 1)
const TTL = 60_000

function tokens(options: { key?: Buffer; nonces?: NonceStore } = {}) {
  let t = 1_000_000
  const clock = { now: () => t, advance: (ms: number) => void (t += ms) }
  const made = createOneTimeTokens<{ tool: string }>({
    key: options.key ?? KEY,
    ttlMs: TTL,
    nonces: options.nonces ?? createMemoryNonceStore({ now: clock.now }),
    now: clock.now,
  })
  return { ...made, clock }
}

const refusal = (p: Promise<unknown>): Promise<TokenRefusal | 'accepted'> =>
  p.then(
    () => 'accepted' as const,
    (e: unknown) => {
      if (e instanceof TokenRefusedError) return e.reason
      throw e
    },
  )

describe('createOneTimeTokens', () => {
  it('gives the payload back to the subject it was issued to, once', async () => {
    const t = tokens()
    const token = t.issue('alice', { tool: 'read_secret' })
    expect(await t.redeem(token, 'alice')).toEqual({ tool: 'read_secret' })
    expect(await refusal(t.redeem(token, 'alice'))).toBe('replayed')
  })

  it('issues a different token each time (a fresh nonce)', () => {
    const t = tokens()
    expect(t.issue('alice', { tool: 'x' })).not.toBe(t.issue('alice', { tool: 'x' }))
  })

  it('refuses a token issued to someone else, and leaves it usable by its owner', async () => {
    const t = tokens()
    const token = t.issue('alice', { tool: 'x' })
    expect(await refusal(t.redeem(token, 'mallory'))).toBe('principal')
    expect(await refusal(t.redeem(token, 'alice'))).toBe('accepted')
  })

  it('refuses an expired token', async () => {
    const t = tokens()
    const token = t.issue('alice', { tool: 'x' })
    t.clock.advance(TTL)
    expect(await refusal(t.redeem(token, 'alice'))).toBe('expired')
  })

  it('names whom an expired token was issued to only when its signature is good', () => {
    const t = tokens()
    const token = t.issue('alice', { tool: 'x' })
    const [v, body] = token.split('.') as [string, string, string]
    t.clock.advance(TTL)
    const refusedWith = (tok: string) => {
      try {
        t.inspect(tok)
      } catch (e) {
        if (e instanceof TokenRefusedError) return e
      }
      throw new Error('not refused')
    }
    const expired = refusedWith(token)
    expect(expired.reason).toBe('expired')
    expect(expired.expired).toMatchObject({ subject: 'alice', payload: { tool: 'x' } })
    const forged = refusedWith(`${v}.${body}.${'A'.repeat(43)}`)
    expect(forged.reason).toBe('signature')
    expect(forged.expired).toBeUndefined()
  })

  it('refuses a changed payload, a changed signature, and another key', async () => {
    const t = tokens()
    const token = t.issue('alice', { tool: 'read_secret' })
    const [v, body, mac] = token.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString())
    claims.s = 'mallory'
    const rewritten = `${v}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`
    expect(await refusal(t.redeem(rewritten, 'mallory'))).toBe('signature')
    const flipped = `${v}.${body}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`
    expect(await refusal(t.redeem(flipped, 'alice'))).toBe('signature')
    const truncated = `${v}.${body}.${mac.slice(0, 20)}`
    expect(await refusal(t.redeem(truncated, 'alice'))).toBe('signature')
    const stranger = tokens({ key: Buffer.alloc(32, 2) })
    expect(await refusal(stranger.redeem(token, 'alice'))).toBe('signature')
  })

  it.each(['', 'x', 'v1.a', 'v2.a.b', 'v1.a.b.c', `v1.${'a'.repeat(9000)}.b`])(
    'refuses the malformed token %#',
    async (token) => {
      expect(await refusal(tokens().redeem(token, 'alice'))).toMatch(/^(malformed|signature)$/)
    },
  )

  it('refuses when the nonce store cannot tell (fail closed)', async () => {
    const broken: NonceStore = {
      consume: async () => {
        throw new Error('redis down')
      },
      close: async () => undefined,
    }
    const t = tokens({ nonces: broken })
    expect(await refusal(t.redeem(t.issue('alice', { tool: 'x' }), 'alice'))).toBe('unavailable')
  })
})

describe('inspect', () => {
  it('reads a good token without using it up', async () => {
    const t = tokens()
    const token = t.issue('alice', { tool: 'x' })
    const claims = t.inspect(token)
    expect(claims).toMatchObject({ subject: 'alice', payload: { tool: 'x' } })
    expect(claims.nonce.length).toBeGreaterThanOrEqual(16)
    expect(claims.expiresAt).toBe(1_000_000 + TTL)
    expect(await t.redeem(token, 'alice')).toEqual({ tool: 'x' })
  })

  it('refuses a tampered, foreign-key or expired token', () => {
    const t = tokens()
    const token = t.issue('alice', { tool: 'x' })
    const reason = (f: () => unknown) => {
      try {
        f()
        return 'accepted'
      } catch (e) {
        return (e as TokenRefusedError).reason
      }
    }
    // One whole character of the signature changed (the last one also holds padding bits, and
    // writing fixed characters over it left the token intact once in 4,096 runs).
    const at = token.length - 5
    const tampered = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`
    expect(reason(() => t.inspect(tampered))).toBe('signature')
    expect(reason(() => tokens({ key: Buffer.alloc(32, 9) }).inspect(token))).toBe('signature')
    expect(reason(() => t.inspect('v1.x'))).toBe('malformed')
    t.clock.advance(TTL)
    expect(reason(() => t.inspect(token))).toBe('expired')
  })
})
