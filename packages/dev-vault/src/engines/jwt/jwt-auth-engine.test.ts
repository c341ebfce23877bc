/** @module dev-vault/engines/jwt/jwt-auth-engine.test: the JWT auth engine, with a JWKS on loopback HTTP. */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngineClient, recordingHost } from '../../testing/engine-client.js'
import { createJwtAuthEngine } from './jwt-auth-engine.js'

const NOW = 1_700_000_000
let server: Server
let base = ''
let signing: { privateKey: CryptoKey; publicKey: CryptoKey }
let stranger: { privateKey: CryptoKey; publicKey: CryptoKey }
let second: { privateKey: CryptoKey; publicKey: CryptoKey }

beforeAll(async () => {
  signing = await generateKeyPair('RS256')
  stranger = await generateKeyPair('RS256')
  second = await generateKeyPair('ES256')
  const jwk = { ...(await exportJWK(signing.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }
  const jwk2 = { ...(await exportJWK(second.publicKey)), kid: 'k2', use: 'sig' }
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    if (req.url === '/jwks') res.end(JSON.stringify({ keys: [jwk, jwk2] }))
    else if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer: base, jwks_uri: `${base}/jwks` }))
    } else {
      res.statusCode = 404
      res.end('{}')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

function setup() {
  const { host, issued } = recordingHost(
    () => NOW * 1000,
    () => ({ client_token: 'hvs.jwt', accessor: 'acc' }),
  )
  const engine = createJwtAuthEngine(host, {})
  const { call, fail } = createEngineClient(engine, 'jwt/', '')
  return { engine, call, fail, issued }
}

async function jwt(
  claims: Record<string, unknown>,
  key: CryptoKey = signing.privateKey,
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(key)
}

const baseClaims = {
  iss: 'https://issuer.test',
  sub: 'alice',
  aud: 'vault',
  iat: NOW - 10,
  exp: NOW + 300,
  team: 'blue',
  email: 'alice@example.test',
}

describe('jwt config', () => {
  it('requires exactly one key source and stores nothing otherwise', async () => {
    const { fail } = setup()
    const none = await fail('update', 'config', { bound_issuer: 'x' })
    expect([none.status, none.errors]).toEqual([
      400,
      [
        "exactly one of 'jwt_validation_pubkeys', 'jwks_url', 'jwks_pairs' or 'oidc_discovery_url' must be set",
      ],
    ])
    const pem = await exportSPKI(signing.publicKey)
    expect(
      (await fail('update', 'config', { jwks_url: `${base}/jwks`, jwt_validation_pubkeys: [pem] }))
        .status,
    ).toBe(400)
    expect((await fail('read', 'config')).status).toBe(404)
  })

  it('fetches the JWKS URL at write time and refuses an unusable one', async () => {
    const { call, fail } = setup()
    const bad = await fail('update', 'config', { jwks_url: `${base}/missing` })
    expect(bad.errors).toEqual([`error checking jwks URL ${base}/missing`])
    expect(await call('update', 'config', { jwks_url: `${base}/jwks`, bound_issuer: 'i' })).toEqual(
      { kind: 'envelope' },
    )
    const read = await call('read', 'config')
    expect(read).toMatchObject({
      kind: 'envelope',
      data: { jwks_url: `${base}/jwks`, bound_issuer: 'i', jwt_validation_pubkeys: [] },
    })
  })

  it('validates the OIDC discovery document and PEM keys', async () => {
    const { call, fail } = setup()
    expect(await call('update', 'config', { oidc_discovery_url: base })).toEqual({
      kind: 'envelope',
    })
    expect((await fail('update', 'config', { oidc_discovery_url: `${base}/` })).errors).toEqual([
      'error checking oidc discovery URL',
    ])
    expect((await fail('update', 'config', { jwt_validation_pubkeys: ['not a pem'] })).status).toBe(
      400,
    )
    expect(
      (await fail('update', 'config', { jwks_url: `${base}/jwks`, jwt_supported_algs: 'HS256' }))
        .status,
    ).toBe(400)
  })
})

describe('jwt roles', () => {
  it('enforces role_type, user_claim and the bound-constraint rule', async () => {
    const { fail, call, engine } = setup()
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { user_claim: 'sub', bound_audiences: 'vault' },
        "'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified.",
      ],
      [{ role_type: 'jwt', bound_audiences: 'vault' }, 'a user claim must be defined on the role'],
      [
        { role_type: 'jwt', user_claim: 'sub' },
        'must have at least one bound constraint when creating/updating a role',
      ],
      [{ role_type: 'saml', user_claim: 'sub' }, "invalid 'role_type': saml"],
    ]
    for (const [data, message] of cases) {
      const e = await fail('create', 'role/r', data)
      expect([e.status, e.errors]).toEqual([400, [message]])
    }
    expect(engine.exists?.('role/r', {})).toBe(false)
    expect(
      await call('create', 'role/r', {
        role_type: 'jwt',
        user_claim: 'sub',
        bound_subject: 'alice',
        token_policies: 'p1',
        token_ttl: '1h',
      }),
    ).toEqual({ kind: 'envelope' })
    const read = await call('read', 'role/r')
    expect(read).toMatchObject({
      data: {
        role_type: 'jwt',
        user_claim: 'sub',
        bound_subject: 'alice',
        bound_audiences: null,
        token_policies: ['p1'],
        token_ttl: 3600,
      },
    })
    expect(await call('list', 'role/')).toMatchObject({ data: { keys: ['r'] } })
  })
})

