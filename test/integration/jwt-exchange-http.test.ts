/**
 * @module test/integration/jwt-exchange-http: the whole bridge (src/bridge.ts) over real HTTP with
 * VAULT_JWT_EXCHANGE_ENABLED, a JWKS on loopback and the dev vault provisioned by `provision`:
 * REST and MCP callers with a JWKS token reach Vault with their own token (one login for all
 * their requests), API-key callers with the fallback (the bridge's token, or a child token with
 * CHILD_TOKEN_ENABLED; HS256 tokens cannot be exchanged, so exchange refuses JWT_HS256_SECRET), a
 * refused login is 403 VAULT_LOGIN_REFUSED on REST and an MCP tool error, and the metrics show
 * the logins and cache hits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBridge, type RunningBridge } from '../../src/bridge.js'
import { createLogger } from '../../src/observability/logger.js'
import { startExchangeVault, type ExchangeVault } from '../helpers/jwt-exchange.js'
import { connectHttp, type Connected } from '../helpers/mcp-harness.js'

const API_KEY = 'exchange-test-api-key-0123456789'

let x: ExchangeVault
let alice: string
let bob: string
const opened: { stop(): Promise<unknown> }[] = []
let logText = ''

beforeAll(async () => {
  x = await startExchangeVault()
  ;[alice, bob] = x.agents as [string, string]
})

afterAll(async () => {
  for (const o of opened.splice(0).reverse()) await o.stop().catch(() => undefined)
  await x?.close()
})

/** Starts the bridge on this Vault with `extra` settings; everything it logs goes to logText. */
async function bridge(extra: Record<string, string> = {}): Promise<RunningBridge> {
  const config = x.config({
    PORT: '0',
    METRICS_ENABLED: 'true',
    API_KEYS_JSON: JSON.stringify({ [API_KEY]: alice }),
    LOG_LEVEL: 'debug',
    ...extra,
  })
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void (logText += line) },
  })
  const running = await startBridge(config, logger)
  opened.push(running)
  return running
}

