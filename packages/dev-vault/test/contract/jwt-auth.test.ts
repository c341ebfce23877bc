/**
 * @module dev-vault/test/contract/jwt-auth.test: JWT auth (reference §5.2; research notes §2):
 * config, roles, login with the plugin's and cap/jwt's checks, the login's entity and alias,
 * and revocation of the token it gives. The JWKS and an OIDC discovery document are served on
 * loopback (CONTRACT_SERVER_HOST for a Vault elsewhere), since Vault fetches both. Every login's token is revoked and its entity deleted afterwards.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ACL_DENIED,
  cleanUpLogin,
  clientFor,
  contractServerHost,
  contractVault,
  enableAuth,
  envelopeKeys,
  failure,
  hcl,
  invalidTokenErrors,
  raw,
  revokeLater,
  serviceTokenPrefix,
  tokenWithPolicy,
  uniqueName,
  writePolicy,
  type ContractVault,
  type RawResponse,
} from './harness.js'
import { assertSince, GATES, has } from './versions.js'

let vault: ContractVault
let jwks: Server
let jwksUrl = ''
/** The issuer of the OIDC discovery document served beside the JWKS (its own URL, as go-oidc wants). */
let discoveryIssuer = ''
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
    else if (req.url === '/oidc/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer: discoveryIssuer, jwks_uri: jwksUrl }))
    } else {
      res.statusCode = 404
      res.end('{}')
    }
  })
  const host = contractServerHost()
  await new Promise<void>((resolve) => jwks.listen(0, host.listen, resolve))
  jwksUrl = `http://${host.advertise}:${(jwks.address() as AddressInfo).port}/jwks`
  discoveryIssuer = jwksUrl.replace(/\/jwks$/, '/oidc')
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

/** `POST <mount>/login` without a client token; a successful one is cleaned up afterwards. */
async function login(mountBase: string, body: unknown, headers?: Record<string, string>) {
  const res: RawResponse = await raw(vault, 'POST', `${mountBase}/login`, {
    token: null,
    body,
    ...(headers ? { headers } : {}),
  })
  cleanUpLogin(vault, res.json?.auth)
  return res
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
    const res = await login(base, { role, jwt })
    expect(res.status).toBe(200)
    expect(Object.keys(res.json)).toEqual(envelopeKeys())
    expect(res.json.data).toBeNull()
    const auth = res.json.auth
    expect(auth.client_token.startsWith(serviceTokenPrefix())).toBe(true)
    expect(auth.policies).toEqual(['default', policy].sort())
    expect(auth.metadata).toEqual({ role, email: 'alice@example.test' })
    expect(auth.lease_duration).toBe(900)
    expect(auth.renewable).toBe(true)
    expect(auth.orphan).toBe(true)
    expect(auth.token_type).toBe('service')
    expect(auth.entity_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    const self = await clientFor(vault, auth.client_token).tokenLookupSelf()
    expect(self.data).toMatchObject({
      display_name: `${mount}-alice`,
      entity_id: auth.entity_id,
      meta: { role, email: 'alice@example.test' },
      orphan: true,
      path: `auth/${mount}/login`,
      policies: ['default', policy].sort(),
    })
  })

  it('logs in through node-vault’s jwtLogin', async () => {
    const client = clientFor(vault, '')
    const res = await client.jwtLogin({
      mount_point: mount,
      role,
      jwt: await token({ team: 'green' }),
    })
    cleanUpLogin(vault, res.auth)
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
        'error validating token: invalid audience (aud) claim: audience claim does not match any expected audience',
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
      const res = await login(base, body)
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
    const withAud = await login(base, { role: subOnly, jwt: await token({}) })
    await assertSince(ctx, GATES.jwtSingleAudience, () =>
      expect([withAud.status, withAud.json.errors]).toEqual([
        400,
        ['audience claim found in JWT but no audiences bound to the role'],
      ]),
    )
    const noAud = await login(base, { role: subOnly, jwt: await token({ aud: undefined }) })
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
    const ok = await login(m, { jwt: await token({}) })
    expect(ok.status).toBe(200)
    const forged = await login(m, { jwt: await token({}, stranger.privateKey) })
    expect(forged.status).toBe(400)
  })

  it('refuses a subject the role does not bind, and an HS256 token (400)', async () => {
    const bound = uniqueName('subj')
    await clientFor(vault).write(`${base}/role/${bound}`, {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_subject: 'alice',
    })
    const other = await login(base, {
      role: bound,
      jwt: await token({ sub: 'mallory', aud: undefined }),
    })
    expect([other.status, other.json.errors]).toEqual([
      400,
      ['error validating token: invalid subject (sub) claim'],
    ])
    // Vault's JWT method verifies public-key signatures only: a shared-secret token is refused.
    const hs256 = await new SignJWT({
      iss: ISSUER,
      sub: 'alice',
      iat: Math.floor(Date.now() / 1000),
    })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!'))
    const shared = await login(base, { role: bound, jwt: hs256 })
    expect(shared.status).toBe(400)
    expect(shared.json.errors[0]).toMatch(
      /^error validating token: error verifying token signature/,
    )
  })

  it('applies only the clock skew to the time claims a token has, the leeways to missing ones', async () => {
    const timed = uniqueName('time')
    await clientFor(vault).write(`${base}/role/${timed}`, {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_subject: 'alice',
    })
    const now = Math.floor(Date.now() / 1000)
    const attempt = async (times: Record<string, number | undefined>) => {
      const jwt = await token({ aud: undefined, iat: undefined, exp: undefined, ...times })
      const res = await login(base, { role: timed, jwt })
      return res.status === 200 ? 'ok' : res.json.errors[0]
    }
    const expired = 'error validating token: invalid expiration time (exp) claim: token is expired'
    // exp has passed by less than the 60 s clock skew: valid.
    expect(await attempt({ iat: now - 400, exp: now - 20 })).toBe('ok')
    // By more than the skew, though less than the 150 s expiration leeway: expired.
    expect(await attempt({ iat: now - 400, exp: now - 120 })).toBe(expired)
    // No exp: iat + the expiration leeway.
    expect(await attempt({ iat: now - 100 })).toBe('ok')
    expect(await attempt({ iat: now - 300 })).toBe(expired)
    // Only exp: nbf is exp minus the not-before leeway (150 s).
    expect(await attempt({ exp: now + 100 })).toBe('ok')
    expect(await attempt({ exp: now + 3600 })).toBe(
      'error validating token: invalid not before (nbf) claim: token not yet valid',
    )
    expect(await attempt({})).toBe(
      'error validating token: no issued at (iat), not before (nbf), or expiration time (exp) claims in token',
    )
  })
})

