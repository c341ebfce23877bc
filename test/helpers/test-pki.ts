/**
 * @module test/helpers/test-pki: a private CA and certificates made with openssl (a short
 * fixture tool) in a temporary directory, and TLS servers on 127.0.0.1 that use them: a TLS
 * front for a (dev) Vault, and the misbehaving servers the startup tests talk to.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestPki {
  dir: string
  /** Path of the CA certificate (what VAULT_CACERT names). */
  caFile: string
  /** Makes a server certificate signed by the CA for `subjectAltName` (`IP:127.0.0.1`). */
  server(name: string, subjectAltName: string): { cert: Buffer; key: Buffer }
  remove(): void
}

/** A CA (P-256, two days) in a fresh temporary directory. */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'test-pki-'))
  const sh = (args: string) => execFileSync('openssl', args.split(' '), { cwd: dir, stdio: 'pipe' })
  const ec = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'
  sh(`req -x509 ${ec} -keyout ca.key -out ca.pem -days 2 -subj /CN=test-private-ca`)
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    server(name, subjectAltName) {
      sh(`req ${ec} -keyout ${name}.key -out ${name}.csr -subj /CN=${name}`)
      writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${subjectAltName}\n`)
      sh(
        `x509 -req -in ${name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out ${name}.pem ` +
          `-days 2 -extfile ${name}.ext`,
      )
      return {
        cert: readFileSync(join(dir, `${name}.pem`)),
        key: readFileSync(join(dir, `${name}.key`)),
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** A server on 127.0.0.1:0, its port, and how often a client connected to it. */
export interface LoopbackServer {
  port: number
  connections: () => number
  close(): Promise<void>
}

/** Listens `server` on 127.0.0.1:0 and counts its connections. */
export async function listenLoopback(server: Server): Promise<LoopbackServer> {
  let connections = 0
  const sockets = new Set<import('node:net').Socket>()
  server.on('connection', (s: import('node:net').Socket) => {
    connections += 1
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/**
 * HTTPS on 127.0.0.1 in front of the (plain HTTP) Vault at `target`, with `tls`: a Vault with
 * a certificate from a private CA.
 */
export function tlsFrontFor(
  target: string,
  tls: { cert: Buffer; key: Buffer },
): Promise<LoopbackServer> {
  const upstream = new URL(target)
  const server = createHttpsServer(tls, (req, res) => {
    const out = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(res)
      },
    )
    out.on('error', () => res.destroy())
    req.pipe(out)
  })
  return listenLoopback(server)
}
