/**
 * @module test/security/mtls: issue 12 item 1. With mTLS on, a process on the bridge's host must
 * not be able to be any agent: header mode needs MTLS_TRUSTED_PROXIES (no default) and the proxy
 * secret; a DN's values never become attributes; the bridge's own TLS listener takes the agent
 * from the verified certificate and believes no header. Over real HTTP(S), through the real
 * nginx where the finding is about the proxy.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomKey, send, startBridge, type Bridge } from '../helpers/bridge-process.js'
import { spawnCli } from '../helpers/cli.js'
import {
  httpsCall,
  makeCertificates,
  nginxSuiteRuns,
  pem,
  startNginx,
  type Nginx,
} from '../helpers/nginx.js'

const runNginx = nginxSuiteRuns('mTLS through nginx')

const VICTIM_VALUE = 'victim-db-password-7c1e'
const PROXY_ADDRESS = '127.0.0.2'
const forged = (agent: string) => ({
  'x-ssl-client-s-dn': `CN=${agent},O=Example`,
  'x-ssl-client-verify': 'SUCCESS',
})

let dir: string
const keyB = randomKey('agent-b')
/** Trusts loopback, as the old default did; one-line DNs (MTLS_DN_FORMAT=openssl). */
let loopback: Bridge
const loopbackSecret = randomKey('proxy')
/** Behind the shipped nginx, which connects from PROXY_ADDRESS. */
let proxied: Bridge
const proxiedSecret = randomKey('proxy')
let nginx: Nginx | undefined
let legacyNginx: Nginx | undefined
/** Native TLS with client certificates (MTLS_MODE=tls). */
let native: Bridge

const writeVictimSecret = async (b: Bridge) => {
  const put = await send(b.url, '/secrets/db/pw', {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-api-key': keyB },
    body: JSON.stringify({ data: { password: VICTIM_VALUE } }),
  })
  expect(put.status).toBe(200)
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vmb-sec-mtls-'))
  makeCertificates(dir, [
    { name: 'agent-mtls', subject: '/O=Example/CN=agent_mtls', ca: 'client-ca' },
    { name: 'ou-spoof', subject: '/O=Example/OU=x\\/CN=agent_b', ca: 'client-ca' },
    { name: 'rogue', subject: '/O=Example/CN=agent_b', ca: 'rogue-ca' },
  ])
  const keys = JSON.stringify({ [keyB]: 'agent_b' })
  ;[loopback, proxied, native] = await Promise.all([
    startBridge({
      API_KEYS_JSON: keys,
      AUTH_MTLS_ENABLED: 'true',
      MTLS_MODE: 'header',
      MTLS_TRUSTED_PROXIES: '127.0.0.1/32,::1/128',
      MTLS_PROXY_SECRET: loopbackSecret,
      MTLS_DN_FORMAT: 'openssl',
    }),
    startBridge({
      API_KEYS_JSON: keys,
      AUTH_MTLS_ENABLED: 'true',
      MTLS_MODE: 'header',
      MTLS_TRUSTED_PROXIES: `${PROXY_ADDRESS}/32`,
      MTLS_PROXY_SECRET: proxiedSecret,
    }),
    startBridge({
      API_KEYS_JSON: keys,
      AUTH_MTLS_ENABLED: 'true',
      TLS_CERT_FILE: join(dir, 'tls', 'server.crt'),
      TLS_KEY_FILE: join(dir, 'tls', 'server.key'),
      TLS_CLIENT_CA_FILE: join(dir, 'tls', 'client-ca.crt'),
    }),
  ])
  await writeVictimSecret(loopback)
  await writeVictimSecret(proxied)
  if (runNginx) {
    const common = {
      pki: dir,
      bridgePort: proxied.port,
      proxyAddress: PROXY_ADDRESS,
      proxySecret: proxiedSecret,
    }
    nginx = await startNginx({ ...common, dir: mkdtempSync(join(dir, 'nginx-')) })
    legacyNginx = await startNginx({
      ...common,
      dir: mkdtempSync(join(dir, 'nginx-legacy-')),
      // What an operator following an older guide (or HAProxy's default) would send.
      edit: (conf) => conf.replace('$ssl_client_s_dn;', '$ssl_client_s_dn_legacy;'),
    })
  }
}, 120_000)

