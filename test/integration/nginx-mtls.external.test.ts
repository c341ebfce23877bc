/**
 * @module nginx mTLS front, end to end: a real nginx (Debian package) with deploy/nginx's config
 * terminates TLS and verifies client certificates (made with openssl here), then passes the
 * identity headers to a real bridge on the dev vault that trusts only that proxy's address.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../helpers/free-port.js'

const root = join(import.meta.dirname, '..', '..')
const haveNginx = spawnSync('nginx', ['-v']).status === 0
// Security: the bridge trusts identity headers only from this address; nginx binds to it for
// its upstream connections, while test clients talking to the bridge directly come from 127.0.0.1.
const PROXY_ADDRESS = '127.0.0.2'

const waitFor = async (check: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 150; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`${what} did not come up`)
}

const tcpOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => (s.end(), resolve(true)))
    s.once('error', () => resolve(false))
  })

let dir: string
let nginx: ChildProcess | undefined
let bridge: ChildProcess | undefined
let bridgePort: number
let tlsPort: number
let bridgeLog = ''

function makeCertificates(d: string) {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: d, stdio: 'pipe' })
  const ca = (name: string, cn: string) =>
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
    )
  const leaf = (name: string, subject: string, caName: string, ext?: string) => {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      subject,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    )
    const extArgs = ext
      ? (writeFileSync(join(d, `${name}.ext`), ext), ['-extfile', `${name}.ext`])
      : []
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${caName}.crt`,
      '-CAkey',
      `${caName}.key`,
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      `${name}.crt`,
      ...extArgs,
    )
  }
  ca('server-ca', 'Test Server CA')
  ca('client-ca', 'Test Client CA')
  ca('rogue-ca', 'Rogue CA')
  leaf('server', '/CN=localhost', 'server-ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  leaf('client', '/O=Example/CN=agent_mtls', 'client-ca', 'extendedKeyUsage=clientAuth\n')
  leaf('rogue', '/O=Example/CN=agent_mtls', 'rogue-ca', 'extendedKeyUsage=clientAuth\n')
}

function renderNginxConfig(d: string) {
  const site = readFileSync(join(root, 'deploy', 'nginx', 'vault-mcp-bridge.conf'), 'utf8')
    .replace('server 127.0.0.1:8089;', `server 127.0.0.1:${bridgePort};`)
    .replace('listen 8443 ssl;', `listen 127.0.0.1:${tlsPort} ssl;`)
    .replaceAll('/etc/vault-mcp-bridge/tls/', `${d}/`)
    .replace(
      'proxy_pass http://vault_mcp_bridge;',
      `proxy_pass http://vault_mcp_bridge;\n        proxy_bind ${PROXY_ADDRESS};`,
    )
  expect(site).toContain(`proxy_bind ${PROXY_ADDRESS}`)
  writeFileSync(join(d, 'site.conf'), site)
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `  ${t}_temp_path ${d}/${t};`)
    .join('\n')
  writeFileSync(
    join(d, 'nginx.conf'),
    `daemon off;\nmaster_process off;\npid ${d}/nginx.pid;\nerror_log ${d}/error.log warn;\n` +
      `events { worker_connections 64; }\nhttp {\n  access_log off;\n${temp}\n  include ${d}/site.conf;\n}\n`,
  )
}

interface Reply {
  status: number
  body: string
}

const viaNginx = (
  path: string,
  opts: {
    client?: 'client' | 'rogue'
    method?: string
    body?: string
    headers?: Record<string, string>
  } = {},
) =>
  new Promise<Reply>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: tlsPort,
        path,
        method: opts.method ?? 'GET',
        ca: readFileSync(join(dir, 'server-ca.crt')),
        ...(opts.client
          ? {
              cert: readFileSync(join(dir, `${opts.client}.crt`)),
              key: readFileSync(join(dir, `${opts.client}.key`)),
            }
          : {}),
        headers: { 'content-type': 'application/json', ...opts.headers },
      },
      (res) => {
        let body = ''
        res.on('data', (c) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      },
    )
    req.on('error', reject)
    req.end(opts.body)
  })

describe.skipIf(!haveNginx)('nginx mTLS front', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vmb-nginx-'))
    bridgePort = await freePort()
    tlsPort = await freePort()
    makeCertificates(dir)
    renderNginxConfig(dir)

    bridge = spawn(
      join(root, 'node_modules', '.bin', 'tsx'),
      [join(root, 'scripts', 'dev.ts')],
      {
        cwd: root,
        env: {
          ...process.env,
          HOST: '127.0.0.1',
          PORT: String(bridgePort),
          VAULT_ADDR: '',
          VAULT_TOKEN: '',
          AUTH_MTLS_ENABLED: 'true',
          AUTH_API_KEY_ENABLED: 'true',
          API_KEYS_JSON: '{"nginx-test-api-key-0001": "agent_api"}',
          MTLS_TRUSTED_PROXIES: `${PROXY_ADDRESS}/32`,
          AUDIT_LOG: 'off',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    bridge.stdout!.on('data', (c) => (bridgeLog += c))
    bridge.stderr!.on('data', (c) => (bridgeLog += c))
    await waitFor(
      () =>
        fetch(`http://127.0.0.1:${bridgePort}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      `bridge (${bridgeLog.slice(-500)})`,
    )

    nginx = spawn(
      'nginx',
      ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
      {
        stdio: 'ignore',
      },
    )
    await waitFor(() => tcpOpen(tlsPort), 'nginx')
  }, 90_000)

  afterAll(() => {
    nginx?.kill('SIGTERM')
    bridge?.kill('SIGTERM')
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('a client with a valid certificate reaches its own namespace', async () => {
    const who = await viaNginx('/whoami', { client: 'client' })
    expect(who.status).toBe(200)
    expect(JSON.parse(who.body)).toMatchObject({ agent: 'agent_mtls', method: 'mtls' })

    const put = await viaNginx('/secrets/nginx/probe', {
      client: 'client',
      method: 'PUT',
      body: JSON.stringify({ data: { via: 'nginx' } }),
    })
    expect(put.status).toBe(200)
    const get = await viaNginx('/secrets/nginx/probe', { client: 'client' })
    expect(get.status).toBe(200)
    expect(JSON.parse(get.body).data).toEqual({ via: 'nginx' })
  })

  it('identity headers a client sends through the proxy are replaced by the certificate', async () => {
    const who = await viaNginx('/whoami', {
      client: 'client',
      headers: { 'X-SSL-Client-S-DN': 'CN=agent_api', 'X-SSL-Client-Verify': 'SUCCESS' },
    })
    expect(who.status).toBe(200)
    expect(JSON.parse(who.body).agent).toBe('agent_mtls')
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

  it('identity headers sent directly to the bridge from an untrusted address are ignored', async () => {
    const r = await fetch(`http://127.0.0.1:${bridgePort}/whoami`, {
      headers: { 'X-SSL-Client-S-DN': 'CN=agent_mtls,O=Example', 'X-SSL-Client-Verify': 'SUCCESS' },
    })
    expect(r.status).toBe(401)
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED')
  })
})