describe('jwt login', () => {
  async function configured() {
    const ctx = setup()
    await ctx.call('update', 'config', {
      jwks_url: `${base}/jwks`,
      bound_issuer: 'https://issuer.test',
    })
    await ctx.call('create', 'role/dev', {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_audiences: 'vault',
      bound_claims: { team: ['blue', 'green'] },
      claim_mappings: { email: 'email' },
      token_policies: ['dev'],
      token_ttl: 900,
    })
    return ctx
  }

  it('issues a token with the role’s policies, TTL and claim metadata', async () => {
    const { call, issued } = await configured()
    const res = await call('update', 'login', { role: 'dev', jwt: await jwt(baseClaims) })
    expect(res).toMatchObject({ kind: 'envelope', data: null, auth: { client_token: 'hvs.jwt' } })
    expect(issued[0]).toMatchObject({
      policies: ['dev'],
      ttl: 900,
      meta: { role: 'dev', email: 'alice@example.test' },
      displayName: 'jwt-alice',
      path: 'auth/jwt/login',
    })
  })

  it('rejects bad logins with the plugin’s messages, in its order', async () => {
    const { fail, engine } = await configured()
    expect(engine.isUnauthenticated?.('login', 'update')).toBe(true)
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ jwt: 'x' }, 'missing role'],
      [{ role: 'nope', jwt: 'x' }, 'role "nope" could not be found'],
      [{ role: 'dev' }, 'missing token'],
      [
        { role: 'dev', jwt: await jwt(baseClaims, stranger.privateKey) },
        'error validating token: error verifying token signature: failed to verify id token signature',
      ],
      [
        { role: 'dev', jwt: await jwt({ ...baseClaims, iss: 'other' }) },
        'error validating token: invalid issuer (iss) claim',
      ],
      [
        { role: 'dev', jwt: await jwt({ ...baseClaims, aud: 'other' }) },
        'error validating token: invalid audience (aud) claim: audience claim does not match any expected audience',
      ],
      [
        { role: 'dev', jwt: await jwt({ ...baseClaims, iat: NOW - 4000, exp: NOW - 1000 }) },
        'error validating token: invalid expiration time (exp) claim: token is expired',
      ],
      [
        { role: 'dev', jwt: await jwt({ ...baseClaims, iat: undefined, exp: undefined }) },
        'error validating token: no issued at (iat), not before (nbf), or expiration time (exp) claims in token',
      ],
      [
        { role: 'dev', jwt: await jwt({ ...baseClaims, sub: undefined }) },
        'claim "sub" not found in token',
      ],
      [
        { role: 'dev', jwt: await jwt({ ...baseClaims, team: 'red' }) },
        'error validating claims: claim "team" does not match any associated bound claim values',
      ],
      [
        { role: 'dev', jwt: await jwt({ ...baseClaims, team: undefined }) },
        'error validating claims: claim "team" is missing',
      ],
    ]
    for (const [data, message] of cases) {
      const e = await fail('update', 'login', data)
      expect([e.status, e.errors]).toEqual([400, [message]])
    }
  })

  it('refuses an audience when the role binds none', async () => {
    const { call, fail } = await configured()
    await call('create', 'role/subonly', {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_subject: 'alice',
    })
    const e = await fail('update', 'login', { role: 'subonly', jwt: await jwt(baseClaims) })
    expect(e.errors).toEqual(['audience claim found in JWT but no audiences bound to the role'])
    const noAud = await jwt({ ...baseClaims, aud: undefined })
    expect(await call('update', 'login', { role: 'subonly', jwt: noAud })).toMatchObject({
      auth: { client_token: 'hvs.jwt' },
    })
  })

  it('matches glob, numeric and boolean bound claims as Go compares them', async () => {
    const { call, fail } = setup()
    await call('update', 'config', { jwks_url: `${base}/jwks` })
    await call('create', 'role/glob', {
      role_type: 'jwt',
      user_claim: '/profile/login',
      user_claim_json_pointer: true,
      bound_claims_type: 'glob',
      bound_claims: { email: '*@example.test' },
    })
    await call('create', 'role/typed', {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_claims: { level: 3, admin: true },
    })
    const claims = { ...baseClaims, aud: undefined, profile: { login: 'al' } }
    expect(await call('update', 'login', { role: 'glob', jwt: await jwt(claims) })).toMatchObject({
      auth: { client_token: 'hvs.jwt' },
    })
    const other = await fail('update', 'login', {
      role: 'glob',
      jwt: await jwt({ ...claims, email: 'al@evil.test' }),
    })
    expect(other.errors[0]).toMatch(/does not match any associated bound claim values$/)
    const typed = { ...baseClaims, aud: undefined, level: 3, admin: true }
    expect(await call('update', 'login', { role: 'typed', jwt: await jwt(typed) })).toMatchObject({
      auth: { client_token: 'hvs.jwt' },
    })
    const asString = await fail('update', 'login', {
      role: 'typed',
      jwt: await jwt({ ...typed, level: '3' }),
    })
    expect(asString.status).toBe(400)
    const glob = await fail('create', 'role/badglob', {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_claims_type: 'glob',
      bound_claims: { level: 3 },
    })
    expect(glob.errors).toEqual(['claim is not a string: 3'])
  })

  it('tries every JWKS key for a token without kid, only the named one otherwise', async () => {
    const { call, fail } = setup()
    await call('update', 'config', { jwks_url: `${base}/jwks` })
    await call('create', 'role/r', { role_type: 'jwt', user_claim: 'sub', bound_subject: 'alice' })
    const claims = { ...baseClaims, aud: undefined }
    const noKid = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256' })
      .sign(second.privateKey)
    expect(await call('update', 'login', { role: 'r', jwt: noKid })).toMatchObject({
      auth: { client_token: 'hvs.jwt' },
    })
    const wrongKid = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .sign(second.privateKey)
    expect((await fail('update', 'login', { role: 'r', jwt: wrongKid })).errors[0]).toMatch(
      /error verifying token signature/,
    )
  })

  it('applies only the clock skew to time claims a token has, the leeways to missing ones', async () => {
    const { call, fail } = setup()
    await call('update', 'config', { jwks_url: `${base}/jwks` })
    const role = (name: string, extra: Record<string, unknown> = {}) =>
      call('create', `role/${name}`, {
        role_type: 'jwt',
        user_claim: 'sub',
        bound_subject: 'alice',
        ...extra,
      })
    await role('defaults')
    await role('noskew', { clock_skew_leeway: -1 })
    await role('longexp', { expiration_leeway: 400 })
    await role('longnbf', { not_before_leeway: 4000 })
    const claims = { ...baseClaims, aud: undefined }
    const login = async (roleName: string, times: Record<string, number | undefined>) => {
      const token = await jwt({ ...claims, iat: undefined, exp: undefined, ...times })
      try {
        await call('update', 'login', { role: roleName, jwt: token })
        return 'ok'
      } catch (e) {
        return (e as { errors: string[] }).errors[0]?.replace('error validating token: ', '')
      }
    }
    const expired = 'invalid expiration time (exp) claim: token is expired'
    const early = 'invalid not before (nbf) claim: token not yet valid'
    // A present exp gets the 60 s clock skew only, never the 150 s expiration leeway.
    expect(await login('defaults', { iat: NOW - 500, exp: NOW - 30 })).toBe('ok')
    expect(await login('defaults', { iat: NOW - 500, exp: NOW - 100 })).toBe(expired)
    expect(await login('noskew', { iat: NOW - 500, exp: NOW - 1 })).toBe(expired)
    // No exp: max(iat, nbf) + expiration leeway (150 s by default).
    expect(await login('defaults', { iat: NOW - 200 })).toBe('ok')
    expect(await login('defaults', { iat: NOW - 300 })).toBe(expired)
    expect(await login('longexp', { iat: NOW - 300 })).toBe('ok')
    // Only exp: nbf = exp - not-before leeway, so a far-future exp is not yet valid.
    expect(await login('defaults', { exp: NOW + 120 })).toBe('ok')
    expect(await login('defaults', { exp: NOW + 3600 })).toBe(early)
    expect(await login('longnbf', { exp: NOW + 3600 })).toBe('ok')
    // A future iat without nbf is the nbf; with an nbf it is checked itself.
    expect(await login('defaults', { iat: NOW + 3600, exp: NOW + 7200 })).toBe(early)
    expect(await login('defaults', { nbf: NOW - 10, iat: NOW + 3600, exp: NOW + 7200 })).toBe(
      'invalid issued at (iat) claim: token issued in the future',
    )
    expect(await login('defaults', { iat: NOW + 50, exp: NOW + 300 })).toBe('ok')
    // Issuer, subject and audience come before the time claims (cap v0.3.0, Vault 1.14+).
    expect(
      await fail('update', 'login', { role: 'defaults', jwt: await jwt({ sub: 'bob' }) }),
    ).toMatchObject({
      errors: ['error validating token: invalid subject (sub) claim'],
    })
  })

  it('needs the groups claim when the role names one: present, a string or a list of strings', async () => {
    const { call, fail } = setup()
    await call('update', 'config', { jwks_url: `${base}/jwks` })
    await call('create', 'role/g', {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_subject: 'alice',
      groups_claim: 'groups',
    })
    const claims = { ...baseClaims, aud: undefined }
    const errorsFor = async (extra: Record<string, unknown>) =>
      (await fail('update', 'login', { role: 'g', jwt: await jwt({ ...claims, ...extra }) })).errors
    expect(await errorsFor({})).toEqual([
      'failed to fetch groups: "groups" claim not found in token',
    ])
    expect(await errorsFor({ groups: { a: 1 } })).toEqual([
      '"groups" claim could not be converted to string list',
    ])
    expect(await errorsFor({ groups: ['ok', 3] })).toEqual([
      'value 3 in groups claim could not be parsed as string',
    ])
    for (const groups of ['ops', ['ops', 'dev']]) {
      const res = await call('update', 'login', {
        role: 'g',
        jwt: await jwt({ ...claims, groups }),
      })
      expect(res).toMatchObject({ auth: { client_token: 'hvs.jwt' } })
    }
  })

  it('names the alias after the user claim, with the claim mappings and the role as metadata', async () => {
    const { call, issued } = await configured()
    await call('update', 'login', { role: 'dev', jwt: await jwt(baseClaims) })
    expect(issued[0]?.alias).toEqual({
      name: 'alice',
      metadata: { role: 'dev', email: 'alice@example.test' },
    })
  })

  it('refuses a mapped claim that is not a string and the reserved metadata key', async () => {
    const { call, fail } = setup()
    await call('update', 'config', { jwks_url: `${base}/jwks` })
    const reserved = await fail('create', 'role/m', {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_subject: 'alice',
      claim_mappings: { team: 'role' },
    })
    expect(reserved.errors).toEqual([
      'metadata key "role" is reserved and may not be a mapping destination',
    ])
    await call('create', 'role/m', {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_subject: 'alice',
      claim_mappings: { groups: 'groups' },
    })
    const e = await fail('update', 'login', {
      role: 'm',
      jwt: await jwt({ ...baseClaims, aud: undefined, groups: ['a'] }),
    })
    expect(e.errors).toEqual(["error converting claim 'groups' to string"])
  })

  it('logs in through an OIDC discovery config (JWKS found via jwks_uri)', async () => {
    const { call } = setup()
    await call('update', 'config', { oidc_discovery_url: base })
    await call('create', 'role/d', {
      role_type: 'jwt',
      user_claim: 'email',
      bound_subject: 'alice',
    })
    const res = await call('update', 'login', {
      role: 'D',
      jwt: await jwt({ ...baseClaims, aud: undefined }),
    })
    expect(res).toMatchObject({ auth: { client_token: 'hvs.jwt' } })
  })

  it('verifies with static PEM keys and answers without config', async () => {
    const { call, fail } = setup()
    expect((await fail('update', 'login', { role: 'r', jwt: 'x' })).errors).toEqual([
      'could not load configuration',
    ])
    await call('update', 'config', {
      jwt_validation_pubkeys: [await exportSPKI(signing.publicKey)],
      default_role: 'r',
    })
    await call('create', 'role/r', {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_audiences: 'vault',
    })
    expect(await call('update', 'login', { jwt: await jwt(baseClaims) })).toMatchObject({
      auth: { client_token: 'hvs.jwt' },
    })
    const forged = await fail('update', 'login', {
      jwt: await jwt(baseClaims, stranger.privateKey),
    })
    expect(forged.errors[0]).toMatch(/^error validating token: error verifying token signature/)
  })
})