describe('jwt login identity', () => {
  let role: string
  let accessor: string

  beforeAll(async () => {
    role = uniqueName('id')
    await clientFor(vault).write(`${base}/role/${role}`, {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_audiences: 'vault',
      claim_mappings: { email: 'email' },
      token_ttl: '10m',
    })
    accessor = (await clientFor(vault).auths()).data[`${mount}/`].accessor
  })

  it('gives every login of one identity the same entity, another identity another', async () => {
    const first = await login(base, { role, jwt: await token({ sub: 'carol' }) })
    const again = await login(base, { role, jwt: await token({ sub: 'carol' }) })
    const other = await login(base, { role, jwt: await token({ sub: 'dave' }) })
    expect([first.status, again.status, other.status]).toEqual([200, 200, 200])
    expect(again.json.auth.entity_id).toBe(first.json.auth.entity_id)
    expect(again.json.auth.client_token).not.toBe(first.json.auth.client_token)
    expect(other.json.auth.entity_id).not.toBe(first.json.auth.entity_id)
  })

  it('makes an entity whose one alias is the user claim on this mount', async (ctx) => {
    const res = await login(base, { role, jwt: await token({ sub: 'erin', email: 'erin@x.test' }) })
    const id = res.json.auth.entity_id
    const entity = await raw(vault, 'GET', `identity/entity/id/${id}`)
    expect(entity.status).toBe(200)
    expect(entity.json.data).toMatchObject({ id, disabled: false })
    expect(entity.json.data.name).toMatch(/^entity_/)
    expect(entity.json.data.aliases).toHaveLength(1)
    const alias = entity.json.data.aliases[0]
    expect(alias).toMatchObject({
      canonical_id: id,
      name: 'erin',
      mount_accessor: accessor,
      mount_type: 'jwt',
    })
    expect(alias.metadata.email).toBe('erin@x.test')
    await assertSince(ctx, GATES.jwtAliasRoleMetadata, () =>
      expect(alias.metadata).toEqual({ email: 'erin@x.test', role }),
    )
    expect((await raw(vault, 'DELETE', `identity/entity/id/${id}`)).status).toBe(204)
    expect((await raw(vault, 'GET', `identity/entity/id/${id}`)).status).toBe(404)
  })

  it('children of the login token act for its entity', async () => {
    const minter = await writePolicy(vault, 'jwtmint', hcl('auth/token/create', ['update']))
    const minting = uniqueName('mint')
    await clientFor(vault).write(`${base}/role/${minting}`, {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_audiences: 'vault',
      token_policies: [minter],
      token_ttl: '10m',
    })
    const parent = (await login(base, { role: minting, jwt: await token({ sub: 'hal' }) })).json
      .auth
    const child = await raw(vault, 'POST', 'auth/token/create', {
      token: parent.client_token,
      body: { ttl: '5m' },
    })
    expect(child.status).toBe(200)
    expect(child.json.auth).toMatchObject({ entity_id: parent.entity_id, orphan: false })
    const look = await clientFor(vault).tokenLookup({ token: child.json.auth.client_token })
    expect(look.data.entity_id).toBe(parent.entity_id)
  })

  it('the login token ends with auth/token/revoke, revoke-accessor or revoke-self', async () => {
    const jwt = await token({ sub: 'frank' })
    const tokens = []
    for (let i = 0; i < 3; i++) tokens.push((await login(base, { role, jwt })).json.auth)
    const [byId, byAccessor, bySelf] = tokens
    const revoked = [
      await raw(vault, 'POST', 'auth/token/revoke', { body: { token: byId.client_token } }),
      await raw(vault, 'POST', 'auth/token/revoke-accessor', {
        body: { accessor: byAccessor.accessor },
      }),
      await raw(vault, 'POST', 'auth/token/revoke-self', { token: bySelf.client_token }),
    ]
    expect(revoked.map((r) => r.status)).toEqual([204, 204, 204])
    for (const auth of tokens) {
      const after = await raw(vault, 'GET', 'auth/token/lookup-self', { token: auth.client_token })
      expect([after.status, after.json.errors]).toEqual([403, invalidTokenErrors()])
    }
  })

  it('wraps a login: wrapped_accessor names the token, unwrap gives the auth block', async () => {
    const wrapped = await login(
      base,
      { role, jwt: await token({ sub: 'gina' }) },
      {
        'X-Vault-Wrap-TTL': '120',
      },
    )
    expect(wrapped.status).toBe(200)
    expect(wrapped.json.auth).toBeNull()
    const info = wrapped.json.wrap_info
    revokeLater(vault, info.accessor)
    expect(info.creation_path).toBe(`${base}/login`)
    expect(info.wrapped_accessor).toEqual(expect.any(String))
    const out = await raw(vault, 'POST', 'sys/wrapping/unwrap', { token: info.token })
    cleanUpLogin(vault, out.json.auth)
    expect(out.json.auth).toMatchObject({ accessor: info.wrapped_accessor, orphan: true })
    expect(out.json.auth.entity_id).toMatch(/^[0-9a-f-]{36}$/)
    const self = await raw(vault, 'GET', 'auth/token/lookup-self', {
      token: out.json.auth.client_token,
    })
    expect(self.json.data.accessor).toBe(info.wrapped_accessor)
  })
})

