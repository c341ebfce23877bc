/** @module dev-vault/test/contract/jwt-auth.test: JWT auth (reference §5.2), JWKS served on loopback. */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ACL_DENIED,
  clientFor,
  contractServerHost,
  contractVault,
  enableAuth,
  failure,
  hcl,
  raw,
  tokenWithPolicy,
  uniqueName,
  type ContractVault,
} from './harness.js'
import { assertSince, GATES, has } from './versions.js'

let vault: ContractVault
let jwks: Server
let jwksUrl = ''
let mount: string
let base: string
let signer: { privateKey: CryptoKey; publicKey: CryptoKey }
let stranger: { privateKey: CryptoKey; publicKey: CryptoKey }

const ISSUER = 'https://issuer.contract.test'

beforeAll(async () => {
  vault = await contractVault()
  signer = await generateKeyPair('RS256')
  stranger = await generateKeyPair('RS256')
  const jwk = { ...(await exportJWK(signer.publicKey)), kid: 'contract', alg: 'RS256', use: 'sig' }
  jwks = createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    if (req.url === '/jwks') res.end(JSON.stringify({ keys: [jwk] }))
    else {
      res.statusCode = 404
      res.end('{}')
    }
  })
  const host = contractServerHost()
  await new Promise<void>((resolve) => jwks.listen(0, host.listen, resolve))
  jwksUrl = `http://${host.advertise}:${(jwks.address() as AddressInfo).port}/jwks`
  mount = await enableAuth(vault, 'jwt', 'jwt')
  base = `auth/${mount}`
})

afterAll(async () => {
  await new Promise<void>((resolve) => (jwks ? jwks.close(() => resolve()) : resolve()))
  await vault?.close()
})

/** A signed RS256 JWT; claims set to `undefined` are left out. */
async function token(
  claims: Record<string, unknown>,
  key: CryptoKey = signer.privateKey,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({
    iss: ISSUER,
    sub: 'alice',
    aud: 'vault',
    iat: now,
    exp: now + 300,
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'contract' })
    .sign(key)
}

/** A second JWT mount (root), for tests that need their own config. */
async function extraMount(): Promise<string> {
  return `auth/${await enableAuth(vault, 'jwt', 'jwt')}`
}

describe('jwt config', () => {
  it('refuses a config without exactly one key source (400) and stores nothing', async () => {
    const m = await extraMount()
    const none = await raw(vault, 'POST', `${m}/config`, { body: { bound_issuer: ISSUER } })
    expect(none.status).toBe(400)
    expect(none.json.errors[0]).toMatch(/^exactly one of 'jwt_validation_pubkeys', 'jwks_url'/)
    const two = await raw(vault, 'POST', `${m}/config`, {
      body: { jwks_url: jwksUrl, jwt_validation_pubkeys: [await exportSPKI(signer.publicKey)] },
    })
    expect(two.status).toBe(400)
    expect((await raw(vault, 'GET', `${m}/config`)).status).toBe(404)
  })

  it('checks the JWKS URL when the config is written', async () => {
    const m = await extraMount()
    const unreachable = await raw(vault, 'POST', `${m}/config`, {
      body: { jwks_url: jwksUrl.replace('/jwks', '/nothing-here') },
    })
    expect(unreachable.status).toBe(400)
    expect(unreachable.json.errors[0]).toMatch(/^error checking jwks URL/)
    expect((await raw(vault, 'GET', `${m}/config`)).status).toBe(404)
  })

  it('writes a JWKS config (204) and reads it back', async () => {
    const write = await raw(vault, 'POST', `${base}/config`, {
      body: { jwks_url: jwksUrl, bound_issuer: ISSUER },
    })
    expect(write.status).toBe(204)
    const read = await clientFor(vault).read(`${base}/config`)
    expect(read.data).toMatchObject({
      jwks_url: jwksUrl,
      bound_issuer: ISSUER,
      oidc_discovery_url: '',
      jwt_validation_pubkeys: [],
      default_role: '',
    })
  })

  it('refuses config writes without the capability (403)', async () => {
    const { token: t } = await tokenWithPolicy(vault, hcl(`${base}/config`, ['read']))
    const f = await failure(clientFor(vault, t).write(`${base}/config`, { jwks_url: jwksUrl }))
    expect([f.status, f.body.errors]).toEqual([403, [ACL_DENIED]])
    const { token: none } = await tokenWithPolicy(vault, hcl(`${base}/role/*`, ['read']))
    expect((await raw(vault, 'GET', `${base}/config`, { token: none })).status).toBe(403)
  })
})