afterAll(async () => {
  nginx?.stop()
  legacyNginx?.stop()
  await Promise.all([loopback?.stop(), proxied?.stop(), native?.stop()])
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const client = (name: string) => ({ cert: pem(dir, `${name}.crt`), key: pem(dir, `${name}.key`) })

describe('mTLS header mode', () => {
  it('mTLS header mode without MTLS_TRUSTED_PROXIES does not start', async () => {
    const env = {
      AUTH_MTLS_ENABLED: 'true',
      MTLS_MODE: 'header',
      MTLS_PROXY_SECRET: randomKey('proxy'),
      VAULT_ADDR: 'http://127.0.0.1:9',
      VAULT_TOKEN: 'hvs.not-used-0123456789',
      API_KEYS_JSON: JSON.stringify({ [randomKey('k')]: 'agent_a' }),
    }
    for (const command of ['check-config', 'serve']) {
      const run = spawnCli([command], env, 20_000)
      expect(await run.exited, `${command}: ${run.output()}`).toBe(2)
      const problems = run
        .stderr()
        .split('\n')
        .filter((l) => l.includes('MTLS_TRUSTED_PROXIES'))
      expect(problems).toHaveLength(1)
    }
  })

  it('forged mTLS headers from a process on the bridge host are refused', async () => {
    for (const headers of [
      forged('agent_b'),
      { ...forged('agent_b'), 'x-mtls-proxy-secret': 'a-guess-of-the-proxy-secret-000000000000' },
    ]) {
      const r = await send(loopback.url, '/secrets/db/pw', { headers })
      expect(r.status).toBe(401)
      expect(r.json.error.code).toBe('UNAUTHENTICATED')
      expect(r.text).not.toContain(VICTIM_VALUE)
    }
  })

  it('an escaped "\\/" in a one-line DN does not make a new attribute', async () => {
    // A proxy that escapes "/" (MTLS_DN_FORMAT=openssl) vouches for a certificate whose OU is
    // "x/CN=agent_b" and that has no CN of its own.
    const vouchFor = (dn: string) =>
      send(loopback.url, '/secrets/db/pw', {
        headers: {
          'x-ssl-client-s-dn': dn,
          'x-ssl-client-verify': 'SUCCESS',
          'x-mtls-proxy-secret': loopbackSecret,
        },
      })
    const r = await vouchFor('/O=Example/OU=x\\/CN=agent_b')
    expect(r.status).toBe(401)
    expect(r.text).not.toContain(VICTIM_VALUE)
    // The control: the same proxy vouching for a certificate whose CN is agent_b is agent_b, so
    // the 401 above is the escape at work, not a bridge that refuses every one-line DN.
    const control = await vouchFor('/O=Example/CN=agent_b')
    expect(control.status).toBe(200)
    expect(control.json.data).toEqual({ password: VICTIM_VALUE })
  })
})

describe.skipIf(!runNginx)('mTLS behind the shipped nginx', () => {
  it("forged mTLS headers from the proxy's own address are refused without the proxy secret", async () => {
    // Any process that can bind the proxy's address (same host, pod or network namespace).
    const r = await send(proxied.url, '/secrets/db/pw', {
      headers: forged('agent_b'),
      localAddress: PROXY_ADDRESS,
    })
    expect(r.status).toBe(401)
    expect(r.text).not.toContain(VICTIM_VALUE)
    // The proxy itself, with the secret from its include file, still gets through.
    const viaProxy = await httpsCall({
      port: nginx!.port,
      path: '/whoami',
      ca: pem(dir, 'server-ca.crt'),
      client: client('agent-mtls'),
    })
    expect(viaProxy.status).toBe(200)
    expect(viaProxy.json()).toMatchObject({ agent: 'agent_mtls', method: 'mtls' })
  })

  it('a certificate whose OU holds "/CN=<agent>" is not that agent through a one-line DN', async () => {
    const r = await httpsCall({
      port: legacyNginx!.port,
      path: '/secrets/db/pw',
      ca: pem(dir, 'server-ca.crt'),
      client: client('ou-spoof'),
    })
    expect(r.status).toBe(401)
    expect(r.body).not.toContain(VICTIM_VALUE)
  })
})

describe('mTLS on the bridge’s own TLS listener', () => {
  const call = (path: string, o: { client?: string; headers?: Record<string, string> } = {}) =>
    httpsCall({
      port: native.port,
      path,
      ca: pem(dir, 'server-ca.crt'),
      ...(o.client ? { client: client(o.client) } : {}),
      headers: o.headers ?? {},
    })

  it('over native TLS the agent comes from the verified certificate, never from headers', async () => {
    const headers = { ...forged('agent_b'), 'x-mtls-proxy-secret': 'anything' }
    const withCert = await call('/whoami', { client: 'agent-mtls', headers })
    expect(withCert.status).toBe(200)
    expect(withCert.json()).toMatchObject({ agent: 'agent_mtls', method: 'mtls' })
    const withoutCert = await call('/whoami', { headers })
    expect(withoutCert.status).toBe(401)
    // Other methods still work on the same listener.
    const withKey = await call('/whoami', { headers: { 'x-api-key': keyB } })
    expect(withKey.json()).toMatchObject({ agent: 'agent_b', method: 'api_key' })
  })

  it('a client certificate from another CA is refused on native TLS', async () => {
    const r = await call('/whoami', { client: 'rogue' })
    expect(r.status).toBe(401)
    expect(r.json().error.code).toBe('UNAUTHENTICATED')
    expect(r.headers['www-authenticate']).toMatch(/invalid_token/)
  })
})