async function rest(
  b: RunningBridge,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
) {
  const res = await fetch(`${b.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, json: (await res.json()) as Record<string, any> } // eslint-disable-line @typescript-eslint/no-explicit-any
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** The token each data call under `agent`'s namespace carried, in order. */
const dataTokens = (agent: string) =>
  x.proxy.requests
    .filter((r) => r.path.startsWith('secret/') && r.path.includes(`/${agent}/`))
    .map((r) => r.token)

const loginTokenOf = (r: { response?: unknown }) =>
  (r.response as { auth: { client_token: string } }).auth.client_token

describe('the bridge with JWT exchange, over HTTP', () => {
  it('REST and MCP callers with a JWKS token reach Vault with their own token, one login for all', async () => {
    const b = await bridge()
    const jwt = await x.token(alice)
    const before = x.logins().length
    const put = await rest(b, 'PUT', '/secrets/db', bearer(jwt), { data: { password: 'a' } })
    expect(put.status).toBe(200)
    const get = await rest(b, 'GET', '/secrets/db', bearer(jwt))
    expect([get.status, get.json.data]).toEqual([200, { password: 'a' }])

    let mcp: Connected | undefined
    try {
      mcp = await connectHttp(new URL(`${b.url}/mcp`), bearer(jwt), { client: 'v2' })
      const r = (await mcp.client.callTool({ name: 'read_secret', arguments: { path: 'db' } })) as {
        isError?: boolean
        structuredContent?: { data?: unknown }
      }
      expect(r.isError).toBeFalsy()
      expect(r.structuredContent?.data).toEqual({ password: 'a' })
    } finally {
      await mcp?.close()
    }

    const logins = x.logins().slice(before)
    expect(logins).toHaveLength(1)
    expect(logins[0]!.body).toEqual({ role: x.role(alice), jwt })
    const mine = loginTokenOf(logins[0]!)
    const used = dataTokens(alice)
    expect(used.length).toBeGreaterThanOrEqual(3)
    expect(used.every((t) => t === mine)).toBe(true)

    // Bob, with his own token, sees his own namespace only (the bridge's check, then Vault's).
    const bobRead = await rest(b, 'GET', '/secrets/db', bearer(await x.token(bob)))
    expect([bobRead.status, bobRead.json.error?.code]).toEqual([404, 'SECRET_NOT_FOUND'])

    const metrics = await (await fetch(`${b.url}/metrics`)).text()
    expect(metrics).toMatch(/vault_mcp_bridge_jwt_exchange_logins_total\{outcome="ok"\} 2/)
    expect(metrics).toMatch(/vault_mcp_bridge_jwt_exchange_cache_hits_total\{kind="cached"\} 2/)
  })

  it("API-key callers use the bridge's token (child tokens off)", async () => {
    const b = await bridge()
    const before = x.logins().length
    const key = await rest(
      b,
      'PUT',
      '/secrets/by-key',
      { 'x-api-key': API_KEY },
      { data: { k: 1 } },
    )
    const read = await rest(b, 'GET', '/secrets/by-key', { 'x-api-key': API_KEY })
    expect([key.status, read.status]).toEqual([200, 200])
    expect(x.logins()).toHaveLength(before)
    const calls = x.proxy.requests.filter((r) => r.path.endsWith(`/${alice}/by-key`))
    expect(calls.map((r) => r.token)).toEqual([x.vault.rootToken, x.vault.rootToken])
  })

  it('API-key callers use a child token with CHILD_TOKEN_ENABLED', async () => {
    const b = await bridge({ CHILD_TOKEN_ENABLED: 'true' })
    const before = x.logins().length
    const mints = () => x.proxy.requests.filter((r) => r.path.startsWith('auth/token/create/'))
    const minted = mints().length
    const key = await rest(b, 'PUT', '/secrets/child', { 'x-api-key': API_KEY }, { data: { c: 1 } })
    const read = await rest(b, 'GET', '/secrets/child', { 'x-api-key': API_KEY })
    expect([key.status, read.status]).toEqual([200, 200])
    expect(x.logins()).toHaveLength(before)
    expect(mints().length - minted).toBe(2)
    const calls = x.proxy.requests.filter((r) => r.path.endsWith(`/${alice}/child`))
    expect(calls.every((r) => r.token !== x.vault.rootToken)).toBe(true)
  })

  it('a refused login is 403 VAULT_LOGIN_REFUSED on REST and an MCP tool error, without the token', async () => {
    const b = await bridge()
    const carol = `${alice}-carol`
    const jwt = await x.token(carol)
    const res = await rest(b, 'GET', '/secrets/db', bearer(jwt))
    expect([res.status, res.json.error?.code]).toEqual([403, 'VAULT_LOGIN_REFUSED'])
    expect(JSON.stringify(res.json)).not.toContain(jwt)

    let mcp: Connected | undefined
    try {
      mcp = await connectHttp(new URL(`${b.url}/mcp`), bearer(jwt), { client: 'v1' })
      const r = (await mcp.client.callTool({ name: 'read_secret', arguments: { path: 'db' } })) as {
        isError?: boolean
        content: { text?: string }[]
      }
      expect(r.isError).toBe(true)
      expect(r.content[0]?.text).toMatch(/^VAULT_LOGIN_REFUSED: /)
    } finally {
      await mcp?.close()
    }
  })

  it('logs neither the JWTs nor the Vault tokens of the callers', async () => {
    const secrets = [
      ...x.logins().map((l) => (l.body as { jwt: string }).jwt),
      ...x
        .logins()
        .filter((l) => l.status === 200)
        .map(loginTokenOf),
    ]
    for (const o of opened.splice(0).reverse()) await o.stop()
    expect(logText).toContain('jwt_exchange_login')
    expect(secrets.length).toBeGreaterThanOrEqual(3)
    for (const s of secrets) expect(logText).not.toContain(s)
  })
})