describe('jwt roles', () => {
  it('writes a jwt role (204; 200 before Vault 1.11), reads and lists it', async () => {
    const name = uniqueName('role')
    const write = await raw(vault, 'POST', `${base}/role/${name}`, {
      body: {
        role_type: 'jwt',
        user_claim: 'sub',
        bound_audiences: ['vault'],
        token_policies: ['p1'],
        token_ttl: '30m',
      },
    })
    expect(write.status).toBe(has(GATES.jwtRoleNoContent) ? 204 : 200)
    const read = await clientFor(vault).read(`${base}/role/${name}`)
    expect(read.data).toMatchObject({
      role_type: 'jwt',
      user_claim: 'sub',
      bound_audiences: ['vault'],
      token_policies: ['p1'],
      token_ttl: 1800,
    })
    expect((await clientFor(vault).list(`${base}/role`)).data.keys).toContain(name)
  })

  it('deletes a role (204) only for a token allowed to', async () => {
    const name = uniqueName('role')
    await clientFor(vault).write(`${base}/role/${name}`, {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_subject: 'alice',
    })
    const { token: reader } = await tokenWithPolicy(vault, hcl(`${base}/role/*`, ['read']))
    expect((await raw(vault, 'DELETE', `${base}/role/${name}`, { token: reader })).status).toBe(403)
    expect((await raw(vault, 'GET', `${base}/role/${name}`)).status).toBe(200)
    expect((await raw(vault, 'DELETE', `${base}/role/${name}`)).status).toBe(204)
    expect((await raw(vault, 'GET', `${base}/role/${name}`)).status).toBe(404)
  })

  it('refuses roles without role_type jwt, user_claim or a bound constraint (400)', async () => {
    const name = uniqueName('role')
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
    ]
    for (const [body, message] of cases) {
      const res = await raw(vault, 'POST', `${base}/role/${name}`, { body })
      expect([res.status, res.json.errors]).toEqual([400, [message]])
    }
    expect((await raw(vault, 'GET', `${base}/role/${name}`)).status).toBe(404)
  })

  it('refuses role writes without the capability (403)', async () => {
    const { token: t } = await tokenWithPolicy(vault, hcl(`${base}/role/*`, ['read', 'list']))
    const res = await raw(vault, 'POST', `${base}/role/${uniqueName('role')}`, {
      token: t,
      body: { role_type: 'jwt', user_claim: 'sub', bound_subject: 'alice' },
    })
    expect([res.status, res.json.errors]).toEqual([403, [ACL_DENIED]])
    const { token: other } = await tokenWithPolicy(vault, hcl(`${base}/config`, ['read']))
    expect((await raw(vault, 'GET', `${base}/role/x`, { token: other })).status).toBe(403)
    expect((await raw(vault, 'LIST', `${base}/role`, { token: other })).status).toBe(403)
  })
})

