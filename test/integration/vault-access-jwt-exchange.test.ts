/**
 * @module test/integration/vault-access-jwt-exchange: JWT exchange at the Vault port against the
 * dev vault, provisioned as `provision` does it, with a JWKS on loopback. Vault itself refuses
 * one caller's token on another's paths and at another's role (the bridge's own checks are
 * bypassed by calling the port directly, as a bug in the bridge would); one login per caller
 * token, shared by concurrent requests; expiry, eviction and shutdown revoke; refusals say what
 * to configure; nothing of the caller's but its JWT reaches Vault, and neither token a log line.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { AppError } from '../../src/core/errors.js'
import type { CallContext } from '../../src/core/identity.js'
import { resolveFolderPath, resolveSecretPath, transitKeyName } from '../../src/core/paths.js'
import { createMetrics, type Metrics } from '../../src/observability/metrics.js'
import { EXCHANGE_MARGIN_MS } from '../../src/vault/jwt-exchange.js'
import { agentPolicyName } from '../../src/vault/policy-name.js'
import type { ManagedVaultPort } from '../../src/vault/vault-port.js'
import { startExchangeVault, type ExchangeVault } from '../helpers/jwt-exchange.js'
import { recordingLogger, type LogLine } from '../helpers/loggers.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined)
})

interface Setup {
  x: ExchangeVault
  port: ManagedVaultPort
  metrics: Metrics
  lines: LogLine[]
  alice: string
  bob: string
  key(agent: string, path: string): string
  /** Sets the port's clock (ms); starts at the real time. */
  clock: { now: number }
}

async function setup(env: Record<string, string> = {}): Promise<Setup> {
  const x = await startExchangeVault()
  cleanups.push(() => x.close())
  const { logger, lines } = recordingLogger()
  const metrics = createMetrics({ processMetrics: false })
  const clock = { now: Date.now() }
  const port = await x.port(env, { logger, metrics, now: () => clock.now })
  const [alice, bob] = x.agents as [string, string]
  return {
    x,
    port,
    metrics,
    lines,
    alice,
    bob,
    key: (agent, path) => resolveSecretPath(x.prefix, agent, path),
    clock,
  }
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as AppError,
  )

/** The value of one series in the metrics' exposition text (0 when absent). */
async function sample(m: Metrics, name: string, labels = ''): Promise<number> {
  const text = await m.render()
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`vault_mcp_bridge_${name}${labels ? `{${labels}}` : ''} `))
  return line ? Number(line.split(' ').at(-1)) : 0
}

const clientTokenOf = (r: { response?: unknown }): string =>
  (r.response as { auth: { client_token: string } }).auth.client_token

