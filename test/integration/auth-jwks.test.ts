/** @module test/integration/auth-jwks: JWKS outages, cool-down, cached keys and OIDC discovery, over real HTTP. */
import { randomUUID } from 'node:crypto'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose'
import {
  get,
  startAuthApp,
  startKeyServer,
  type AuthApp,
  type KeyServer,
} from '../helpers/auth-app.js'

interface Key {
  privateKey: CryptoKey
  jwk: JWK
}
let first: Key
let second: Key
const open: { close?: () => Promise<void>; stop?: () => Promise<void> }[] = []

async function rsaKey(kid: string): Promise<Key> {
  const pair = await generateKeyPair('RS256', { extractable: true })
  return { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid } }
}

// A JWKS needs an issuer and an audience (issue 12): every token here names both.
const ISSUER = 'https://idp.test'
const AUDIENCE = 'vault-mcp-bridge'

// Every token is new (jti): a token the bridge has verified once is not checked against the
// keys again (src/auth/verified-tokens.ts), and these tests are about the key lookup.
const sign = (key: Key, claims: Record<string, unknown> = {}) => {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({
    sub: 'agent_jwt',
    exp: now + 600,
    iss: ISSUER,
    aud: AUDIENCE,
    jti: randomUUID(),
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: key.jwk.kid })
    .sign(key.privateKey)
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

async function keyServer(keys: JWK[]): Promise<KeyServer> {
  const s = await startKeyServer({ keys })
  open.push(s)
  return s
}

async function authApp(
  env: Record<string, string>,
  options: Parameters<typeof startAuthApp>[1] = {},
): Promise<AuthApp> {
  const a = await startAuthApp(
    { AUTH_API_KEY_ENABLED: 'false', JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, ...env },
    options,
  )
  open.push(a)
  return a
}

const warnings = (a: AuthApp) => a.lines.filter((l) => l.level === 'warn')

beforeAll(async () => {
  first = await rsaKey('key-1')
  second = await rsaKey('key-2')
})

afterEach(async () => {
  for (const o of open.splice(0)) await (o.close ?? o.stop)?.call(o).catch(() => undefined)
})

describe('a JWKS endpoint that is down, then back', () => {
  it('answers 401 (never 500) while down, logs the outage once, and accepts once it is back', async () => {
    const keys = await keyServer([first.jwk])
    await keys.stop()
    // Retry 0: each request asks the endpoint again, so the restart is seen at once.
    const app = await authApp({ JWT_JWKS_URL: keys.jwksUrl }, { jwksRetrySeconds: 0 })
    const token = await sign(first)

    for (let i = 0; i < 3; i++) {
      const res = await get(`${app.url}/protected`, bearer(token))
      expect(res.status).toBe(401)
      expect(res.challenge).toBe('Bearer error="invalid_token"')
      expect((res.body.error as { code: string }).code).toBe('UNAUTHENTICATED')
    }
    expect(warnings(app)).toHaveLength(1)

    await keys.restart()
    const res = await get(`${app.url}/protected`, bearer(token))
    expect(res.status).toBe(200)
    expect(res.body.principal).toMatchObject({ agent: 'agent_jwt', method: 'jwt' })
    expect(app.lines.filter((l) => l.level === 'info')).toHaveLength(1)
    expect(warnings(app)).toHaveLength(1)
  })

  it('keeps using a cached key that fits while the endpoint is down; refuses unknown kids', async () => {
    const keys = await keyServer([first.jwk])
    // Max age 0: every request tries to refetch, so the outage is met on each one.
    const app = await authApp(
      { JWT_JWKS_URL: keys.jwksUrl },
      { jwksMaxAgeSeconds: 0, jwksRetrySeconds: 0 },
    )
    expect((await get(`${app.url}/protected`, bearer(await sign(first)))).status).toBe(200)

    await keys.stop()
    expect((await get(`${app.url}/protected`, bearer(await sign(first)))).status).toBe(200)
    const unknown = await get(`${app.url}/protected`, bearer(await sign(second)))
    expect(unknown.status).toBe(401)
    expect(unknown.challenge).toBe('Bearer error="invalid_token"')
    expect(warnings(app)).toHaveLength(1)
  })

  it('a JWKS URL that answers 404 is a 401, not a 500', async () => {
    const keys = await keyServer([first.jwk])
    const app = await authApp({ JWT_JWKS_URL: `${keys.base}/no-such-jwks` })
    const res = await get(`${app.url}/protected`, bearer(await sign(first)))
    expect(res.status).toBe(401)
    expect(warnings(app)).toHaveLength(1)
  })
})

describe('back-off after a failed fetch', () => {
  it('does not ask a failing endpoint again within the retry interval', async () => {
    const keys = await keyServer([first.jwk])
    keys.failing(true)
    const app = await authApp({ JWT_JWKS_URL: keys.jwksUrl }, { jwksRetrySeconds: 3600 })
    for (let i = 0; i < 3; i++) {
      expect((await get(`${app.url}/protected`, bearer(await sign(first)))).status).toBe(401)
    }
    expect(keys.jwksFetches()).toBe(1)
    expect(warnings(app)).toHaveLength(1)
  })

  it('keeps accepting cached keys during the back-off without asking the endpoint', async () => {
    const keys = await keyServer([first.jwk])
    const app = await authApp(
      { JWT_JWKS_URL: keys.jwksUrl },
      { jwksMaxAgeSeconds: 0, jwksRetrySeconds: 3600 },
    )
    expect((await get(`${app.url}/protected`, bearer(await sign(first)))).status).toBe(200)
    keys.failing(true)
    for (let i = 0; i < 3; i++) {
      expect((await get(`${app.url}/protected`, bearer(await sign(first)))).status).toBe(200)
    }
    expect(keys.jwksFetches()).toBe(2)
    expect((await get(`${app.url}/protected`, bearer(await sign(second)))).status).toBe(401)
    expect(keys.jwksFetches()).toBe(2)
  })
})

describe('refetch on an unknown kid', () => {
  it('does not refetch within the cool-down', async () => {
    const keys = await keyServer([first.jwk])
    const app = await authApp({ JWT_JWKS_URL: keys.jwksUrl }, { jwksCooldownSeconds: 3600 })
    expect((await get(`${app.url}/protected`, bearer(await sign(first)))).status).toBe(200)
    expect(keys.jwksFetches()).toBe(1)
    keys.setKeys({ keys: [first.jwk, second.jwk] })
    for (let i = 0; i < 3; i++) {
      expect((await get(`${app.url}/protected`, bearer(await sign(second)))).status).toBe(401)
    }
    expect(keys.jwksFetches()).toBe(1)
  })

  it('refetches after the cool-down and accepts a rotated key', async () => {
    const keys = await keyServer([first.jwk])
    const app = await authApp({ JWT_JWKS_URL: keys.jwksUrl }, { jwksCooldownSeconds: 0 })
    expect((await get(`${app.url}/protected`, bearer(await sign(first)))).status).toBe(200)
    keys.setKeys({ keys: [second.jwk] })
    expect((await get(`${app.url}/protected`, bearer(await sign(second)))).status).toBe(200)
    expect(keys.jwksFetches()).toBe(2)
  })
})

describe('tokens without kid', () => {
  it('are checked against each key of their type in the JWKS', async () => {
    const strip = ({ kid: _, ...jwk }: JWK) => jwk
    const keys = await keyServer([strip(first.jwk), strip(second.jwk)])
    const app = await authApp({ JWT_JWKS_URL: keys.jwksUrl })
    const now = Math.floor(Date.now() / 1000)
    const noKid = (key: Key) =>
      new SignJWT({ sub: 'agent_jwt', exp: now + 600, iss: ISSUER, aud: AUDIENCE })
        .setProtectedHeader({ alg: 'RS256' })
        .sign(key.privateKey)
    expect((await get(`${app.url}/protected`, bearer(await noKid(second)))).status).toBe(200)
    expect((await get(`${app.url}/protected`, bearer(await noKid(first)))).status).toBe(200)
    const stranger = await rsaKey('k-3')
    const res = await get(`${app.url}/protected`, bearer(await noKid(stranger)))
    expect(res.status).toBe(401)
    expect(res.challenge).toBe('Bearer error="invalid_token"')
  })
})

describe('OIDC discovery of JWT_ISSUER', () => {
  it('finds the JWKS through /.well-known/openid-configuration', async () => {
    const keys = await keyServer([first.jwk])
    const app = await authApp({ JWT_ISSUER: keys.base })
    const ok = await get(`${app.url}/protected`, bearer(await sign(first, { iss: keys.base })))
    expect(ok.status).toBe(200)
    expect(keys.jwksFetches()).toBe(1)
    const wrongIss = await get(`${app.url}/protected`, bearer(await sign(first, { iss: 'x' })))
    expect(wrongIss.status).toBe(401)
  })

  it('an issuer whose discovery is down is a 401 until it is back', async () => {
    const keys = await keyServer([first.jwk])
    await keys.stop()
    const app = await authApp({ JWT_ISSUER: keys.base }, { jwksRetrySeconds: 0 })
    const token = await sign(first, { iss: keys.base })
    expect((await get(`${app.url}/protected`, bearer(token))).status).toBe(401)
    expect(warnings(app)).toHaveLength(1)
    await keys.restart()
    expect((await get(`${app.url}/protected`, bearer(token))).status).toBe(200)
  })
})
