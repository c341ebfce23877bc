/** @module auth/jwt tests: claims, scopes and refusals with hand-built requests (HS256). */
import { inspect } from 'node:util'
import { describe, expect, it, vi } from 'vitest'
import { SignJWT, type JWTPayload } from 'jose'
import { AppError } from '../core/errors.js'
import { credentialOf } from '../core/identity.js'
import { loadConfig } from '../config/load.js'
import { createLogger, type Logger } from '../observability/logger.js'
import { MAX_TOKEN_BYTES, createJwtStrategy, jwtKeyWarning, scopesFromClaims } from './jwt.js'

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

const strategyFor = (env: Record<string, string>, resource?: string, keepCredential = false) =>
  createJwtStrategy(loadConfig({ JWT_HS256_SECRET: SECRET, ...env }).auth.jwt, {
    logger,
    resource,
    keepCredential,
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

  it('refuses every token when no key is configured, which the startup checks warn about', async () => {
    const before = warnings.length
    const keyless = createJwtStrategy(loadConfig({}).auth.jwt, { logger })
    // The warning is the startup checks' (serve and check-config alike), not the strategy's.
    expect(warnings.length).toBe(before)
    expect(jwtKeyWarning(loadConfig({}).auth.jwt)).toContain('JWT_HS256_SECRET')
    expect(jwtKeyWarning(loadConfig({ JWT_HS256_SECRET: 'k'.repeat(32) }).auth.jwt)).toBeUndefined()
    expect(
      jwtKeyWarning(
        loadConfig({ JWT_HS256_SECRET: 'k'.repeat(32), JWT_ALGORITHMS: 'RS256' }).auth.jwt,
      ),
    ).toContain('no key')
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

describe('token lifetime and type', () => {
  const s = strategyFor({})
  const signTyp = (claims: JWTPayload, typ: string) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ })
      .sign(new TextEncoder().encode(SECRET))

  it.each([
    ['exp in 25 hours', { exp: now() + 25 * 3600 }],
    ['exp = 1e20', { exp: 1e20 }],
    ['issued 2 days ago, valid for another hour', { iat: now() - 2 * 86400, exp: now() + 3600 }],
  ])('refuses a token that lives longer than JWT_MAX_LIFETIME (%s)', async (_, claims) => {
    await refusal(s.authenticate(req(await sign({ sub: 'a', ...claims })), conn))
  })

  it('accepts a token within JWT_MAX_LIFETIME, which the operator can shorten', async () => {
    const token = await sign({ sub: 'a', iat: now(), exp: now() + 2 * 3600 })
    expect(await s.authenticate(req(token), conn)).toMatchObject({ agent: 'a' })
    await refusal(strategyFor({ JWT_MAX_LIFETIME: '1h' }).authenticate(req(token), conn))
  })

  it.each(['JWT', 'jwt', 'at+jwt', 'application/at+jwt', 'application/jwt'])(
    'accepts typ %s',
    async (typ) => {
      const token = await signTyp({ sub: 'a', exp: now() + 60 }, typ)
      expect(await s.authenticate(req(token), conn)).toMatchObject({ agent: 'a' })
    },
  )

  it.each(['dpop+jwt', 'logout+jwt', 'secevent+jwt', 'JOSE', 'id_token'])(
    'refuses typ %s',
    async (typ) => {
      await refusal(s.authenticate(req(await signTyp({ sub: 'a', exp: now() + 60 }, typ)), conn))
    },
  )
})

describe('the verified token on the principal', () => {
  it('is not kept unless JWT exchange needs it, not even on a cached principal', async () => {
    const token = await sign({ sub: 'agent_x', exp: now() + 60, scopes: ['read'] })
    const s = strategyFor({})
    const first = await s.authenticate(req(token), conn)
    const cached = await s.authenticate(req(token), conn)
    expect(cached).toBe(first)
    for (const p of [first, cached]) {
      expect(p?.agent).toBe('agent_x')
      expect(credentialOf(p!)).toBeUndefined()
      expect(inspect(p, { showHidden: true })).not.toContain(token)
    }
  })

  it('is kept for a later exchange, and left out of JSON, spreads, inspect and log lines', async () => {
    const token = await sign({ sub: 'agent_x', exp: now() + 60, scopes: ['read'] })
    const p = await strategyFor({}, undefined, true).authenticate(req(token), conn)
    expect(p && credentialOf(p)).toMatchObject({ kind: 'jwt', token, source: 'hs256' })
    expect(credentialOf(p!)?.claims.sub).toBe('agent_x')
    const lines: string[] = []
    const log = createLogger({ level: 'info', destination: { write: (l) => void lines.push(l) } })
    // The logger's types refuse a whole principal (LogFields); a caller outside them must not
    // leak the token either.
    log.info({ principal: p as never }, 'who')
    log.child({ principal: p as never }).info({}, 'who')
    for (const text of [JSON.stringify(p), JSON.stringify({ ...p }), inspect(p), ...lines]) {
      expect(text).toContain('agent_x')
      expect(text).not.toContain(token)
    }
  })
})

describe('JWKS and OIDC in the configuration', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env)
      return []
    } catch (err) {
      return (err as { problems: string[] }).problems.map((p) => p.split(':')[0])
    }
  }
  const jwks = { JWT_JWKS_URL: 'https://idp.example/jwks.json' }

  it('needs an issuer and an audience (JWT_AUDIENCE or OAUTH_RESOURCE)', () => {
    expect(problems(jwks)).toEqual(['JWT_ISSUER', 'JWT_AUDIENCE'])
    expect(problems({ JWT_ISSUER: 'https://idp.example' })).toEqual(['JWT_AUDIENCE'])
    expect(problems({ ...jwks, JWT_ISSUER: 'https://idp.example', JWT_AUDIENCE: 'b' })).toEqual([])
    expect(
      problems({ ...jwks, JWT_ISSUER: 'x', OAUTH_RESOURCE: 'https://bridge.example/mcp' }),
    ).toEqual([])
  })

  it('asks nothing of HS256 alone, or when JWT authentication is off', () => {
    expect(problems({ JWT_HS256_SECRET: SECRET })).toEqual([])
    expect(problems({ JWT_HS256_SECRET: SECRET, JWT_ISSUER: 'my-scripts' })).toEqual([])
    expect(problems({ ...jwks, AUTH_JWT_ENABLED: 'false' })).toEqual([])
  })
})
