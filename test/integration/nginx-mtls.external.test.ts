/**
 * @module nginx mTLS front, end to end: a real nginx (Debian package) with deploy/nginx's config
 * terminates TLS and verifies client certificates (made with openssl here), then passes the
 * identity headers and the proxy secret to a real bridge on the dev vault that trusts only that
 * proxy's address (MTLS_MODE=header). The attacks on this setup are in test/security/.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  httpsCall,
  makeCertificates,
  nginxSuiteRuns,
  pem,
  startNginx,
  type HttpsCall,
  type Nginx,
} from '../helpers/nginx.js'
import { startBridge, type Bridge } from '../helpers/bridge-process.js'

const runNginx = nginxSuiteRuns('nginx-mtls')

// nginx binds to this address for its upstream connections; the bridge trusts only it.
const PROXY_ADDRESS = '127.0.0.2'
const PROXY_SECRET = 'nginx-test-proxy-secret-0123456789abcdef'

let dir: string
let nginx: Nginx | undefined
let bridge: Bridge | undefined

const viaNginx = (
  path: string,
  o: Omit<HttpsCall, 'port' | 'path' | 'ca' | 'client'> & { client?: 'client' | 'rogue' } = {},
) =>
  httpsCall({
    ...o,
    port: nginx!.port,
    path,
    ca: pem(dir, 'server-ca.crt'),
    client: o.client && { cert: pem(dir, `${o.client}.crt`), key: pem(dir, `${o.client}.key`) },
    headers: { 'content-type': 'application/json', ...o.headers },
  })

describe.skipIf(!runNginx)('nginx mTLS front', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vmb-nginx-'))
    makeCertificates(dir, [
      { name: 'client', subject: '/O=Example/CN=agent_mtls', ca: 'client-ca' },
      { name: 'rogue', subject: '/O=Example/CN=agent_mtls', ca: 'rogue-ca' },
    ])
    bridge = await startBridge({
      AUTH_MTLS_ENABLED: 'true',
      MTLS_MODE: 'header',
      MTLS_TRUSTED_PROXIES: `${PROXY_ADDRESS}/32`,
      MTLS_PROXY_SECRET: PROXY_SECRET,
      API_KEYS_JSON: '{"nginx-test-api-key-0001-abcdefghijklmnop": "agent_api"}',
      AUDIT_LOG: 'off',
      LOG_LEVEL: 'warn',
    })
    nginx = await startNginx({
      dir,
      bridgePort: bridge.port,
      proxyAddress: PROXY_ADDRESS,
      proxySecret: PROXY_SECRET,
    })
  }, 90_000)

  afterAll(async () => {
    nginx?.stop()
    await bridge?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('a client with a valid certificate reaches its own namespace', async () => {
    const who = await viaNginx('/whoami', { client: 'client' })
    expect(who.status).toBe(200)
    expect(who.json()).toMatchObject({ agent: 'agent_mtls', method: 'mtls' })

    const put = await viaNginx('/secrets/nginx/probe', {
      client: 'client',
      method: 'PUT',
      body: JSON.stringify({ data: { via: 'nginx' } }),
    })
    expect(put.status).toBe(200)
    const get = await viaNginx('/secrets/nginx/probe', { client: 'client' })
    expect(get.status).toBe(200)
    expect(get.json().data).toEqual({ via: 'nginx' })
  })

  it('identity headers a client sends through the proxy are replaced by the certificate', async () => {
    const who = await viaNginx('/whoami', {
      client: 'client',
      headers: {
        'X-SSL-Client-S-DN': 'CN=agent_api',
        'X-SSL-Client-Verify': 'SUCCESS',
        'X-Mtls-Proxy-Secret': 'guess',
      },
    })
    expect(who.status).toBe(200)
    expect(who.json().agent).toBe('agent_mtls')
  })

  it('no client certificate is refused by nginx', async () => {
    const r = await viaNginx('/whoami')
    expect(r.status).toBe(400)
    expect(r.body).toContain('No required SSL certificate was sent')
  })

  it('a certificate from another CA is refused by nginx', async () => {
    const r = await viaNginx('/whoami', { client: 'rogue' })
    expect(r.status).toBe(400)
    expect(r.body).toContain('certificate error')
  })
})
