/** @module vault/node-vault-client tests: headers, env isolation, keep-alive, timeout and TLS. */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../config/load.js'
import {
  createNodeVaultClient,
  createNodeVaultClientFactory,
  readVaultTls,
  skipVerifyWarning,
} from './node-vault-client.js'
import { VaultStartupError } from './vault-startup-error.js'
import { vaultStatus } from './vault-errors.js'
import { createLogger, type Logger } from '../observability/logger.js'

/** The bridge's own logger (redaction included), keeping the level of each line it writes. */
function recordingLogger(): { logger: Logger; levels: string[] } {
  const levels: string[] = []
  const write = (line: string) => void levels.push((JSON.parse(line) as { level: string }).level)
  return { logger: createLogger({ level: 'debug', destination: { write } }), levels }
}

const warnings = (levels: string[]) => levels.filter((l) => l === 'warn')

interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  socket: number
  authorized?: boolean
}

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections?.()
    await new Promise((r) => s.close(r))
  }
})

/** An HTTP(S) server on 127.0.0.1:0 that records each request and answers `{}` (or never). */
async function recordingServer(
  options: { silent?: boolean; tls?: { key: Buffer; cert: Buffer; ca: Buffer } } = {},
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const sockets = new Map<object, number>()
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (!sockets.has(req.socket)) sockets.set(req.socket, sockets.size + 1)
    req.resume()
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        socket: sockets.get(req.socket)!,
        authorized: (req.socket as TLSSocket).authorized,
      })
      if (options.silent) return
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end('{"data":{"ok":true}}')
    })
  }
  const server = options.tls
    ? createHttpsServer({ ...options.tls, requestCert: true, rejectUnauthorized: false }, handler)
    : createServer(handler)
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const scheme = options.tls ? 'https' : 'http'
  return { url: `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

describe('createNodeVaultClientFactory', () => {
  it('sends the namespace (and the token) on every kind of call', async () => {
    const { url, seen } = await recordingServer()
    const vault = loadConfig({ VAULT_ADDR: url, VAULT_NAMESPACE: 'team-a' }).vault
    const factory = createNodeVaultClientFactory(vault, { logger: recordingLogger().logger })
    const client = factory.client('tok-1')
    await client.read('secret/data/a')
    await client.write('secret/data/a', { data: { x: 1 } })
    await client.update('secret/data/a', { data: { x: 2 } })
    await client.request({ path: '/secret/metadata/?list=true', method: 'GET' })
    await client.delete('secret/data/a')
    await client.request({ path: '/sys/health', method: 'GET' })
    await factory.client().write('auth/approle/login', { role_id: 'r', secret_id: 's' })
    factory.close()
    expect(seen.map((s) => s.method)).toEqual([
      'GET',
      'POST',
      'PATCH',
      'GET',
      'DELETE',
      'GET',
      'POST',
    ])
    expect(seen.every((s) => s.headers['x-vault-namespace'] === 'team-a')).toBe(true)
    expect(seen.slice(0, 6).every((s) => s.headers['x-vault-token'] === 'tok-1')).toBe(true)
    expect(seen[6]!.headers['x-vault-token']).toBeUndefined()
    expect(seen[0]!.url).toBe('/v1/secret/data/a')
  })

  it('takes nothing from VAULT_* environment variables, only from its configuration', async () => {
    const { url, seen } = await recordingServer()
    const vault = loadConfig({ VAULT_ADDR: url }).vault
    const saved = { ...process.env }
    process.env.VAULT_TOKEN = 'env-token'
    process.env.VAULT_NAMESPACE = 'env-ns'
    process.env.VAULT_ADDR = 'http://127.0.0.1:1'
    process.env.VAULT_PREFIX = '/evil'
    try {
      const factory = createNodeVaultClientFactory(vault, { logger: recordingLogger().logger })
      await factory.client().read('sys/mounts')
      factory.close()
    } finally {
      for (const k of ['VAULT_TOKEN', 'VAULT_NAMESPACE', 'VAULT_ADDR', 'VAULT_PREFIX']) {
        if (saved[k] === undefined) delete process.env[k]
        else process.env[k] = saved[k]
      }
    }
    expect(seen).toHaveLength(1)
    expect(seen[0]!.url).toBe('/v1/sys/mounts')
    expect(seen[0]!.headers['x-vault-token']).toBeUndefined()
    expect(seen[0]!.headers['x-vault-namespace']).toBeUndefined()
  })

  it('keeps connections alive across calls and clients', async () => {
    const { url, seen } = await recordingServer()
    const factory = createNodeVaultClientFactory(
      loadConfig({ VAULT_ADDR: url }).vault,
      recordingLogger(),
    )
    for (const [token, path] of [
      ['a', 'x'],
      ['b', 'y'],
      ['a', 'z'],
      ['c', 'x'],
      ['b', 'y'],
      ['a', 'z'],
    ]) {
      await factory.client(token).read(path!)
    }
    factory.close()
    // undici's pool may hand consecutive calls to two of its connections; without keep-alive
    // every call would open its own.
    expect(seen).toHaveLength(6)
    expect(new Set(seen.map((s) => s.socket)).size).toBeLessThanOrEqual(2)
  })

  it('bounds every call by VAULT_TIMEOUT (a silent Vault is a network failure)', async () => {
    const { url } = await recordingServer({ silent: true })
    const vault = loadConfig({ VAULT_ADDR: url, VAULT_TIMEOUT: '0.2s' }).vault
    const factory = createNodeVaultClientFactory(vault, { logger: recordingLogger().logger })
    const err = await factory
      .client('t')
      .read('secret/data/a')
      .catch((e: unknown) => e)
    factory.close()
    expect(err).toBeInstanceOf(Error)
    expect(vaultStatus(err)).toBeUndefined()
    expect((err as { code?: string }).code).toBe('ECONNABORTED')
  })

  it('follows no redirect: a 307 is the answer, and the token goes nowhere else', async () => {
    const elsewhere = await recordingServer()
    const redirecting = createServer((req, res) => {
      req.resume()
      res.writeHead(307, { Location: `${elsewhere.url}/v1/secret/data/a` }).end()
    })
    servers.push(redirecting)
    await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`
    const factory = createNodeVaultClientFactory(loadConfig({ VAULT_ADDR: url }).vault, {
      logger: recordingLogger().logger,
    })
    const err = await factory
      .client('tok-1')
      .request({ path: '/secret/data/a', method: 'GET' })
      .catch((e: unknown) => e)
    factory.close()
    expect(vaultStatus(err)).toBe(307)
    expect(elsewhere.seen).toHaveLength(0)
  })

  it('refuses request options that are not what node-vault expects, before sending', async () => {
    const { url, seen } = await recordingServer()
    const factory = createNodeVaultClientFactory(loadConfig({ VAULT_ADDR: url }).vault, {
      logger: recordingLogger().logger,
    })
    const err = await factory
      .client('t')
      .request({ path: 42, method: 'GET' } as never)
      .catch((e: unknown) => e)
    factory.close()
    expect(err).toBeInstanceOf(TypeError)
    expect(seen).toHaveLength(0)
  })

  it('fails with a typed startup error when a TLS file cannot be read', () => {
    const vault = loadConfig({
      VAULT_ADDR: 'https://127.0.0.1:1',
      VAULT_CACERT: '/nonexistent/ca.pem',
    }).vault
    const err = (() => {
      try {
        createNodeVaultClientFactory(vault, { logger: recordingLogger().logger })
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(VaultStartupError)
    expect((err as VaultStartupError).reason).toBe('tls_files')
    expect((err as VaultStartupError).message).not.toContain('/nonexistent')
  })
})

describe('TLS to Vault', () => {
  let dir: string
  let pki: { ca: Buffer; serverKey: Buffer; serverCert: Buffer }
  const sh = (command: string) =>
    execFileSync('openssl', command.split(' '), { cwd: dir, stdio: 'pipe' })
  const ec = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vault-tls-'))
    sh(`req -x509 ${ec} -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca`)
    for (const [name, ext] of [
      ['server', 'subjectAltName=IP:127.0.0.1'],
      ['client', 'extendedKeyUsage=clientAuth'],
    ] as const) {
      sh(`req ${ec} -keyout ${name}.key -out ${name}.csr -subj /CN=${name}`)
      writeFileSync(join(dir, `${name}.ext`), `${ext}\n`)
      sh(
        `x509 -req -in ${name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out ${name}.pem ` +
          `-days 2 -extfile ${name}.ext`,
      )
    }
    const read = (f: string) => readFileSync(join(dir, f))
    pki = { ca: read('ca.pem'), serverKey: read('server.key'), serverCert: read('server.pem') }
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const tlsServer = () =>
    recordingServer({ tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.ca } })

  it('verifies Vault with VAULT_CACERT and presents VAULT_CLIENT_CERT/KEY', async () => {
    const { url, seen } = await tlsServer()
    const vault = loadConfig({
      VAULT_ADDR: url,
      VAULT_CACERT: join(dir, 'ca.pem'),
      VAULT_CLIENT_CERT: join(dir, 'client.pem'),
      VAULT_CLIENT_KEY: join(dir, 'client.key'),
    }).vault
    const client = createNodeVaultClient(vault, { token: 't', logger: recordingLogger().logger })
    await client.read('sys/mounts')
    // The sessions' path: `request` with no per-call options uses the same TLS settings.
    await client.request({ path: '/secret/data/a', method: 'GET' })
    client.close()
    expect(seen).toHaveLength(2)
    expect(seen.every((s) => s.authorized)).toBe(true)
  })

  it('refuses a Vault whose certificate it cannot verify', async () => {
    const { url, seen } = await tlsServer()
    const client = createNodeVaultClient(loadConfig({ VAULT_ADDR: url }).vault, {
      token: 't',
      logger: recordingLogger().logger,
    })
    const err = await client.read('sys/mounts').catch((e: unknown) => e)
    client.close()
    expect(vaultStatus(err)).toBeUndefined()
    expect(seen).toHaveLength(0)
  })

  it('skips verification only with VAULT_SKIP_VERIFY, which has its warning', async () => {
    const { url, seen } = await tlsServer()
    const { logger, levels } = recordingLogger()
    const vault = loadConfig({ VAULT_ADDR: url, VAULT_SKIP_VERIFY: 'true' }).vault
    const client = createNodeVaultClient(vault, { token: 't', logger })
    await client.read('sys/mounts')
    client.close()
    expect(seen).toHaveLength(1)
    // The startup checks give the warning, once (test/integration/startup-vault.test.ts); a
    // client factory gives none of its own.
    expect(warnings(levels)).toHaveLength(0)
    expect(skipVerifyWarning(vault)).toContain('VAULT_SKIP_VERIFY')
    expect(skipVerifyWarning(loadConfig({ VAULT_ADDR: url }).vault)).toBeUndefined()
  })

  it('refuses a VAULT_CACERT that holds no certificate, and a client key that does not fit', () => {
    writeFileSync(join(dir, 'garbage.pem'), 'not a certificate\n')
    const fails = (env: Record<string, string>) => {
      try {
        readVaultTls(loadConfig({ VAULT_ADDR: 'https://127.0.0.1:1', ...env }).vault)
        return undefined
      } catch (e) {
        return e as VaultStartupError
      }
    }
    expect(fails({ VAULT_CACERT: join(dir, 'garbage.pem') })?.message).toContain('VAULT_CACERT')
    expect(
      fails({ VAULT_CLIENT_CERT: join(dir, 'client.pem'), VAULT_CLIENT_KEY: join(dir, 'ca.key') })
        ?.reason,
    ).toBe('tls_files')
    expect(fails({ VAULT_CACERT: join(dir, 'ca.pem') })).toBeUndefined()
  })
})
