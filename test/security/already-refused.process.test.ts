/**
 * @module test/security/already-refused: what the attack review of issue 12 found already
 * refused, kept in the matrix so that it stays so: path traversal in every encoding, JWT
 * algorithm confusion, `alg: none`, keys named by the token, forged mTLS headers from an
 * untrusted peer, credentials of two agents in one request, Origin and Host on /mcp, oversized
 * bodies, and Vault itself refusing a child token another agent's paths. Over real HTTP.
 */
import { request as httpRequest } from 'node:http'
import { SignJWT, base64url, exportJWK, exportSPKI, generateKeyPair, type CryptoKey } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevVault, type DevVault } from '@vault-mcp-bridge/dev-vault'
import {
  MCP_POST_HEADERS,
  mcpInitialize,
  randomKey,
  send,
  startBridge,
  type Bridge,
} from '../helpers/bridge-process.js'
import { spawnCli, type CliProcess } from '../helpers/cli.js'
import { freePort } from '../helpers/free-port.js'
import { startKeyServer, type KeyServer } from '../helpers/auth-app.js'
import { startVaultProxy, type VaultProxy } from '../helpers/vault-proxy.js'

const ISSUER = 'https://idp.example.test'
const AUDIENCE = 'vault-mcp-bridge'
const VICTIM_VALUE = 'agent-b-only-value-5d2a'
const keyA = randomKey('agent-a')
const keyB = randomKey('agent-b')
const hsSecret = randomKey('hs256-secret-of-more-than-32-bytes')
const proxySecret = randomKey('proxy')

let bridge: Bridge
let keys: KeyServer
let rsa: { privateKey: CryptoKey; publicKey: CryptoKey }

const now = () => Math.floor(Date.now() / 1000)
const claims = (sub: string) => ({
  sub,
  iss: ISSUER,
  aud: AUDIENCE,
  iat: now(),
  exp: now() + 300,
  scope: 'read',
})
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const asA = { 'x-api-key': keyA }

beforeAll(async () => {
  rsa = await generateKeyPair('RS256', { extractable: true })
  keys = await startKeyServer({
    keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256' }],
  })
  bridge = await startBridge({
    API_KEYS_JSON: JSON.stringify({ [keyA]: 'agent_a', [keyB]: 'agent_b' }),
    JWT_HS256_SECRET: hsSecret,
    JWT_JWKS_URL: keys.jwksUrl,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    AUTH_MTLS_ENABLED: 'true',
    MTLS_MODE: 'header',
    // Not this test's address: its identity headers must be ignored.
    MTLS_TRUSTED_PROXIES: '10.0.0.0/8',
    MTLS_PROXY_SECRET: proxySecret,
    LOG_LEVEL: 'warn',
    AUDIT_LOG: 'off',
  })
  const put = await send(bridge.url, '/secrets/target', {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-api-key': keyB },
    body: JSON.stringify({ data: { v: VICTIM_VALUE } }),
  })
  expect(put.status).toBe(200)
}, 120_000)

afterAll(async () => {
  await bridge?.stop()
  await keys?.stop()
})

const refusedWithout = (r: { status: number; text: string }, statuses: number[]) => {
  expect(statuses, r.text).toContain(r.status)
  expect(r.text).not.toContain(VICTIM_VALUE)
}

