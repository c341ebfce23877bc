/**
 * @module test/security/guards: issue 12 items 3 and 10. Every authenticated route (REST as
 * well as /mcp) refuses a foreign Origin, a cross-site request, a Host the bridge does not answer
 * to (DNS rebinding) and a body that is not JSON, before authentication; the shipped nginx front
 * serves /mcp under a public host name listed in ALLOWED_HOSTS. Over real HTTP, through the real
 * nginx where a browser with a client certificate would go.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  MCP_POST_HEADERS,
  mcpInitialize,
  randomKey,
  send,
  startBridge,
  type Bridge,
  type Reply,
} from '../helpers/bridge-process.js'
import {
  PUBLIC_HOST,
  httpsCall,
  makeCertificates,
  nginxSuiteRuns,
  pem,
  startNginx,
  type Nginx,
} from '../helpers/nginx.js'

const runNginx = nginxSuiteRuns('guards through nginx')

const PROXY_ADDRESS = '127.0.0.2'
const proxySecret = randomKey('proxy')
const key = randomKey('agent-b')
const EVIL = 'https://evil.example'

let dir: string
let bridge: Bridge
let nginx: Nginx | undefined

const json = { 'content-type': 'application/json', 'x-api-key': key }
const refused = (r: Reply, status: number, code: string) => {
  expect(r.status).toBe(status)
  expect(r.json?.error?.code).toBe(code)
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vmb-sec-guards-'))
  makeCertificates(dir, [{ name: 'agent-b', subject: '/O=Example/CN=agent_b', ca: 'client-ca' }])
  bridge = await startBridge({
    API_KEYS_JSON: JSON.stringify({ [key]: 'agent_b' }),
    AUTH_MTLS_ENABLED: 'true',
    MTLS_MODE: 'header',
    MTLS_TRUSTED_PROXIES: `${PROXY_ADDRESS}/32`,
    MTLS_PROXY_SECRET: proxySecret,
    ALLOWED_HOSTS: PUBLIC_HOST,
  })
  for (const version of [1, 2]) {
    const put = await send(bridge.url, '/secrets/db/pw', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ data: { password: `v${version}` } }),
    })
    expect(put.status).toBe(200)
  }
  if (runNginx) {
    nginx = await startNginx({
      dir: mkdtempSync(join(dir, 'nginx-')),
      pki: dir,
      bridgePort: bridge.port,
      proxyAddress: PROXY_ADDRESS,
      proxySecret,
    })
  }
}, 120_000)

afterAll(async () => {
  nginx?.stop()
  await bridge?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const versionOneIsLive = async () => {
  const r = await send(bridge.url, '/secrets/db/pw?version=1', { headers: { 'x-api-key': key } })
  expect(r.status).toBe(200)
  expect(r.json.data).toEqual({ password: 'v1' })
}

describe.skipIf(!runNginx)(
  'a browser holding a client certificate, through the shipped nginx',
  () => {
    it('a cross-site text/plain POST cannot destroy versions through the shipped nginx', async () => {
      // What a hostile page's <form> or fetch(..., {mode: 'no-cors'}) makes the browser send.
      const r = await httpsCall({
        port: nginx!.port,
        path: '/secrets/db/pw:destroy',
        method: 'POST',
        ca: pem(dir, 'server-ca.crt'),
        client: { cert: pem(dir, 'agent-b.crt'), key: pem(dir, 'agent-b.key') },
        headers: {
          host: PUBLIC_HOST,
          origin: EVIL,
          'sec-fetch-site': 'cross-site',
          'sec-fetch-mode': 'no-cors',
          'content-type': 'text/plain',
        },
        body: JSON.stringify({ versions: [1] }),
      })
      expect(r.status).toBe(403)
      expect(r.json().error.code).toBe('FORBIDDEN')
      await versionOneIsLive()
    })

    it('/mcp works through the shipped nginx with a public host name', async () => {
      const init = (host: string) =>
        httpsCall({
          port: nginx!.port,
          path: '/mcp',
          method: 'POST',
          ca: pem(dir, 'server-ca.crt'),
          client: { cert: pem(dir, 'agent-b.crt'), key: pem(dir, 'agent-b.key') },
          // The TLS name stays the bridge's: only the Host header is rebound.
          servername: PUBLIC_HOST,
          headers: { host, ...MCP_POST_HEADERS },
          body: mcpInitialize('nginx-host-test'),
        })
      const ok = await init(PUBLIC_HOST)
      expect(ok.status).toBe(200)
      expect(ok.json().result.serverInfo.name).toBe('vault-mcp-bridge')
      // A name the bridge does not answer to is still refused (DNS rebinding through the proxy).
      const other = await init('rebound.evil.example')
      expect(other.status).toBe(403)
      expect(other.body).not.toContain('serverInfo')
    })
  },
)

describe('the guard on every REST route', () => {
  it('REST refuses a body that is not application/json', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=b',
    ]) {
      const r = await send(bridge.url, '/secrets/csrf/probe', {
        method: 'PUT',
        headers: { 'x-api-key': key, 'content-type': type },
        body: JSON.stringify({ data: { written: 'yes' } }),
      })
      refused(r, 415, 'UNSUPPORTED_MEDIA_TYPE')
    }
    const destroy = await send(bridge.url, '/secrets/db/pw:destroy', {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'text/plain' },
      body: JSON.stringify({ versions: [1] }),
    })
    refused(destroy, 415, 'UNSUPPORTED_MEDIA_TYPE')
    const read = await send(bridge.url, '/secrets/csrf/probe', { headers: { 'x-api-key': key } })
    refused(read, 404, 'SECRET_NOT_FOUND')
    await versionOneIsLive()
  })

  it('REST refuses a foreign Origin before authentication', async () => {
    refused(
      await send(bridge.url, '/secrets/db/pw', { headers: { 'x-api-key': key, origin: EVIL } }),
      403,
      'FORBIDDEN',
    )
    // Without a credential too: the page learns nothing, not even that one is missing.
    const anonymous = await send(bridge.url, '/secrets/db/pw', { headers: { origin: EVIL } })
    refused(anonymous, 403, 'FORBIDDEN')
    expect(anonymous.headers['www-authenticate']).toBeUndefined()
    const write = await send(bridge.url, '/secrets/db/pw', {
      method: 'PUT',
      headers: { ...json, origin: 'null' },
      body: JSON.stringify({ data: { password: 'overwritten' } }),
    })
    refused(write, 403, 'FORBIDDEN')
  })

  it('REST refuses Sec-Fetch-Site: cross-site', async () => {
    const r = await send(bridge.url, '/secrets/db/pw', {
      headers: { 'x-api-key': key, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' },
    })
    refused(r, 403, 'FORBIDDEN')
    expect(r.text).not.toContain('v2')
  })

  it('REST refuses a DNS-rebinding Host on a loopback-bound bridge', async () => {
    for (const host of ['rebound.evil.example', `${PUBLIC_HOST}.evil.example:8089`, '10.0.0.1']) {
      const r = await send(bridge.url, '/secrets/db/pw', { headers: { 'x-api-key': key, host } })
      refused(r, 403, 'FORBIDDEN')
    }
    // The names it does answer to.
    for (const host of [PUBLIC_HOST, `127.0.0.1:${bridge.port}`, 'localhost']) {
      expect(
        (await send(bridge.url, '/secrets/db/pw', { headers: { 'x-api-key': key, host } })).status,
      ).toBe(200)
    }
  })
})
