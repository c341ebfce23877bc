/**
 * @module test/security/jwt: issue 12 item 7. A JWKS or OIDC issuer signs tokens for many
 * applications: only tokens for this bridge (issuer and audience), short-lived, of an access-token
 * type, and with scopes they name, are accepted. Over real HTTP to a bridge whose JWKS is served
 * by a real local HTTP server.
 */
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWTPayload } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomKey, send, startBridge, type Bridge } from '../helpers/bridge-process.js'
import { spawnCli } from '../helpers/cli.js'
import { startKeyServer, type KeyServer } from '../helpers/auth-app.js'

const ISSUER = 'https://idp.example.test/realms/agents'
const AUDIENCE = 'vault-mcp-bridge'
const OTHER_APP = 'https://some-other-app.example'
const VICTIM_VALUE = 'agent-jwt-secret-value-91f3'

let keys: KeyServer
let privateKey: CryptoKey
let bridge: Bridge
const apiKey = randomKey('agent-jwt')

const now = () => Math.floor(Date.now() / 1000)
const token = (claims: JWTPayload, typ = 'JWT') =>
  new SignJWT({
    sub: 'agent_jwt',
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now(),
    exp: now() + 600,
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'idp-1', typ })
    .sign(privateKey)
const bearer = async (claims: JWTPayload, typ?: string) => ({
  authorization: `Bearer ${await token(claims, typ)}`,
})

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true })
  privateKey = pair.privateKey
  keys = await startKeyServer({
    keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'idp-1', alg: 'RS256' }],
  })
  bridge = await startBridge({
    JWT_JWKS_URL: keys.jwksUrl,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    API_KEYS_JSON: JSON.stringify({ [apiKey]: 'agent_jwt' }),
  })
  const put = await send(bridge.url, '/secrets/db/pw', {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ data: { password: VICTIM_VALUE } }),
  })
  expect(put.status).toBe(200)
}, 120_000)

afterAll(async () => {
  await bridge?.stop()
  await keys?.stop()
})

describe('JWT from a JWKS or OIDC issuer', () => {
  it('a JWKS token issued for another application is refused', async () => {
    // As the issue found it: only JWT_JWKS_URL set. That configuration no longer starts.
    const run = spawnCli(['check-config'], { JWT_JWKS_URL: keys.jwksUrl }, 20_000)
    expect(await run.exited, run.output()).toBe(2)
    expect(run.stderr()).toMatch(/^\s*JWT_ISSUER: /m)
    expect(run.stderr()).toMatch(/^\s*JWT_AUDIENCE: /m)
    // Configured with both, a token for another audience is refused.
    const r = await send(bridge.url, '/secrets/db/pw', {
      headers: await bearer({ aud: OTHER_APP, scope: 'read' }),
    })
    expect(r.status).toBe(401)
    expect(r.text).not.toContain(VICTIM_VALUE)
  })

  it('a JWKS token without a scope claim gets no scopes', async () => {
    const headers = await bearer({})
    const who = await send(bridge.url, '/whoami', { headers })
    expect(who.status).toBe(200)
    expect(who.json).toMatchObject({ agent: 'agent_jwt', method: 'jwt', scopes: [] })
    const read = await send(bridge.url, '/secrets/db/pw', { headers })
    expect(read.status).toBe(403)
    expect(read.json.error.code).toBe('FORBIDDEN')
    expect(read.headers['www-authenticate']).toMatch(/error="insufficient_scope", scope="read"/)
    expect(read.text).not.toContain(VICTIM_VALUE)
    const write = await send(bridge.url, '/secrets/db/pw', {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { password: 'overwritten' } }),
    })
    expect(write.status).toBe(403)
    const after = await send(bridge.url, '/secrets/db/pw', { headers: { 'x-api-key': apiKey } })
    expect(after.json.data).toEqual({ password: VICTIM_VALUE })
  })

  it('a token that lives longer than JWT_MAX_LIFETIME is refused', async () => {
    for (const claims of [{ exp: 1e20 }, { exp: now() + 30 * 86400 }]) {
      const r = await send(bridge.url, '/secrets/db/pw', {
        headers: await bearer({ ...claims, scope: 'read' }),
      })
      expect(r.status).toBe(401)
      expect(r.text).not.toContain(VICTIM_VALUE)
    }
    // The control: the same token living ten minutes reads the secret.
    const ok = await send(bridge.url, '/secrets/db/pw', {
      headers: await bearer({ exp: now() + 600, scope: 'read' }),
    })
    expect(ok.status).toBe(200)
    expect(ok.json.data).toEqual({ password: VICTIM_VALUE })
  })

  it('a token whose typ is not an access-token type is refused', async () => {
    for (const typ of ['logout+jwt', 'dpop+jwt', 'secevent+jwt']) {
      const r = await send(bridge.url, '/secrets/db/pw', {
        headers: await bearer({ scope: 'read' }, typ),
      })
      expect(r.status).toBe(401)
      expect(r.text).not.toContain(VICTIM_VALUE)
    }
    // The control: the same token as an access token reads the secret.
    const ok = await send(bridge.url, '/secrets/db/pw', {
      headers: await bearer({ scope: 'read' }, 'at+jwt'),
    })
    expect(ok.status).toBe(200)
  })
})
