/**
 * @module test/security/jwt-exchange: issue 19. With VAULT_JWT_EXCHANGE_ENABLED each caller with
 * a JWKS token reaches Vault with a token Vault's JWT method issued to that caller, so Vault itself
 * refuses what the bridge would refuse: another agent's paths with a caller's token, and a
 * caller's JWT at another agent's role. `provision` and `serve` run as spawned processes (the
 * bridge logged in with the AppRole provision wrote, never the root token), over real HTTP.
 */
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevVault, type DevVault } from '@vault-mcp-bridge/dev-vault'
import { randomKey, send } from '../helpers/bridge-process.js'
import { spawnCli, type CliProcess } from '../helpers/cli.js'
import { freePort } from '../helpers/free-port.js'
import { startKeyServer, type KeyServer } from '../helpers/auth-app.js'
import { startVaultProxy, type VaultProxy } from '../helpers/vault-proxy.js'

const ISSUER = 'https://idp.example.test/agents'
const AUDIENCE = 'vault-mcp-bridge'
const VICTIM_VALUE = 'agent-b-exchange-value-77c1'
const MOUNT = 'mcp-jwt'

let vault: DevVault
let proxy: VaultProxy
let keys: KeyServer
let serve: CliProcess
let url: string
let privateKey: CryptoKey

const now = () => Math.floor(Date.now() / 1000)
const jwtFor = (sub: string) =>
  new SignJWT({
    sub,
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now(),
    exp: now() + 300,
    scope: 'read write',
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'idp' })
    .sign(privateKey)

/** The bridge's JWT settings with exchange on: what provision and serve both read. */
const exchangeEnv = () => ({
  JWT_JWKS_URL: keys.jwksUrl,
  JWT_ISSUER: ISSUER,
  JWT_AUDIENCE: AUDIENCE,
  VAULT_JWT_EXCHANGE_ENABLED: 'true',
})

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true })
  privateKey = pair.privateKey
  keys = await startKeyServer({
    keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'idp', alg: 'RS256' }],
  })
  vault = await startDevVault({ port: 0 })
  proxy = await startVaultProxy(vault.url)
  const admin = { VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken, ...exchangeEnv() }
  const provision = spawnCli(['provision', '--agents', 'agent_a,agent_b'], admin, 60_000)
  expect(await provision.exited, provision.output()).toBe(0)
  const credential = (name: string) =>
    new RegExp(`^${name}=(\\S+)$`, 'm').exec(provision.stdout())?.[1] ?? ''
  const port = await freePort()
  serve = spawnCli(
    ['serve'],
    {
      VAULT_ADDR: proxy.url,
      VAULT_ROLE_ID: credential('VAULT_ROLE_ID'),
      VAULT_SECRET_ID: credential('VAULT_SECRET_ID'),
      ...exchangeEnv(),
      HOST: '127.0.0.1',
      PORT: String(port),
      AUDIT_LOG: 'off',
    },
    120_000,
  )
  await serve.waitFor(/vault-mcp-bridge listening/)
  url = `http://127.0.0.1:${port}`
}, 120_000)

afterAll(async () => {
  serve?.child.kill('SIGTERM')
  await serve?.exited
  await proxy?.close()
  await vault?.close()
  await keys?.stop()
})

describe('JWT exchange: Vault itself enforces who the caller is', () => {
  it("Vault refuses a caller's exchanged token on another agent's paths", async () => {
    const writes: [string, string][] = [
      ['agent_b', VICTIM_VALUE],
      ['agent_a', 'agent-a-value'],
    ]
    for (const [agent, value] of writes) {
      const put = await send(url, '/secrets/own', {
        method: 'PUT',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await jwtFor(agent)}`,
        },
        body: JSON.stringify({ data: { v: value } }),
      })
      expect(put.status).toBe(200)
    }
    // agent_a's own Vault token, as the bridge used it.
    const call = proxy.requests.find((r) => r.path.includes('/agent_a/own') && r.method === 'POST')
    const login = proxy.requests.find(
      (r) =>
        r.path === `auth/${MOUNT}/login` &&
        (r.body as { role?: string }).role === 'mcp-agent-agent_a' &&
        r.status === 200,
    )
    expect(call?.token).toBe(
      (login?.response as { auth: { client_token: string } }).auth.client_token,
    )
    const asA = (path: string) =>
      fetch(`${vault.url}/v1/${path}`, { headers: { 'X-Vault-Token': call!.token! } })
    expect((await asA(call!.path)).status).toBe(200)
    const other = await asA(call!.path.replace('/agent_a/', '/agent_b/'))
    expect(other.status).toBe(403)
    expect(await other.text()).not.toContain(VICTIM_VALUE)
  })

  it("Vault refuses a caller's JWT at another agent's role", async () => {
    const jwt = await jwtFor('agent_a')
    const login = (role: string) =>
      fetch(`${vault.url}/v1/auth/${MOUNT}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ role, jwt }),
      })
    expect((await login('mcp-agent-agent_a')).status).toBe(200)
    const other = await login('mcp-agent-agent_b')
    expect(other.status).toBe(400)
    expect(JSON.stringify(await other.json())).not.toContain('client_token')
  })

  it("the caller's JWT reaches Vault only in its own login", async () => {
    const jwt = await jwtFor('agent_a')
    const read = await send(url, '/secrets/own', { headers: { authorization: `Bearer ${jwt}` } })
    expect(read.status).toBe(200)
    const carrying = proxy.requests.filter(
      (r) => JSON.stringify(r.body ?? '').includes(jwt) || r.token === jwt,
    )
    expect(carrying.map((r) => r.path)).toEqual([`auth/${MOUNT}/login`])
    expect(carrying[0]!.body).toEqual({ role: 'mcp-agent-agent_a', jwt })
  })

  it('serve refuses JWT exchange beside an HS256 secret', async () => {
    const secret = randomKey('hs256-secret-of-at-least-32-bytes')
    const before = proxy.requests.length
    const r = spawnCli(
      ['serve'],
      {
        VAULT_ADDR: proxy.url,
        VAULT_TOKEN: vault.rootToken,
        ...exchangeEnv(),
        JWT_HS256_SECRET: secret,
      },
      60_000,
    )
    expect(await r.exited).toBe(2)
    const lines = r
      .stderr()
      .split('\n')
      .filter((l) => l.includes('JWT_HS256_SECRET'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^\s*JWT_HS256_SECRET: .*VAULT_JWT_EXCHANGE_ENABLED/)
    expect(r.stderr() + r.stdout()).not.toContain(secret)
    // Refused before Vault was contacted.
    expect(proxy.requests.length).toBe(before)
  })
})