describe('jwt login', () => {
  let role: string
  let policy: string

  beforeAll(async () => {
    role = uniqueName('dev')
    policy = uniqueName('p')
    await clientFor(vault).write(`${base}/config`, { jwks_url: jwksUrl, bound_issuer: ISSUER })
    await clientFor(vault).write(`${base}/role/${role}`, {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_audiences: 'vault',
      bound_claims: { team: ['blue', 'green'] },
      claim_mappings: { email: 'email' },
      token_policies: [policy],
      token_ttl: '15m',
    })
  })

  it('logs in without a token and gets the role’s policies, TTL and mapped claims', async () => {
    const jwt = await token({ team: 'blue', email: 'alice@example.test' })
    const res = await raw(vault, 'POST', `${base}/login`, { token: null, body: { role, jwt } })
    expect(res.status).toBe(200)
    expect(res.json.data).toBeNull()
    const auth = res.json.auth
    expect(auth.policies).toEqual(['default', policy].sort())
    expect(auth.metadata).toEqual({ role, email: 'alice@example.test' })
    expect(auth.lease_duration).toBe(900)
    expect(auth.orphan).toBe(true)
    expect(auth.token_type).toBe('service')
    const self = await clientFor(vault, auth.client_token).tokenLookupSelf()
    expect(self.data.display_name).toBe(`${mount}-alice`)
  })

  it('logs in through node-vault’s jwtLogin', async () => {
    const client = clientFor(vault, '')
    const res = await client.jwtLogin({
      mount_point: mount,
      role,
      jwt: await token({ team: 'green' }),
    })
    expect(res.auth.policies).toContain(policy)
    expect(client.token).toBe(res.auth.client_token)
  })

  it('refuses bad logins with 400 in the plugin’s check order', async () => {
    const now = Math.floor(Date.now() / 1000)
    const cases: Array<[Record<string, unknown>, string | RegExp]> = [
      [{ jwt: await token({ team: 'blue' }) }, 'missing role'],
      [{ role: 'nope-none', jwt: 'x' }, 'role "nope-none" could not be found'],
      [{ role }, 'missing token'],
      [
        { role, jwt: await token({ team: 'blue' }, stranger.privateKey) },
        /^error validating token: error verifying token signature/,
      ],
      [
        { role, jwt: await token({ team: 'blue', iss: 'https://elsewhere.test' }) },
        'error validating token: invalid issuer (iss) claim',
      ],
      [
        { role, jwt: await token({ team: 'blue', aud: 'someone-else' }) },
        /^error validating token: invalid audience \(aud\) claim/,
      ],
      [
        { role, jwt: await token({ team: 'blue', iat: now - 4000, exp: now - 3600 }) },
        'error validating token: invalid expiration time (exp) claim: token is expired',
      ],
      [
        { role, jwt: await token({ team: 'red' }) },
        'error validating claims: claim "team" does not match any associated bound claim values',
      ],
      [{ role, jwt: await token({}) }, 'error validating claims: claim "team" is missing'],
    ]
    for (const [body, message] of cases) {
      const res = await raw(vault, 'POST', `${base}/login`, { token: null, body })
      expect(res.status).toBe(400)
      expect(res.json.errors).toHaveLength(1)
      if (typeof message === 'string') expect(res.json.errors[0]).toBe(message)
      else expect(res.json.errors[0]).toMatch(message)
    }
  })

  it('refuses an aud claim when the role binds no audience', async (ctx) => {
    const subOnly = uniqueName('sub')
    await clientFor(vault).write(`${base}/role/${subOnly}`, {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_subject: 'alice',
    })
    const withAud = await raw(vault, 'POST', `${base}/login`, {
      token: null,
      body: { role: subOnly, jwt: await token({}) },
    })
    await assertSince(ctx, GATES.jwtSingleAudience, () =>
      expect([withAud.status, withAud.json.errors]).toEqual([
        400,
        ['audience claim found in JWT but no audiences bound to the role'],
      ]),
    )
    const noAud = await raw(vault, 'POST', `${base}/login`, {
      token: null,
      body: { role: subOnly, jwt: await token({ aud: undefined }) },
    })
    expect(noAud.status).toBe(200)
  })

  it('verifies with jwt_validation_pubkeys and a default_role', async () => {
    const m = await extraMount()
    await clientFor(vault).write(`${m}/config`, {
      jwt_validation_pubkeys: [await exportSPKI(signer.publicKey)],
      default_role: 'only',
    })
    await clientFor(vault).write(`${m}/role/only`, {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_audiences: 'vault',
    })
    const ok = await raw(vault, 'POST', `${m}/login`, {
      token: null,
      body: { jwt: await token({}) },
    })
    expect(ok.status).toBe(200)
    const forged = await raw(vault, 'POST', `${m}/login`, {
      token: null,
      body: { jwt: await token({}, stranger.privateKey) },
    })
    expect(forged.status).toBe(400)
  })
})
