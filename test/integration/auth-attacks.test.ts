/** @module test/integration/auth-attacks: the issue's attack matrix, over real HTTP, and every valid path. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  SignJWT,
  base64url,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose'
import { proxyEnv, proxyHeaders } from '../helpers/mtls-proxy.js'
import {
  get,
  startAuthApp,
  startKeyServer,
  type AuthApp,
  type KeyServer,
} from '../helpers/auth-app.js'

const SECRET = 'an-hs256-secret-of-at-least-32-bytes!!'
const ISSUER = 'https://issuer.test/realms/mcp'
const AUDIENCE = 'vault-mcp-bridge'
const RESOURCE = 'http://bridge.test/mcp'
const METADATA = 'http://bridge.test/.well-known/oauth-protected-resource/mcp'
const API_KEY = 'key-agent-api-0123456789abcdef'
const API_KEY_RO = 'key-agent-ro-0123456789abcdef'
const API_KEY_JWT_AGENT = 'key-agent-jwt-0123456789abcdef'

const INVALID_TOKEN = `Bearer error="invalid_token", resource_metadata="${METADATA}"`
const NO_CREDENTIAL = `Bearer resource_metadata="${METADATA}"`

const now = () => Math.floor(Date.now() / 1000)
const validClaims = (): JWTPayload => ({
  sub: 'agent_jwt',
  iss: ISSUER,
  aud: [AUDIENCE, RESOURCE],
  iat: now(),
  exp: now() + 600,
})

let rsa: { privateKey: CryptoKey; publicKey: CryptoKey; jwk: JWK }
let attacker: { privateKey: CryptoKey; publicKey: CryptoKey }
let ec: { privateKey: CryptoKey; jwk: JWK }
let ed: { privateKey: CryptoKey; jwk: JWK }
let keys: KeyServer
let app: AuthApp
let untrustingApp: AuthApp
let jwksOnlyApp: AuthApp
let opensslApp: AuthApp

const hs256 = (claims: JWTPayload, header: Record<string, unknown> = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...header })
    .sign(new TextEncoder().encode(SECRET))

const rs256 = (
  claims: JWTPayload,
  header: Record<string, unknown> = { kid: 'rsa-1' },
  key = rsa.privateKey,
) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', ...header }).sign(key)

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

const baseEnv = () => ({
  AUTH_API_KEY_ENABLED: 'true',
  AUTH_JWT_ENABLED: 'true',
  ...proxyEnv(),
  API_KEYS_JSON: JSON.stringify({
    [API_KEY]: 'agent_api',
    [API_KEY_RO]: { agent: 'agent_ro', scopes: ['read', 'list'] },
    [API_KEY_JWT_AGENT]: { agent: 'agent_jwt', scopes: ['read', 'write'] },
  }),
  JWT_HS256_SECRET: SECRET,
  JWT_JWKS_URL: keys.jwksUrl,
  JWT_ISSUER: ISSUER,
  JWT_AUDIENCE: AUDIENCE,
  OAUTH_RESOURCE: RESOURCE,
  OAUTH_AUTHORIZATION_SERVERS: ISSUER,
})

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true })
  rsa = { ...pair, jwk: { ...(await exportJWK(pair.publicKey)), kid: 'rsa-1', alg: 'RS256' } }
  attacker = await generateKeyPair('RS256', { extractable: true })
  const ecPair = await generateKeyPair('ES256', { extractable: true })
  ec = { ...ecPair, jwk: { ...(await exportJWK(ecPair.publicKey)), kid: 'ec-1', alg: 'ES256' } }
  const edPair = await generateKeyPair('EdDSA', { extractable: true })
  ed = { ...edPair, jwk: { ...(await exportJWK(edPair.publicKey)), kid: 'ed-1', alg: 'EdDSA' } }
  keys = await startKeyServer({ keys: [rsa.jwk, ec.jwk, ed.jwk] })
  app = await startAuthApp(baseEnv())
  untrustingApp = await startAuthApp({ ...baseEnv(), ...proxyEnv('10.0.0.0/8') })
  opensslApp = await startAuthApp({ ...baseEnv(), MTLS_DN_FORMAT: 'openssl' })
  const { JWT_HS256_SECRET: _, ...noSecret } = baseEnv()
  jwksOnlyApp = await startAuthApp(noSecret)
})

afterAll(async () => {
  await Promise.all([app, untrustingApp, jwksOnlyApp, opensslApp].map((a) => a?.close()))
  await keys?.stop()
})

describe('JWT attacks are refused with 401 and error="invalid_token"', () => {
  const cases: [string, () => Promise<string>][] = [
    [
      'alg: none',
      async () => {
        const h = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))
        const p = base64url.encode(JSON.stringify(validClaims()))
        return `${h}.${p}.`
      },
    ],
    [
      'HS256 signed with the RSA public key as the secret (algorithm confusion)',
      async () =>
        new SignJWT(validClaims())
          .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
          .sign(new TextEncoder().encode(await exportSPKI(rsa.publicKey))),
    ],
    ['expired', () => hs256({ ...validClaims(), iat: now() - 7200, exp: now() - 3600 })],
    ['nbf in the future', () => hs256({ ...validClaims(), nbf: now() + 3600 })],
    ['iat in the future', () => hs256({ ...validClaims(), iat: now() + 3600 })],
    ['no exp', () => hs256({ ...validClaims(), exp: undefined })],
    ['wrong iss', () => hs256({ ...validClaims(), iss: 'https://evil.test' })],
    ['no iss', () => hs256({ ...validClaims(), iss: undefined })],
    ['wrong aud', () => hs256({ ...validClaims(), aud: 'someone-else' })],
    [
      'aud without OAUTH_RESOURCE (a token issued for another resource)',
      () => hs256({ ...validClaims(), aud: [AUDIENCE, 'http://other.test/mcp'] }),
    ],
    ['no sub', () => hs256({ ...validClaims(), sub: undefined })],
    ['empty sub', () => hs256({ ...validClaims(), sub: '' })],
    [
      'wrong HS256 secret',
      () =>
        new SignJWT(validClaims())
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode('x'.repeat(40))),
    ],
    [
      'HS512 (not in JWT_ALGORITHMS)',
      () =>
        new SignJWT(validClaims())
          .setProtectedHeader({ alg: 'HS512' })
          .sign(new TextEncoder().encode(SECRET.repeat(2))),
    ],
    ['a 16 KB token', () => hs256({ ...validClaims(), pad: 'p'.repeat(11_900) })],
    ['a 9 KB token', () => hs256({ ...validClaims(), pad: 'p'.repeat(6_600) })],
    ['a kid that is not in the JWKS', () => rs256(validClaims(), { kid: 'unknown-kid' })],
    [
      "the JWKS kid but the attacker's key",
      () => rs256(validClaims(), { kid: 'rsa-1' }, attacker.privateKey),
    ],
    [
      "a jwk header carrying the attacker's key",
      async () =>
        rs256(validClaims(), { jwk: await exportJWK(attacker.publicKey) }, attacker.privateKey),
    ],
    [
      "a jku header pointing at the attacker's JWKS",
      () =>
        rs256(
          validClaims(),
          { kid: 'rsa-1', jku: 'http://127.0.0.1:9/jwks.json' },
          attacker.privateKey,
        ),
    ],
    [
      'an x5u header',
      () => rs256(validClaims(), { kid: 'rsa-1', x5u: 'http://127.0.0.1:9/cert.pem' }),
    ],
    ['garbage', async () => 'not.a.jwt'],
    [
      'a tampered payload',
      async () => {
        const [h, , s] = (await hs256(validClaims())).split('.')
        const p = base64url.encode(JSON.stringify({ ...validClaims(), sub: 'agent_api' }))
        return `${h}.${p}.${s}`
      },
    ],
  ]

  it.each(cases)('%s', async (_, make) => {
    const token = await make()
    const res = await get(`${app.url}/protected`, bearer(token))
    expect(res.status).toBe(401)
    expect(res.challenge).toBe(INVALID_TOKEN)
    expect((res.body.error as { code: string }).code).toBe('UNAUTHENTICATED')
    expect(JSON.stringify(res.body)).not.toContain(token)
  })

  it('refuses the algorithm-confusion token also when only a JWKS is configured', async () => {
    const token = await new SignJWT(validClaims())
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .sign(new TextEncoder().encode(await exportSPKI(rsa.publicKey)))
    const res = await get(`${jwksOnlyApp.url}/protected`, bearer(token))
    expect(res.status).toBe(401)
    expect(res.challenge).toBe(INVALID_TOKEN)
  })

  it('refuses a 16 KB token before parsing it (a token at Node’s header limit)', async () => {
    const token = await hs256({ ...validClaims(), pad: 'p'.repeat(11_900) })
    expect(token.length).toBeGreaterThan(16_000)
    const res = await get(`${app.url}/protected`, bearer(token))
    expect(res.status).toBe(401)
  })

  it('refuses a malformed Authorization: Bearer header', async () => {
    const res = await get(`${app.url}/protected`, { authorization: 'Bearer' })
    expect(res.status).toBe(401)
    expect(res.challenge).toBe(INVALID_TOKEN)
  })
})

describe('identities that are not valid agent ids are refused with 403', () => {
  it.each(['agent/other', '..', '../agent_api', 'a b', 'agent--x', '-agent', 'x'.repeat(65)])(
    'sub %j',
    async (sub) => {
      const res = await get(`${app.url}/protected`, bearer(await hs256({ ...validClaims(), sub })))
      expect(res.status).toBe(403)
      expect((res.body.error as { code: string }).code).toBe('FORBIDDEN')
      expect(res.challenge).toBeNull()
    },
  )

  it('an mTLS CN that is not an agent id', async () => {
    const res = await get(`${app.url}/protected`, proxyHeaders('CN=../agent_api,O=Example'))
    expect(res.status).toBe(403)
  })
})

describe('API key and mixed-credential attacks', () => {
  it.each([
    ['one character off', API_KEY.slice(0, -1) + 'g'],
    ['a prefix', API_KEY.slice(0, 12)],
    ['with a trailing byte', `${API_KEY}x`],
  ])('a near-miss API key (%s) is 401 invalid_token', async (_, key) => {
    const res = await get(`${app.url}/protected`, { 'x-api-key': key })
    expect(res.status).toBe(401)
    expect(res.challenge).toBe(INVALID_TOKEN)
    expect(JSON.stringify(res.body)).not.toContain(API_KEY)
  })

  it('an API key and a JWT naming different agents are 401', async () => {
    const res = await get(`${app.url}/protected`, {
      'x-api-key': API_KEY,
      ...bearer(await hs256(validClaims())),
    })
    expect(res.status).toBe(401)
    expect(res.challenge).toBe(INVALID_TOKEN)
  })

  it('a valid API key does not rescue an invalid JWT (no fall-through)', async () => {
    const res = await get(`${app.url}/protected`, {
      'x-api-key': API_KEY,
      ...bearer(await hs256({ ...validClaims(), sub: 'agent_api', exp: now() - 3600 })),
    })
    expect(res.status).toBe(401)
    expect(res.challenge).toBe(INVALID_TOKEN)
  })

  it('a valid JWT does not rescue an invalid API key', async () => {
    const res = await get(`${app.url}/protected`, {
      'x-api-key': 'nope-nope-nope',
      ...bearer(await hs256(validClaims())),
    })
    expect(res.status).toBe(401)
  })

  it('mTLS headers naming another agent than the API key are 401', async () => {
    const res = await get(`${app.url}/protected`, {
      'x-api-key': API_KEY,
      ...proxyHeaders('CN=agent_mtls'),
    })
    expect(res.status).toBe(401)
  })

  it('no credential is 401 without error=', async () => {
    const res = await get(`${app.url}/protected`)
    expect(res.status).toBe(401)
    expect(res.challenge).toBe(NO_CREDENTIAL)
  })

  it('another Authorization scheme is no credential', async () => {
    const res = await get(`${app.url}/protected`, { authorization: 'Basic YWdlbnQ6cHc=' })
    expect(res.status).toBe(401)
    expect(res.challenge).toBe(NO_CREDENTIAL)
  })
})

describe('mTLS header attacks', () => {
  const ok = proxyHeaders('CN=agent_mtls,O=Example')

  it('spoofed headers from a peer outside MTLS_TRUSTED_PROXIES are ignored (401) and logged', async () => {
    const before = untrustingApp.lines.filter((l) => l.level === 'warn').length
    const res = await get(`${untrustingApp.url}/protected`, ok)
    expect(res.status).toBe(401)
    expect(res.challenge).toBe(NO_CREDENTIAL)
    expect(untrustingApp.lines.filter((l) => l.level === 'warn').length).toBe(before + 1)
  })

  it('spoofed headers from an untrusted peer do not change who an API key is', async () => {
    const res = await get(`${untrustingApp.url}/protected`, { ...ok, 'x-api-key': API_KEY })
    expect(res.status).toBe(200)
    expect(res.body.principal).toMatchObject({ agent: 'agent_api', method: 'api_key' })
  })

  it.each(['FAILED', 'FAILED:self signed certificate', 'NONE', 'success', 'SUCCESS '])(
    'verify header %j: headers ignored, 401',
    async (verify) => {
      const res = await get(`${app.url}/protected`, { ...ok, 'x-ssl-client-verify': verify })
      // Header values are trimmed on the wire, so "SUCCESS " arrives as SUCCESS: accepted.
      if (verify === 'SUCCESS ') {
        expect(res.status).toBe(200)
        return
      }
      expect(res.status).toBe(401)
      expect(res.challenge).toBe(NO_CREDENTIAL)
    },
  )

  it.each(['O=Example,C=US', '/O=Example/C=US', 'garbage'])(
    'a verified DN without CN (%s) is 401 invalid_token',
    async (dn) => {
      const res = await get(`${app.url}/protected`, { ...ok, 'x-ssl-client-s-dn': dn })
      expect(res.status).toBe(401)
      expect(res.challenge).toBe(INVALID_TOKEN)
    },
  )
})

describe('valid credentials are accepted', () => {
  it('API key (plain entry: all four scopes)', async () => {
    const res = await get(`${app.url}/protected`, { 'x-api-key': API_KEY })
    expect(res.status).toBe(200)
    expect(res.body.principal).toEqual({
      agent: 'agent_api',
      scopes: ['read', 'write', 'delete', 'list'],
      method: 'api_key',
    })
  })

  it('HS256 JWT with scopes as an array', async () => {
    const token = await hs256({ ...validClaims(), scopes: ['read', 'list'] })
    const res = await get(`${app.url}/protected`, bearer(token))
    expect(res.status).toBe(200)
    expect(res.body.principal).toEqual({
      agent: 'agent_jwt',
      scopes: ['read', 'list'],
      method: 'jwt',
    })
  })

  it.each([
    ['scope (OAuth, space-separated)', { scope: 'openid read write' }, ['read', 'write']],
    ['scopes as a string', { scopes: 'delete,list' }, ['delete', 'list']],
    ['scp', { scp: ['list'] }, ['list']],
    ['none: JWT_DEFAULT_SCOPES', {}, ['read', 'write', 'delete', 'list']],
    ['only unknown scopes: none', { scope: 'openid profile' }, []],
  ])('HS256 JWT with %s', async (_, extra, scopes) => {
    const res = await get(
      `${app.url}/protected`,
      bearer(await hs256({ ...validClaims(), ...extra })),
    )
    expect(res.status).toBe(200)
    expect((res.body.principal as { scopes: string[] }).scopes).toEqual(scopes)
  })

  it('a token inside the clock tolerance (nbf 10s ahead, exp 10s ago)', async () => {
    const res = await get(
      `${app.url}/protected`,
      bearer(await hs256({ ...validClaims(), nbf: now() + 10, exp: now() - 10 })),
    )
    expect(res.status).toBe(200)
  })

  it('RS256 JWT verified with the JWKS', async () => {
    const res = await get(`${app.url}/protected`, bearer(await rs256(validClaims())))
    expect(res.status).toBe(200)
    expect(res.body.principal).toMatchObject({ agent: 'agent_jwt', method: 'jwt' })
  })

  it('ES256 and EdDSA JWTs verified with the JWKS', async () => {
    const es = await new SignJWT(validClaims())
      .setProtectedHeader({ alg: 'ES256', kid: 'ec-1' })
      .sign(ec.privateKey)
    const eddsa = await new SignJWT(validClaims())
      .setProtectedHeader({ alg: 'EdDSA', kid: 'ed-1' })
      .sign(ed.privateKey)
    expect((await get(`${app.url}/protected`, bearer(es))).status).toBe(200)
    expect((await get(`${jwksOnlyApp.url}/protected`, bearer(eddsa))).status).toBe(200)
  })

  it.each([
    ['RFC 2253', 'CN=agent_mtls,O=Example\\, Inc.,C=US', () => app],
    ['OpenSSL, with MTLS_DN_FORMAT=openssl', '/C=US/O=Example/CN=agent_mtls', () => opensslApp],
  ])('mTLS identity from the trusted proxy (%s DN)', async (_, dn, target) => {
    const res = await get(`${target().url}/protected`, proxyHeaders(dn))
    expect(res.status).toBe(200)
    expect(res.body.principal).toEqual({
      agent: 'agent_mtls',
      scopes: ['read', 'write', 'delete', 'list'],
      method: 'mtls',
    })
  })

  it('an API key and a JWT naming the same agent: the scopes both grant', async () => {
    const res = await get(`${app.url}/protected`, {
      'x-api-key': API_KEY_JWT_AGENT,
      ...bearer(await hs256({ ...validClaims(), scopes: ['read', 'list'] })),
    })
    expect(res.status).toBe(200)
    expect(res.body.principal).toEqual({ agent: 'agent_jwt', scopes: ['read'], method: 'jwt' })
  })
})

describe('scopes', () => {
  it('a missing scope is 403 with error="insufficient_scope"', async () => {
    const res = await get(`${app.url}/needs/write`, { 'x-api-key': API_KEY_RO })
    expect(res.status).toBe(403)
    expect(res.challenge).toBe(
      `Bearer error="insufficient_scope", scope="write", resource_metadata="${METADATA}"`,
    )
    expect((await get(`${app.url}/needs/read`, { 'x-api-key': API_KEY_RO })).status).toBe(200)
  })
})

describe('credentials never reach the logs', () => {
  it('no API key, secret or token appears in any log line', async () => {
    const token = await hs256(validClaims())
    await get(`${app.url}/protected`, bearer(token))
    await get(`${app.url}/protected`, { 'x-api-key': `${API_KEY}zz` })
    const text = JSON.stringify([...app.lines, ...untrustingApp.lines, ...jwksOnlyApp.lines])
    for (const secret of [API_KEY, API_KEY_RO, SECRET, token]) expect(text).not.toContain(secret)
  })
})
