/** @module auth/jwt tests: claims, scopes and refusals with hand-built requests (HS256). */
import { describe, expect, it, vi } from 'vitest'
import { SignJWT, type JWTPayload } from 'jose'
import { AppError } from '../core/errors.js'
import { loadConfig } from '../config/load.js'
import type { Logger } from '../observability/logger.js'
import { MAX_TOKEN_BYTES, createJwtStrategy, scopesFromClaims } from './jwt.js'

const SECRET = 'unit-test-secret-that-is-32-bytes-long'
const warnings: object[] = []
const logger: Logger = {
  fatal: () => {},
  error: () => {},
  warn: (o) => void warnings.push(o),
  info: () => {},
  debug: () => {},
  child: () => logger,
}
const conn = { peerAddress: undefined }
const now = () => Math.floor(Date.now() / 1000)

const strategyFor = (env: Record<string, string>, resource?: string) =>
  createJwtStrategy(loadConfig({ JWT_HS256_SECRET: SECRET, ...env }).auth.jwt, {
    logger,
    resource,
  })

const sign = (claims: JWTPayload, secret = SECRET) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret))

const req = (token: string) =>
  new Request('http://x/', { headers: { authorization: `Bearer ${token}` } })

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.catch((e: unknown) => e)
  expect(err).toBeInstanceOf(AppError)
  expect((err as AppError).code).toBe('UNAUTHENTICATED')
  expect((err as AppError).details.tokenPresented).toBe(true)
  return err as AppError
}

describe('scopesFromClaims', () => {
  const all = ['read', 'write', 'delete', 'list'] as const
  it.each([
    [{ scopes: ['read', 'bogus'] }, ['read']],
    [{ scopes: 'write list' }, ['write', 'list']],
    [{ scope: 'openid read delete' }, ['read', 'delete']],
    [{ scp: ['list'] }, ['list']],
    [{ scp: 'read' }, ['read']],
    [{ scopes: 42 }, []],
    [{ scopes: [], scope: 'read' }, []],
    [{}, [...all]],
  ])('%j -> %j', (claims, expected) => {
    expect(scopesFromClaims(claims as JWTPayload, all)).toEqual(expected)
  })
})

describe('createJwtStrategy', () => {
  const s = strategyFor({ JWT_SUBJECT_CLAIM: 'agent', JWT_DEFAULT_SCOPES: 'read' })

  it('ignores requests without a bearer token', async () => {
    expect(await s.authenticate(new Request('http://x/'), conn)).toBeNull()
    const basic = new Request('http://x/', { headers: { authorization: 'Basic eDp5' } })
    expect(await s.authenticate(basic, conn)).toBeNull()
  })

  it('takes the agent from JWT_SUBJECT_CLAIM and JWT_DEFAULT_SCOPES when none are named', async () => {
    const p = await s.authenticate(req(await sign({ agent: 'agent_x', exp: now() + 60 })), conn)
    expect(p).toEqual({ agent: 'agent_x', scopes: ['read'], method: 'jwt' })
  })

  it('refuses a token without the subject claim', async () => {
    await refusal(s.authenticate(req(await sign({ sub: 'agent_x', exp: now() + 60 })), conn))
  })

  it('refuses a token over the size limit before verifying it', async () => {
    const token = await sign({ agent: 'a', exp: now() + 60, pad: 'x'.repeat(MAX_TOKEN_BYTES) })
    const err = await refusal(s.authenticate(req(token), conn))
    expect(err.cause).toBeUndefined()
  })

  it('honours JWT_CLOCK_TOLERANCE', async () => {
    const strict = strategyFor({ JWT_CLOCK_TOLERANCE: '0' })
    const lenient = strategyFor({ JWT_CLOCK_TOLERANCE: '120s' })
    const token = await sign({ sub: 'agent_x', exp: now() - 60 })
    await refusal(strict.authenticate(req(token), conn))
    expect(await lenient.authenticate(req(token), conn)).toMatchObject({ agent: 'agent_x' })
  })

  it('requires OAUTH_RESOURCE in aud when it is set', async () => {
    const r = strategyFor({}, 'https://bridge.example/mcp')
    const other = await sign({ sub: 'a', exp: now() + 60, aud: 'https://other.example/mcp' })
    const none = await sign({ sub: 'a', exp: now() + 60 })
    const ok = await sign({ sub: 'a', exp: now() + 60, aud: ['x', 'https://bridge.example/mcp'] })
    await refusal(r.authenticate(req(other), conn))
    await refusal(r.authenticate(req(none), conn))
    expect(await r.authenticate(req(ok), conn)).toMatchObject({ agent: 'a' })
  })

  it('refuses every token, and warns once at startup, when no key is configured', async () => {
    const before = warnings.length
    const keyless = createJwtStrategy(loadConfig({}).auth.jwt, { logger })
    expect(warnings.length).toBe(before + 1)
    await refusal(keyless.authenticate(req(await sign({ sub: 'a', exp: now() + 60 })), conn))
  })

  it('checks a token once, then knows it until its exp, and never past it', async () => {
    vi.useFakeTimers({ now: new Date('2026-06-01T00:00:00Z'), toFake: ['Date'] })
    try {
      const strict = strategyFor({ JWT_CLOCK_TOLERANCE: '0', JWT_DEFAULT_SCOPES: 'read' })
      const token = await sign({ sub: 'agent_x', exp: now() + 30 })
      const first = await strict.authenticate(req(token), conn)
      expect(first).toEqual({ agent: 'agent_x', scopes: ['read'], method: 'jwt' })
      expect(await strict.authenticate(req(token), conn)).toEqual(first)
      // A changed signature is not the token that was checked.
      const forged = `${token.slice(0, -4)}${token.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`
      await refusal(strict.authenticate(req(forged), conn))
      vi.setSystemTime(new Date('2026-06-01T00:00:31Z'))
      await refusal(strict.authenticate(req(token), conn))
    } finally {
      vi.useRealTimers()
    }
  })

  it('refuses HS256 when JWT_ALGORITHMS leaves it out', async () => {
    const rsOnly = strategyFor({ JWT_ALGORITHMS: 'RS256' })
    await refusal(rsOnly.authenticate(req(await sign({ sub: 'a', exp: now() + 60 })), conn))
  })
})
