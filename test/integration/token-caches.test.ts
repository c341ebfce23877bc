/**
 * @module test/integration/token-caches: the two caches keyed by a caller's bearer token (the
 * verified-token cache of JWT authentication, and JWT exchange's Vault logins) never key by the
 * token, a part of it, or a plain digest of it, which another process could check a token
 * against: every string that went into a Map or a Set while they worked is checked.
 */
import { createHash } from 'node:crypto'
import { SignJWT } from 'jose'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { createJwtStrategy } from '../../src/auth/jwt.js'
import { loadConfig } from '../../src/config/load.js'
import { resolveSecretPath } from '../../src/core/paths.js'
import { createLogger } from '../../src/observability/logger.js'
import { startExchangeVault, type ExchangeVault } from '../helpers/jwt-exchange.js'

const realMapSet = Map.prototype.set
const realSetAdd = Set.prototype.add

/** Every string key given to a Map or a Set while `run` ran. */
async function keysStoredDuring(run: () => Promise<unknown>): Promise<string[]> {
  const keys: string[] = []
  const mapSet = vi.spyOn(Map.prototype, 'set').mockImplementation(function (
    this: Map<unknown, unknown>,
    k: unknown,
    v: unknown,
  ) {
    if (typeof k === 'string') keys.push(k)
    return realMapSet.call(this, k, v)
  })
  const setAdd = vi.spyOn(Set.prototype, 'add').mockImplementation(function (
    this: Set<unknown>,
    k: unknown,
  ) {
    if (typeof k === 'string') keys.push(k)
    return realSetAdd.call(this, k)
  })
  try {
    await run()
  } finally {
    mapSet.mockRestore()
    setAdd.mockRestore()
  }
  return keys
}

/** The length of a run of the token's characters that no key may contain. */
const RUN = 16

/**
 * Fails when a key holds any part of the token's payload or signature (a run of {@link RUN}
 * characters), or the token's SHA-256 in any usual encoding.
 */
function expectNoKeyOf(keys: string[], token: string): void {
  const [, payload = '', signature = ''] = token.split('.')
  expect(signature.length).toBeGreaterThan(RUN)
  const digest = createHash('sha256').update(token).digest()
  const digests = [digest.toString('hex'), digest.toString('base64'), digest.toString('base64url')]
  for (const key of keys) {
    for (let i = 0; i + RUN <= key.length; i++) {
      const run = key.slice(i, i + RUN)
      expect(payload.includes(run) || signature.includes(run), `a key holds "${run}"`).toBe(false)
    }
    for (const d of digests) expect(key).not.toContain(d)
  }
}

describe('caches keyed by a bearer token', () => {
  const SECRET = 'token-cache-test-secret-of-32-bytes!'
  let x: ExchangeVault | undefined

  afterAll(async () => {
    await x?.close()
  })

  it('the verified-token cache keys by an HMAC, never by the token', async () => {
    const strategy = createJwtStrategy(loadConfig({ JWT_HS256_SECRET: SECRET }).auth.jwt, {
      logger: createLogger({ level: 'silent' }),
    })
    const token = await new SignJWT({ sub: 'agent_c', scope: 'read' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET))
    const request = () =>
      new Request('http://x/', { headers: { authorization: `Bearer ${token}` } })
    const keys = await keysStoredDuring(async () => {
      const first = await strategy.authenticate(request(), { peerAddress: undefined })
      const again = await strategy.authenticate(request(), { peerAddress: undefined })
      // The second call is a hit of the cache under test.
      expect(again).toBe(first)
    })
    expect(keys.length).toBeGreaterThan(0)
    expectNoKeyOf(keys, token)
  })

  it("JWT exchange's login cache keys by an HMAC, never by the caller's JWT", async () => {
    x = await startExchangeVault()
    const exchange = x
    const [alice] = exchange.agents as [string]
    const port = await exchange.port({}, { logger: createLogger({ level: 'silent' }) })
    const jwt = await exchange.token(alice)
    const before = exchange.logins().length
    const keys = await keysStoredDuring(async () => {
      for (let i = 0; i < 2; i++) {
        await port.session(exchange.ctx(alice, jwt), 1, (v) =>
          v.kvWrite(resolveSecretPath(exchange.prefix, alice, 'cache'), { n: i }),
        )
      }
    })
    // One login, then a hit of the cache under test.
    expect(exchange.logins().length - before).toBe(1)
    expect(keys.length).toBeGreaterThan(0)
    expectNoKeyOf(keys, jwt)
    await port.close()
  })
})
