/**
 * @module test/helpers/nginx: a real nginx (Debian package) running the shipped
 * deploy/nginx/vault-mcp-bridge.conf on loopback, in front of a bridge; certificates made with
 * openssl; and an HTTPS client that presents a client certificate, or not.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { connect } from 'node:net'
import { join } from 'node:path'
import { installed, suiteRuns } from './external-tools.js'
import { freePort } from './free-port.js'

const root = join(import.meta.dirname, '..', '..')

/**
 * Whether the suite `name` that needs nginx runs: nginx is installed (scripts/ci/install-nginx.sh
 * installs it in CI), or this is CI, where a missing nginx fails the suite instead of skipping it.
 */
export const nginxSuiteRuns = (name: string): boolean =>
  suiteRuns(
    name,
    installed('nginx', ['-v']),
    'nginx is not installed (scripts/ci/install-nginx.sh)',
  )

/** Host names the server certificate is valid for (besides 127.0.0.1 and localhost). */
export const PUBLIC_HOST = 'bridge.example.test'

export interface Leaf {
  name: string
  /** OpenSSL `-subj` form; escape "/" inside a value as "\/". */
  subject: string
  /** Which CA signs it. */
  ca: 'client-ca' | 'rogue-ca'
}

/**
 * Makes, in `dir/tls/`: a server CA and a server certificate for 127.0.0.1, localhost and
 * {@link PUBLIC_HOST}; a client CA and a rogue CA; and one client certificate per leaf.
 */
export function makeCertificates(dir: string, leaves: Leaf[]): void {
  const tls = join(dir, 'tls')
  mkdirSync(tls, { recursive: true })
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: tls, stdio: 'pipe' })
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  for (const [name, cn] of [
    ['server-ca', 'Test Server CA'],
    ['client-ca', 'Test Client CA'],
    ['rogue-ca', 'Rogue CA'],
  ]) {
    openssl(
      'req',
      '-x509',
      ...key,
      '-days',
      '1',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
    )
  }
  const leaf = (name: string, subject: string, ca: string, ext: string) => {
    openssl('req', ...key, '-subj', subject, '-keyout', `${name}.key`, '-out', `${name}.csr`)
    writeFileSync(join(tls, `${name}.ext`), ext)
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
    )
  }
  leaf(
    'server',
    '/CN=localhost',
    'server-ca',
    `subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:${PUBLIC_HOST}\n`,
  )
  for (const l of leaves) leaf(l.name, l.subject, l.ca, 'extendedKeyUsage=clientAuth\n')
}

/** The PEM file `name` made by {@link makeCertificates}. */
export const pem = (dir: string, name: string): Buffer => readFileSync(join(dir, 'tls', name))

export interface NginxOptions {
  /** Where nginx keeps its configuration, logs and temporary files. */
  dir: string
  /** Where {@link makeCertificates} made the certificates (defaults to `dir`). */
  pki?: string
  bridgePort: number
  /** Loopback address nginx connects to the bridge from (`proxy_bind`), so tests can tell it apart. */
  proxyAddress: string
  /** The proxy secret written to the include file the shipped config reads. */
  proxySecret: string
  /** Further edits of the shipped config, for a variant an operator might write. */
  edit?: (conf: string) => string
}

export interface Nginx {
  port: number
  stop(): void
}

/**
 * Renders deploy/nginx/vault-mcp-bridge.conf for this test (ports, file paths under `dir`,
 * `proxy_bind`) and starts nginx on 127.0.0.1.
 */
export async function startNginx(o: NginxOptions): Promise<Nginx> {
  const port = await freePort()
  const shipped = readFileSync(join(root, 'deploy', 'nginx', 'vault-mcp-bridge.conf'), 'utf8')
  const site = (o.edit ?? ((c) => c))(
    shipped
      .replace('server 127.0.0.1:8089;', `server 127.0.0.1:${o.bridgePort};`)
      .replace('listen 8443 ssl;', `listen 127.0.0.1:${port} ssl;`)
      .replaceAll('/etc/vault-mcp-bridge/tls/', `${o.pki ?? o.dir}/tls/`)
      .replaceAll('/etc/vault-mcp-bridge/', `${o.dir}/`)
      .replace(
        'proxy_pass http://vault_mcp_bridge;',
        `proxy_pass http://vault_mcp_bridge;\n        proxy_bind ${o.proxyAddress};`,
      ),
  )
  if (!site.includes(`proxy_bind ${o.proxyAddress}`)) throw new Error('nginx config not rendered')
  writeFileSync(join(o.dir, 'site.conf'), site)
  writeFileSync(
    join(o.dir, 'proxy-secret.conf'),
    `set $vault_mcp_bridge_proxy_secret "${o.proxySecret}";\n`,
  )
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `  ${t}_temp_path ${o.dir}/${t};`)
    .join('\n')
  writeFileSync(
    join(o.dir, 'nginx.conf'),
    `daemon off;\nmaster_process off;\npid ${o.dir}/nginx.pid;\nerror_log ${o.dir}/error.log warn;\n` +
      `events { worker_connections 64; }\nhttp {\n  access_log off;\n${temp}\n  include ${o.dir}/site.conf;\n}\n`,
  )
  const child = spawn(
    'nginx',
    ['-p', o.dir, '-c', join(o.dir, 'nginx.conf'), '-e', join(o.dir, 'error.log')],
    {
      stdio: 'ignore',
    },
  )
  for (let i = 0; i < 150; i++) {
    if (await tcpOpen(port)) return { port, stop: () => void child.kill('SIGTERM') }
    if (child.exitCode !== null) break
    await new Promise((r) => setTimeout(r, 100))
  }
  child.kill('SIGKILL')
  let log = ''
  try {
    log = readFileSync(join(o.dir, 'error.log'), 'utf8')
  } catch {
    // nginx did not get far enough to write one.
  }
  throw new Error(`nginx did not start: ${log.slice(-1000)}`)
}

const tcpOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => (s.end(), resolve(true)))
    s.once('error', () => resolve(false))
  })

export interface HttpsReply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  json: () => any // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface HttpsCall {
  port: number
  path: string
  /** The CA that signed the server's certificate. */
  ca: Buffer
  /** A client certificate and key to present. */
  client?: { cert: Buffer; key: Buffer }
  method?: string
  headers?: Record<string, string>
  body?: string
  /** Source address of the connection (a loopback address). */
  localAddress?: string
  /** TLS server name (SNI, and the name the certificate must hold); the Host header otherwise. */
  servername?: string
}

/** One HTTPS request to 127.0.0.1 (SNI and certificate check follow the Host header). */
export function httpsCall(o: HttpsCall): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: o.port,
        path: o.path,
        method: o.method ?? 'GET',
        ca: o.ca,
        ...(o.client ?? {}),
        ...(o.localAddress ? { localAddress: o.localAddress } : {}),
        ...(o.servername ? { servername: o.servername } : {}),
        headers: o.headers ?? {},
        agent: false,
      },
      (res) => {
        let body = ''
        res.on('data', (c) => (body += c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: () => JSON.parse(body),
          }),
        )
      },
    )
    req.on('error', reject)
    req.end(o.body)
  })
}