describe('refused before issue 12, and still', () => {
  it('path traversal in every encoding is refused', async () => {
    const paths = [
      '/secrets/../agent_b/target',
      '/secrets/x/../../agent_b/target',
      '/secrets/..%2fagent_b%2ftarget',
      '/secrets/%2e%2e/agent_b/target',
      '/secrets/%2E%2E%2Fagent_b%2Ftarget',
      '/secrets/.%2e/agent_b/target',
      '/secrets/%252e%252e/agent_b/target',
      '/secrets/%25252e%25252e/agent_b/target',
      '/secrets/..%5cagent_b%5ctarget',
      '/secrets/%c0%ae%c0%ae/agent_b/target',
      '/secrets/%00/../agent_b/target',
      '/secrets?prefix=../agent_b/',
      '/secrets?prefix=..%2f&recursive=true',
    ]
    for (const path of paths) {
      const r = await send(bridge.url, path, { headers: asA })
      expect([400, 404], `${path}: ${r.status} ${r.text}`).toContain(r.status)
      expect(r.text, path).not.toContain(VICTIM_VALUE)
      expect(r.text, path).not.toContain('"target"')
    }
    const transit = await send(bridge.url, '/transit/encrypt', {
      method: 'POST',
      headers: { ...asA, 'content-type': 'application/json' },
      body: JSON.stringify({ key: '../agent_b--k', plaintext: 'eA==' }),
    })
    refusedWithout(transit, [400])
  })

  it('JWT algorithm confusion is refused', async () => {
    // HS256 signed with the RSA public key of the JWKS as its secret.
    const pem = await exportSPKI(rsa.publicKey)
    const token = await new SignJWT(claims('agent_b'))
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .sign(new TextEncoder().encode(pem))
    refusedWithout(await send(bridge.url, '/secrets/target', { headers: bearer(token) }), [401])
  })

  it('JWT alg none is refused', async () => {
    const token = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url.encode(JSON.stringify(claims('agent_b')))}.`
    refusedWithout(await send(bridge.url, '/secrets/target', { headers: bearer(token) }), [401])
  })

  it('a JWT that names its own key (jwk, jku, x5u) is refused', async () => {
    const attacker = await generateKeyPair('RS256', { extractable: true })
    for (const header of [
      { jwk: await exportJWK(attacker.publicKey) },
      { kid: 'k1', jku: 'http://127.0.0.1:9/jwks.json' },
      { kid: 'k1', x5u: 'http://127.0.0.1:9/cert.pem' },
    ]) {
      const token = await new SignJWT(claims('agent_b'))
        .setProtectedHeader({ alg: 'RS256', ...header })
        .sign(attacker.privateKey)
      refusedWithout(await send(bridge.url, '/secrets/target', { headers: bearer(token) }), [401])
    }
  })

  it('forged mTLS headers from an untrusted peer are ignored', async () => {
    const forged = {
      'x-ssl-client-s-dn': 'CN=agent_b,O=Example',
      'x-ssl-client-verify': 'SUCCESS',
      'x-mtls-proxy-secret': proxySecret,
    }
    refusedWithout(await send(bridge.url, '/secrets/target', { headers: forged }), [401])
    // With a credential of its own, the caller stays who it is.
    const who = await send(bridge.url, '/whoami', { headers: { ...forged, ...asA } })
    expect(who.json).toMatchObject({ agent: 'agent_a', method: 'api_key' })
  })

  it('credentials of two agents in one request are refused', async () => {
    const token = await new SignJWT(claims('agent_b'))
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(hsSecret))
    refusedWithout(
      await send(bridge.url, '/secrets/target', { headers: { ...asA, ...bearer(token) } }),
      [401],
    )
  })

  it('a foreign Origin or a rebinding Host on /mcp is refused', async () => {
    const init = mcpInitialize()
    const headers = { ...asA, ...MCP_POST_HEADERS }
    const attacks: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { host: 'rebound.evil.example' },
    ]
    for (const extra of attacks) {
      const r = await send(bridge.url, '/mcp', {
        method: 'POST',
        headers: { ...headers, ...extra },
        body: init,
      })
      expect(r.status, r.text).toBe(403)
      expect(r.text).not.toContain('serverInfo')
    }
  })

  it('an oversized body is refused before it is parsed', async () => {
    const body = JSON.stringify({ data: { big: 'x'.repeat(2 * 1024 * 1024) } })
    const sized = await send(bridge.url, '/secrets/big', {
      method: 'PUT',
      headers: { ...asA, 'content-type': 'application/json' },
      body,
    })
    expect(sized.status).toBe(413)
    expect(sized.json.error.code).toBe('PAYLOAD_TOO_LARGE')
    // Chunked, without a Content-Length to refuse it by.
    const chunked = await new Promise<number>((resolve, reject) => {
      const u = new URL(bridge.url)
      const req = httpRequest(
        {
          host: u.hostname,
          port: u.port,
          method: 'PUT',
          path: '/secrets/big',
          headers: { ...asA, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      for (let i = 0; i < 32; i++) req.write('x'.repeat(64 * 1024))
      req.end()
    })
    expect(chunked).toBe(413)
    const read = await send(bridge.url, '/secrets/big', { headers: asA })
    expect(read.status).toBe(404)
  })
})

describe('child tokens: Vault itself enforces the namespaces', () => {
  let vault: DevVault
  let proxy: VaultProxy
  let serve: CliProcess
  let url: string

  beforeAll(async () => {
    vault = await startDevVault({ port: 0 })
    proxy = await startVaultProxy(vault.url)
    const admin = { VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken }
    const provision = spawnCli(['provision', '--agents', 'agent_a,agent_b'], admin, 60_000)
    expect(await provision.exited, provision.output()).toBe(0)
    const port = await freePort()
    serve = spawnCli(
      ['serve'],
      {
        VAULT_ADDR: proxy.url,
        VAULT_TOKEN: vault.rootToken,
        CHILD_TOKEN_ENABLED: 'true',
        // A reused child token stays alive after its request, so this test can try it.
        CHILD_TOKEN_REUSE_SECONDS: '60',
        API_KEYS_JSON: JSON.stringify({ [keyA]: 'agent_a', [keyB]: 'agent_b' }),
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
  })

  it("Vault refuses a child token another agent's paths", async () => {
    const writes: [string, string][] = [
      [keyB, VICTIM_VALUE],
      [keyA, 'agent-a-value'],
    ]
    for (const [key, value] of writes) {
      const put = await send(url, '/secrets/own', {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify({ data: { v: value } }),
      })
      expect(put.status).toBe(200)
    }
    // agent_a's child token, as it went to Vault.
    const call = proxy.requests.find(
      (r) => r.path.includes('/agent_a/') && r.token && r.token !== vault.rootToken,
    )
    expect(call?.token).toBeDefined()
    const asChild = (path: string) =>
      fetch(`${vault.url}/v1/${path}`, { headers: { 'X-Vault-Token': call!.token! } })
    const own = call!.path.replace(/\/agent_a\/.*/, '/agent_a/own')
    expect((await asChild(own)).status).toBe(200)
    const other = await asChild(own.replace('/agent_a/', '/agent_b/'))
    expect(other.status).toBe(403)
    expect(await other.text()).not.toContain(VICTIM_VALUE)
  })
})