describe('jwt login as the bridge exchanges a caller’s token (issue 19)', () => {
  let m: string
  let policy: string

  beforeAll(async () => {
    m = await extraMount()
    policy = await writePolicy(vault, 'xchg', hcl('auth/token/lookup-self', ['read']))
    const config = await raw(vault, 'POST', `${m}/config`, {
      body: {
        jwks_url: jwksUrl,
        bound_issuer: ISSUER,
        jwt_supported_algs: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      },
    })
    expect(config.status).toBe(204)
  })

  /** A role exactly as `provision` writes one for agent `agent`. */
  const roleFor = (agent: string, claim = 'sub') => ({
    role_type: 'jwt',
    user_claim: claim,
    bound_audiences: ['vault'],
    bound_subject: claim === 'sub' ? agent : '',
    bound_claims_type: 'string',
    bound_claims: claim === 'sub' ? {} : { [claim]: [agent] },
    token_policies: [policy],
    token_ttl: 300,
    token_max_ttl: 300,
    token_no_default_policy: true,
    token_type: 'service',
  })

  it('reads back the config’s algorithms and the role as written', async () => {
    const config = await clientFor(vault).read(`${m}/config`)
    expect([...config.data.jwt_supported_algs].sort()).toEqual(['ES256', 'EdDSA', 'PS256', 'RS256'])
    const name = uniqueName('agent')
    const write = await raw(vault, 'POST', `${m}/role/${name}`, { body: roleFor('alice') })
    expect(write.status).toBe(has(GATES.jwtRoleNoContent) ? 204 : 200)
    const read = (await clientFor(vault).read(`${m}/role/${name}`)).data
    expect(read).toMatchObject({
      role_type: 'jwt',
      user_claim: 'sub',
      bound_audiences: ['vault'],
      bound_subject: 'alice',
      bound_claims_type: 'string',
      token_policies: [policy],
      token_ttl: 300,
      token_max_ttl: 300,
      token_no_default_policy: true,
      token_type: 'service',
    })
    expect(Object.keys(read.bound_claims ?? {})).toEqual([])
    const other = uniqueName('agent')
    await clientFor(vault).write(`${m}/role/${other}`, roleFor('bob', 'agent_id'))
    const claims = (await clientFor(vault).read(`${m}/role/${other}`)).data
    expect([claims.bound_subject, claims.bound_claims]).toEqual(['', { agent_id: ['bob'] }])
  })

  it('issues a token with the role’s policy only, and refuses another subject', async () => {
    const name = uniqueName('agent')
    await clientFor(vault).write(`${m}/role/${name}`, roleFor('alice'))
    const ok = await login(m, { role: name, jwt: await token({}) })
    expect(ok.status).toBe(200)
    expect(ok.json.auth).toMatchObject({
      policies: [policy],
      token_policies: [policy],
      lease_duration: 300,
      token_type: 'service',
      orphan: true,
      metadata: { role: name },
    })
    const bob = await login(m, { role: name, jwt: await token({ sub: 'bob' }) })
    expect([bob.status, bob.json.errors]).toEqual([
      400,
      ['error validating token: invalid subject (sub) claim'],
    ])
  })

  it('binds another subject claim with bound_claims', async () => {
    const name = uniqueName('agent')
    await clientFor(vault).write(`${m}/role/${name}`, roleFor('bob', 'agent_id'))
    const ok = await login(m, { role: name, jwt: await token({ agent_id: 'bob' }) })
    expect(ok.status).toBe(200)
    expect(ok.json.auth.metadata).toEqual({ role: name })
    const alias = await raw(vault, 'GET', `identity/entity/id/${ok.json.auth.entity_id}`)
    expect(alias.json.data.aliases[0].name).toBe('bob')
    const other = await login(m, { role: name, jwt: await token({ agent_id: 'mallory' }) })
    expect([other.status, other.json.errors]).toEqual([
      400,
      [
        'error validating claims: claim "agent_id" does not match any associated bound claim values',
      ],
    ])
  })

  it('accepts the OIDC discovery config provision writes, and logs in a token of that issuer', async () => {
    // What provision writes when the bridge has JWT_ISSUER (discovery) and no JWT_JWKS_URL.
    const oidc = await extraMount()
    const config = await raw(vault, 'POST', `${oidc}/config`, {
      body: {
        oidc_discovery_url: discoveryIssuer,
        bound_issuer: discoveryIssuer,
        jwt_supported_algs: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      },
    })
    expect(config.status).toBe(204)
    const read = (await clientFor(vault).read(`${oidc}/config`)).data
    expect(read).toMatchObject({
      oidc_discovery_url: discoveryIssuer,
      bound_issuer: discoveryIssuer,
      jwks_url: '',
    })
    expect([...read.jwt_supported_algs].sort()).toEqual(['ES256', 'EdDSA', 'PS256', 'RS256'])
    // A discovery URL whose document is not there is refused when written, as a JWKS URL is.
    const missing = await raw(vault, 'POST', `${oidc}/config`, {
      body: { oidc_discovery_url: `${discoveryIssuer}-missing`, bound_issuer: discoveryIssuer },
    })
    expect(missing.status).toBe(400)
    expect(missing.json.errors[0]).toMatch(/^error checking oidc discovery URL/)

    const name = uniqueName('agent')
    await clientFor(vault).write(`${oidc}/role/${name}`, roleFor('alice'))
    const ok = await login(oidc, { role: name, jwt: await token({ iss: discoveryIssuer }) })
    expect(ok.status).toBe(200)
    expect(ok.json.auth).toMatchObject({ policies: [policy], metadata: { role: name } })
    // The keys come from the discovered JWKS: a token signed by another key is refused, and so
    // is one from another issuer.
    const forged = await login(oidc, {
      role: name,
      jwt: await token({ iss: discoveryIssuer }, stranger.privateKey),
    })
    expect(forged.status).toBe(400)
    expect(forged.json.auth ?? null).toBeNull()
    const elsewhere = await login(oidc, { role: name, jwt: await token({}) })
    expect(elsewhere.status).toBe(400)
    expect(elsewhere.json.auth ?? null).toBeNull()
  })

  it('a token without the default policy cannot revoke itself; one allowed auth/token/revoke can', async () => {
    const name = uniqueName('agent')
    await clientFor(vault).write(`${m}/role/${name}`, roleFor('alice'))
    const caller = (await login(m, { role: name, jwt: await token({}) })).json.auth.client_token
    expect((await raw(vault, 'GET', 'auth/token/lookup-self', { token: caller })).status).toBe(200)
    const self = await raw(vault, 'POST', 'auth/token/revoke-self', { token: caller })
    expect([self.status, self.json.errors]).toEqual([403, [ACL_DENIED]])

    const { token: revoker } = await tokenWithPolicy(vault, hcl('auth/token/revoke', ['update']))
    const revoked = await raw(vault, 'POST', 'auth/token/revoke', {
      token: revoker,
      body: { token: caller },
    })
    expect(revoked.status).toBe(204)
    const after = await raw(vault, 'GET', 'auth/token/lookup-self', { token: caller })
    expect([after.status, after.json.errors]).toEqual([403, invalidTokenErrors()])
  })
})