describe('JWT exchange at the Vault port', () => {
  it("logs in with the role and the caller's JWT only, and runs the call with Vault's token for the caller", async () => {
    const s = await setup()
    const jwt = await s.x.token(s.alice)
    await s.port.session(s.x.ctx(s.alice, jwt), 1, (v) =>
      v.kvWrite(s.key(s.alice, 'db'), { password: 'x' }),
    )

    const [login] = s.x.logins()
    expect(s.x.logins()).toHaveLength(1)
    // Security: no token of the bridge's, and nothing of the caller's but its JWT.
    expect(login!.token).toBeUndefined()
    expect(login!.body).toEqual({ role: s.x.role(s.alice), jwt })
    const callerToken = clientTokenOf(login!)
    const auth = (login!.response as { auth: Record<string, unknown> }).auth
    expect(auth.policies).toEqual([agentPolicyName(s.x.policyPrefix, s.alice)])
    expect(auth.token_type).toBe('service')
    expect(auth.lease_duration).toBe(300)

    const write = s.x.proxy.requests.find((r) => r.path === `secret/data/${s.key(s.alice, 'db')}`)
    expect([write?.token, write?.status]).toEqual([callerToken, 200])
    // Vault's own identity for the caller: one entity whose alias on this mount is the agent.
    const entity = (await s.x.root.read(`identity/entity/id/${auth.entity_id as string}`)) as {
      data: { aliases: { name: string; mount_type: string }[] }
    }
    expect(entity.data.aliases).toEqual([
      expect.objectContaining({ name: s.alice, mount_type: 'jwt' }),
    ])
  })

  it("is refused by Vault itself on another agent's paths and keys", async () => {
    const s = await setup()
    const bobKey = s.key(s.bob, 'db')
    await s.x.root.write(`secret/data/${bobKey}`, { data: { password: 'bob-only' } })
    const alice = s.x.ctx(s.alice, await s.x.token(s.alice))
    const asAlice = (fn: Parameters<ManagedVaultPort['session']>[2]) =>
      errorOf(s.port.session(alice, 1, fn))

    // As a bug in the bridge would: alice's request with bob's Vault names, straight to the port.
    expect((await asAlice((v) => v.kvRead(bobKey)))?.code).toBe('FORBIDDEN')
    expect((await asAlice((v) => v.kvWrite(bobKey, { password: 'mine' })))?.code).toBe('FORBIDDEN')
    expect((await asAlice((v) => v.kvList(resolveFolderPath(s.x.prefix, s.bob, ''))))?.code).toBe(
      'FORBIDDEN',
    )
    const bobTransitKey = transitKeyName(s.x.prefix, s.bob, 'k')
    const enc = await asAlice((v) => v.transitEncrypt(bobTransitKey, [{ plaintext: 'aGk=' }]))
    expect(enc?.code).toBe('FORBIDDEN')

    const aliceTokens = new Set(s.x.logins().map(clientTokenOf))
    const denied = s.x.proxy.requests.filter((r) => r.path.includes(s.bob))
    expect(denied.length).toBeGreaterThanOrEqual(4)
    expect(denied.every((r) => r.status === 403 && aliceTokens.has(r.token ?? ''))).toBe(true)
    // The first denial came with a fresh login; each later one with the cached login, which was
    // dropped and the call retried once with a fresh login (denied again), never more.
    expect(s.x.logins()).toHaveLength(4)
    // A dropped login is revoked in the background (the answer does not wait for it).
    await expect.poll(() => s.x.revokes()).toHaveLength(3)

    // Bob's secret is untouched, and bob himself reads it through the same port.
    const read = await s.port.session(s.x.ctx(s.bob, await s.x.token(s.bob)), 1, (v) =>
      v.kvRead(bobKey),
    )
    expect(read.data).toEqual({ password: 'bob-only' })
  })

  it("is refused by Vault at another agent's role: a caller's JWT cannot log in as another agent", async () => {
    const s = await setup()
    // A principal for bob carrying alice's token, as a bug in the bridge would make one.
    const forged = s.x.ctx(s.bob, await s.x.token(s.alice))
    const err = await errorOf(s.port.session(forged, 1, (v) => v.kvRead(s.key(s.bob, 'db'))))
    expect(err?.code).toBe('VAULT_LOGIN_REFUSED')
    expect(err?.message).toContain('bound_subject')
    const [login] = s.x.logins()
    expect([login?.status, (login?.body as { role?: string }).role]).toEqual([400, s.x.role(s.bob)])
    expect(s.x.proxy.requests.filter((r) => r.path.startsWith('secret/'))).toEqual([])
  })

  it('logs in once per caller token and reuses the login until shortly before it ends', async () => {
    const s = await setup()
    const jwt = await s.x.token(s.alice)
    const c = s.x.ctx(s.alice, jwt)
    for (let i = 0; i < 5; i++) {
      await s.port.session(c, 1, (v) => v.kvWrite(s.key(s.alice, `k${i}`), { i }))
    }
    expect(s.x.logins()).toHaveLength(1)
    expect(await sample(s.metrics, 'jwt_exchange_logins_total', 'outcome="ok"')).toBe(1)
    expect(await sample(s.metrics, 'jwt_exchange_cache_hits_total', 'kind="cached"')).toBe(4)
    expect(await sample(s.metrics, 'jwt_exchange_cache_entries')).toBe(1)

    // Another token of the same agent is another caller token: its own login.
    await s.port.session(s.x.ctx(s.alice, await s.x.token(s.alice)), 1, (v) =>
      v.kvRead(s.key(s.alice, 'k0')),
    )
    expect(s.x.logins()).toHaveLength(2)

    // The Vault token lives 300 s: just before its last 15 s the login is still used...
    const first = clientTokenOf(s.x.logins()[0]!)
    s.clock.now += 300_000 - EXCHANGE_MARGIN_MS - 1000
    await s.port.session(c, 1, (v) => v.kvRead(s.key(s.alice, 'k0')))
    expect(s.x.logins()).toHaveLength(2)
    // ...then not: upkeep drops both logins (made at the same moment) and revokes their tokens,
    // and the next request logs in again.
    s.clock.now += 2000
    await s.port.upkeep()
    await expect.poll(() => s.x.revokes().map((r) => r.body)).toContainEqual({ token: first })
    expect(await s.x.alive(first)).toBe(false)
    expect(await sample(s.metrics, 'jwt_exchange_evictions_total', 'reason="expired"')).toBe(2)
    expect(await sample(s.metrics, 'jwt_exchange_cache_entries')).toBe(0)
    await s.port.session(c, 1, (v) => v.kvRead(s.key(s.alice, 'k0')))
    expect(s.x.logins()).toHaveLength(3)
  })

  it("stops reusing a login when the caller's JWT ends before the Vault token", async () => {
    const s = await setup()
    const exp = Math.floor(s.clock.now / 1000) + 60
    const c = s.x.ctx(s.alice, await s.x.token(s.alice, { exp }))
    await s.port.session(c, 1, (v) => v.kvWrite(s.key(s.alice, 'a'), { a: 1 }))
    s.clock.now = exp * 1000 - EXCHANGE_MARGIN_MS + 1
    await s.port.session(c, 1, (v) => v.kvRead(s.key(s.alice, 'a')))
    expect(s.x.logins()).toHaveLength(2)
    // Retired in the background (the answer does not wait for the revocation).
    await expect.poll(() => s.x.alive(clientTokenOf(s.x.logins()[0]!))).toBe(false)
  })

  it('shares one login among concurrent requests with the same token', async () => {
    const s = await setup()
    const c = s.x.ctx(s.alice, await s.x.token(s.alice))
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        s.port.session(c, 1, (v) => v.kvWrite(s.key(s.alice, `c${i}`), { i })),
      ),
    )
    expect(s.x.logins()).toHaveLength(1)
    expect(await sample(s.metrics, 'jwt_exchange_cache_hits_total', 'kind="shared"')).toBe(7)
  })

  it('keeps at most VAULT_JWT_EXCHANGE_CACHE_SIZE logins, revoking the least recently used', async () => {
    const s = await setup({ VAULT_JWT_EXCHANGE_CACHE_SIZE: '2' })
    const tokens = [await s.x.token(s.alice), await s.x.token(s.bob), await s.x.token(s.alice)]
    const use = (jwt: string, agent: string) =>
      s.port.session(s.x.ctx(agent, jwt), 1, (v) =>
        v.kvList(resolveFolderPath(s.x.prefix, agent, '')),
      )
    await use(tokens[0]!, s.alice)
    await use(tokens[1]!, s.bob)
    await use(tokens[0]!, s.alice) // alice's first token is now the most recently used
    await use(tokens[2]!, s.alice) // a third login: bob's, the least recently used, goes
    const [, bobLogin] = s.x.logins()
    const bobToken = clientTokenOf(bobLogin!)
    await expect.poll(() => s.x.revokes().map((r) => r.body)).toEqual([{ token: bobToken }])
    expect(s.x.revokes()[0]!.token).toBe(s.x.vault.rootToken)
    expect(await s.x.alive(bobToken)).toBe(false)
    expect(await sample(s.metrics, 'jwt_exchange_evictions_total', 'reason="capacity"')).toBe(1)
    expect(await sample(s.metrics, 'jwt_exchange_cache_entries')).toBe(2)
    // The survivors are still reused.
    await use(tokens[0]!, s.alice)
    await use(tokens[2]!, s.alice)
    expect(s.x.logins()).toHaveLength(3)
  })

  it('with VAULT_JWT_EXCHANGE_CACHE_SIZE=0 logs in for every request and revokes after it', async () => {
    const s = await setup({ VAULT_JWT_EXCHANGE_CACHE_SIZE: '0' })
    const c = s.x.ctx(s.alice, await s.x.token(s.alice))
    await s.port.session(c, 1, (v) => v.kvWrite(s.key(s.alice, 'z'), { z: 1 }))
    await s.port.session(c, 1, (v) => v.kvRead(s.key(s.alice, 'z')))
    expect(s.x.logins()).toHaveLength(2)
    const issued = s.x.logins().map(clientTokenOf)
    await expect.poll(() => s.x.revokes().length).toBe(2)
    for (const t of issued) expect(await s.x.alive(t)).toBe(false)
  })

  it("a wrapped read's token outlives the caller's login that made it, revoked after the request", async () => {
    const s = await setup({ VAULT_JWT_EXCHANGE_CACHE_SIZE: '0' })
    const c = s.x.ctx(s.alice, await s.x.token(s.alice))
    await s.port.session(c, 1, (v) => v.kvWrite(s.key(s.alice, 'w'), { w: 'wrapped' }))
    const info = await s.port.session(c, 1, (v) => v.kvReadWrapped(s.key(s.alice, 'w'), 60))
    const reader = clientTokenOf(s.x.logins()[1]!)
    const read = s.x.proxy.requests.find(
      (r) => r.path === `secret/data/${s.key(s.alice, 'w')}` && r.method === 'GET',
    )
    expect(read?.token).toBe(reader)
    await expect.poll(() => s.x.revokes().length).toBe(2)
    expect(await s.x.alive(reader)).toBe(false)
    // Vault's first-party unwrap, with the wrapping token alone: once.
    const unwrap = () =>
      fetch(`${s.x.proxy.url}/v1/sys/wrapping/unwrap`, {
        method: 'POST',
        headers: { 'X-Vault-Token': info.token },
      })
    const first = await unwrap()
    expect(first.status).toBe(200)
    expect(((await first.json()) as { data: { data: unknown } }).data.data).toEqual({
      w: 'wrapped',
    })
    expect((await unwrap()).status).toBe(400)
  })

  it('revokes every login it holds at shutdown', async () => {
    const s = await setup()
    for (const agent of [s.alice, s.bob]) {
      await s.port.session(s.x.ctx(agent, await s.x.token(agent)), 1, (v) =>
        v.kvWrite(s.key(agent, 'x'), { x: 1 }),
      )
    }
    const issued = s.x.logins().map(clientTokenOf)
    expect(issued).toHaveLength(2)
    await s.port.close()
    for (const t of issued) expect(await s.x.alive(t)).toBe(false)
    expect(await sample(s.metrics, 'jwt_exchange_evictions_total', 'reason="shutdown"')).toBe(2)
    const after = await errorOf(
      s.port.session(s.x.ctx(s.alice, await s.x.token(s.alice)), 1, (v) => v.kvRead('x')),
    )
    expect(after?.code).toBe('VAULT_UNAVAILABLE')
  })

  it("a caller token revoked at Vault is refused by Vault, and the caller's next login is fresh", async () => {
    const s = await setup()
    const c = s.x.ctx(s.alice, await s.x.token(s.alice))
    await s.port.session(c, 1, (v) => v.kvWrite(s.key(s.alice, 'r'), { r: 1 }))
    const revoked = clientTokenOf(s.x.logins()[0]!)
    await s.x.root.write('auth/token/revoke', { token: revoked })

    const read = await s.port.session(c, 1, (v) => v.kvRead(s.key(s.alice, 'r')))
    expect(read.data).toEqual({ r: 1 })
    const reads = s.x.proxy.requests.filter(
      (r) => r.path === `secret/data/${s.key(s.alice, 'r')}` && r.method === 'GET',
    )
    expect(reads.map((r) => [r.token === revoked, r.status])).toEqual([
      [true, 403],
      [false, 200],
    ])
    expect(s.x.logins()).toHaveLength(2)
    // The refused login was dropped (and, for good measure, revoked: a 403 may be a denial).
    expect(await sample(s.metrics, 'jwt_exchange_evictions_total', 'reason="refused"')).toBe(1)
  })

  it("an expired JWT is refused by Vault's login (the bridge's own check bypassed)", async () => {
    const s = await setup()
    const now = Math.floor(Date.now() / 1000)
    const expired = await s.x.token(s.alice, { iat: now - 4000, exp: now - 3600 })
    const err = await errorOf(
      s.port.session(s.x.ctx(s.alice, expired), 1, (v) => v.kvRead(s.key(s.alice, 'x'))),
    )
    expect(err?.code).toBe('VAULT_LOGIN_REFUSED')
    expect(err?.message).toContain('expired')
    expect(s.x.logins().map((l) => l.status)).toEqual([400])
    expect(await sample(s.metrics, 'jwt_exchange_logins_total', 'outcome="refused"')).toBe(1)
  })

  it('says what to configure when the role is missing or does not bind the audience', async () => {
    const s = await setup()
    // An agent nobody provisioned: no role.
    const carol = `${s.alice}-carol`
    const missing = await errorOf(
      s.port.session(s.x.ctx(carol, await s.x.token(carol)), 1, (v) => v.kvRead('x')),
    )
    expect(missing?.code).toBe('VAULT_LOGIN_REFUSED')
    expect(missing?.message).toContain(`no role "${s.x.role(carol)}"`)
    expect(missing?.message).toContain('provision')

    const otherAudience = await s.x.token(s.alice, { aud: 'someone-else' })
    const aud = await errorOf(
      s.port.session(s.x.ctx(s.alice, otherAudience), 1, (v) => v.kvRead('x')),
    )
    expect(aud?.code).toBe('VAULT_LOGIN_REFUSED')
    expect(aud?.message).toContain('bound_audiences')

    // Security: neither the token nor Vault's own words reach the caller.
    for (const e of [missing, aud]) {
      expect(e?.message).not.toContain(otherAudience)
      expect(e?.message).not.toContain('error validating')
      expect(e?.message).not.toContain('someone-else')
    }
  })

  it('answers VAULT_UNAVAILABLE when Vault cannot be reached for the login', async () => {
    const s = await setup()
    s.x.proxy.down = true
    const err = await errorOf(
      s.port.session(s.x.ctx(s.alice, await s.x.token(s.alice)), 1, (v) => v.kvRead('x')),
    )
    expect(err?.code).toBe('VAULT_UNAVAILABLE')
    expect(await sample(s.metrics, 'jwt_exchange_logins_total', 'outcome="unavailable"')).toBe(1)
    s.x.proxy.down = false
  })

  it('serves callers without a JWKS token as without exchange, or refuses them under VAULT_JWT_EXCHANGE_ONLY', async () => {
    const s = await setup({ CHILD_TOKEN_ENABLED: 'true' })
    const apiKeyCaller: CallContext = {
      principal: { agent: s.alice, scopes: ['read', 'write'], method: 'api_key' },
      requestId: 'req-api',
    }
    await s.port.session(apiKeyCaller, 1, (v) => v.kvWrite(s.key(s.alice, 'f'), { f: 1 }))
    expect(s.x.logins()).toHaveLength(0)
    const minted = s.x.proxy.requests.filter((r) => r.path.startsWith('auth/token/create/'))
    expect(minted).toHaveLength(1)

    const strict = await s.x.port({ VAULT_JWT_EXCHANGE_ONLY: 'true', API_KEYS_JSON: '{}' })
    const refused = await errorOf(strict.session(apiKeyCaller, 1, (v) => v.kvRead('x')))
    expect(refused?.code).toBe('FORBIDDEN')
  })

  it('never logs the JWT or the Vault token it got for the caller', async () => {
    const s = await setup({ VAULT_JWT_EXCHANGE_CACHE_SIZE: '1' })
    const jwts = [await s.x.token(s.alice), await s.x.token(s.alice)]
    for (const jwt of jwts) {
      await s.port.session(s.x.ctx(s.alice, jwt), 1, (v) =>
        v.kvWrite(s.key(s.alice, 'l'), { l: 1 }),
      )
    }
    await errorOf(s.port.session(s.x.ctx(s.bob, jwts[0]!), 1, (v) => v.kvRead('x')))
    await s.port.close()
    const text = JSON.stringify(s.lines)
    expect(s.lines.some((l) => (l.obj as { event?: string }).event === 'jwt_exchange_login')).toBe(
      true,
    )
    for (const secret of [
      ...jwts,
      ...s.x
        .logins()
        .filter((l) => l.status === 200)
        .map(clientTokenOf),
    ]) {
      expect(text).not.toContain(secret)
    }
  })
})
