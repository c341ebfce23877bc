/**
 * @module how `serve` starts against a Vault it cannot use as configured (issue 17): what can
 * never heal stops it with exit code 2 and one line naming the variable to change (a private-CA
 * certificate without VAULT_CACERT, garbage in VAULT_CACERT, https:// to plain HTTP, http:// to
 * TLS, a host name DNS does not know, a VAULT_ADDR ending in /v1, a port in use), while what may
 * pass (refused, reset, timed out, sealed) starts not ready and recovers. Real sockets on
 * loopback: a TLS front with a private CA before the dev vault, a plain HTTP server, a silent
 * one, a resetting one, `nonexistent.invalid`.
 */
import { writeFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createTcpServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startDevVault, type DevVault } from '@vault-mcp-bridge/dev-vault'
import { runMain, startMain } from '../helpers/cli.js'
import { freePort } from '../helpers/free-port.js'
import {
  createTestPki,
  listenLoopback,
  tlsFrontFor,
  type LoopbackServer,
  type TestPki,
} from '../helpers/test-pki.js'

const SECRET = 'hvs.startup-test-token-not-real-0001'
const KEY = 'startup-test-api-key-0123456789'

let pki: TestPki
let vault: DevVault
let front: LoopbackServer
let mismatched: LoopbackServer
beforeAll(async () => {
  pki = createTestPki()
  vault = await startDevVault({ port: 0 })
  front = await tlsFrontFor(vault.url, pki.server('vault', 'IP:127.0.0.1'))
  mismatched = await tlsFrontFor(vault.url, pki.server('elsewhere', 'DNS:vault.example.test'))
})
afterAll(async () => {
  await front?.close()
  await mismatched?.close()
  await vault?.close()
  pki?.remove()
})

const servers: LoopbackServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
})
const serve = async (server: Server) => {
  const s = await listenLoopback(server)
  servers.push(s)
  return s
}

const base = (env: Record<string, string>) => ({
  PORT: '0',
  API_KEYS_JSON: JSON.stringify({ [KEY]: 'agent_a' }),
  AUDIT_LOG: 'off',
  LOG_LEVEL: 'info',
  ...env,
})

/** Runs serve to its end (a refusal) and expects exit 2 with one line that mentions `mentions`. */
async function expectRefusal(env: Record<string, string>, ...mentions: string[]) {
  const r = await runMain(['serve'], base({ VAULT_TOKEN: SECRET, ...env, LOG_LEVEL: 'silent' }))
  expect(r.code, r.stderr).toBe(2)
  const lines = r.stderr.trimEnd().split('\n')
  expect(lines, r.stderr).toHaveLength(1)
  for (const m of mentions) expect(lines[0]).toContain(m)
  expect(r.stdout + r.stderr).not.toContain(SECRET)
  return lines[0]!
}

/** Starts serve, expects it to listen although Vault is not usable yet, and stops it. */
async function expectStartNotReady(env: Record<string, string>) {
  const b = startMain(['serve'], base({ VAULT_TOKEN: SECRET, ...env }))
  const url = (await b.waitFor(/"url":"(http:\/\/[^"]+)"/))[1]!
  expect(b.stderr()).toContain('"event":"vault_unreachable"')
  expect(b.stderr()).toContain('starting anyway')
  const ready = await fetch(`${url}/readyz`)
  expect(ready.status).toBe(503)
  expect(ready.headers.get('retry-after')).toBeTruthy()
  expect((await fetch(`${url}/healthz`)).status).toBe(200)
  expect(await b.stop()).toBe(0)
  expect(b.output()).not.toContain(SECRET)
}

describe('what can never heal stops serve with exit 2 and one line', () => {
  it('a Vault certificate from a private CA without VAULT_CACERT', async () => {
    await expectRefusal({ VAULT_ADDR: `https://127.0.0.1:${front.port}` }, 'VAULT_CACERT')
  })

  it('a Vault certificate for another host name', async () => {
    await expectRefusal(
      { VAULT_ADDR: `https://127.0.0.1:${mismatched.port}`, VAULT_CACERT: pki.caFile },
      'VAULT_ADDR',
      'ERR_TLS_CERT_ALTNAME_INVALID',
    )
  })

  it('garbage in VAULT_CACERT, before Vault is contacted', async () => {
    const garbage = join(pki.dir, 'garbage.pem')
    writeFileSync(garbage, 'this is not a certificate\n')
    const before = front.connections()
    await expectRefusal(
      { VAULT_ADDR: `https://127.0.0.1:${front.port}`, VAULT_CACERT: garbage },
      'VAULT_CACERT',
    )
    expect(front.connections()).toBe(before)
  })

  it('a VAULT_CACERT that does not exist, before Vault is contacted', async () => {
    const before = front.connections()
    await expectRefusal(
      { VAULT_ADDR: `https://127.0.0.1:${front.port}`, VAULT_CACERT: '/nonexistent/ca.pem' },
      'VAULT_CACERT',
    )
    expect(front.connections()).toBe(before)
  })

  it('https:// to a plain-HTTP server that answers the handshake with HTTP', async () => {
    const plain = await serve(createHttpServer((_req, res) => res.end('{}')))
    await expectRefusal({ VAULT_ADDR: `https://127.0.0.1:${plain.port}` }, 'http://')
  })

  it('https:// to a plain-HTTP server that stays silent during the handshake', async () => {
    // Like Go's HTTP server: it waits for the end of a request line that a TLS hello never sends.
    const silent = await serve(
      createTcpServer((socket) => {
        let seen = ''
        socket.on('data', (d: Buffer) => {
          seen += d.toString('latin1')
          if (seen.includes('\r\n\r\n')) {
            socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}')
          }
        })
        socket.on('error', () => undefined)
      }),
    )
    await expectRefusal({ VAULT_ADDR: `https://127.0.0.1:${silent.port}` }, 'http://')
  })

  it('http:// to a TLS listener', async () => {
    await expectRefusal({ VAULT_ADDR: `http://127.0.0.1:${front.port}` }, 'https://')
  })

  it('a host name DNS does not know', async () => {
    await expectRefusal({ VAULT_ADDR: 'https://nonexistent.invalid:8200' }, 'VAULT_ADDR', 'DNS')
  })

  it('a VAULT_ADDR ending in /v1', async () => {
    const r = await runMain(['serve'], base({ VAULT_TOKEN: SECRET, VAULT_ADDR: `${vault.url}/v1` }))
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^\s*VAULT_ADDR: must not end in \/v1/m)
  })

  it.each(['PORT', 'METRICS_PORT'])('a %s in use, before Vault is contacted', async (variable) => {
    const counting = await serve(createTcpServer((s) => s.destroy()))
    const taken = await serve(createTcpServer((s) => s.destroy()))
    const line = await expectRefusal(
      { VAULT_ADDR: `http://127.0.0.1:${counting.port}`, [variable]: String(taken.port) },
      variable,
      'in use',
    )
    expect(line).toMatch(new RegExp(`\\b${variable}\\b`))
    expect(counting.connections()).toBe(0)
  })

  it('stdio stops the same way (a host name DNS does not know)', async () => {
    const r = await runMain(['stdio'], {
      ...base({ VAULT_TOKEN: SECRET, VAULT_ADDR: 'https://nonexistent.invalid:8200' }),
      MCP_STDIO_AGENT: 'agent_a',
      LOG_LEVEL: 'silent',
    })
    expect(r.code, r.stderr).toBe(2)
    const lines = r.stderr.trimEnd().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('VAULT_ADDR')
    expect(lines[0]).toContain('DNS')
    expect(r.stdout + r.stderr).not.toContain(SECRET)
  })
})

describe('what may pass starts serve not ready, and it recovers', () => {
  it('refused', async () => {
    const port = await freePort()
    await expectStartNotReady({ VAULT_ADDR: `http://127.0.0.1:${port}` })
    await expectStartNotReady({ VAULT_ADDR: `https://127.0.0.1:${port}` })
  })

  it('reset', async () => {
    const reset = await serve(createTcpServer((s) => s.destroy()))
    await expectStartNotReady({ VAULT_ADDR: `http://127.0.0.1:${reset.port}` })
    await expectStartNotReady({ VAULT_ADDR: `https://127.0.0.1:${reset.port}` })
  })

  it('timed out (a server that never answers)', async () => {
    const mute = await serve(createTcpServer((s) => s.on('error', () => undefined)))
    await expectStartNotReady({ VAULT_ADDR: `http://127.0.0.1:${mute.port}`, VAULT_TIMEOUT: '1s' })
  })

  it('sealed (503)', async () => {
    const sealed = await serve(
      createHttpServer((_req, res) => {
        res.writeHead(503, { 'Content-Type': 'application/json' })
        res.end(JSON.stringify({ errors: ['Vault is sealed'] }))
      }),
    )
    await expectStartNotReady({ VAULT_ADDR: `http://127.0.0.1:${sealed.port}` })
  })
})

describe('a Vault with a private CA', () => {
  it('serves with VAULT_CACERT, and is ready', async () => {
    const b = startMain(
      ['serve'],
      base({
        VAULT_ADDR: `https://127.0.0.1:${front.port}`,
        VAULT_CACERT: pki.caFile,
        VAULT_TOKEN: vault.rootToken,
      }),
    )
    const url = (await b.waitFor(/"url":"(http:\/\/[^"]+)"/))[1]!
    expect((await fetch(`${url}/readyz`)).status).toBe(200)
    expect(await b.stop()).toBe(0)
  })

  it('serves with VAULT_SKIP_VERIFY, warning about it exactly once', async () => {
    const b = startMain(
      ['serve'],
      base({
        VAULT_ADDR: `https://127.0.0.1:${front.port}`,
        VAULT_SKIP_VERIFY: 'true',
        VAULT_TOKEN: vault.rootToken,
      }),
    )
    const url = (await b.waitFor(/"url":"(http:\/\/[^"]+)"/))[1]!
    expect((await fetch(`${url}/readyz`)).status).toBe(200)
    expect(await b.stop()).toBe(0)
    expect(b.stderr().split('VAULT_SKIP_VERIFY is set').length - 1).toBe(1)
  })
})

describe('while it logs in', () => {
  it('answers on its port at once: /healthz 200, everything else 503 with Retry-After', async () => {
    // Vault that takes its time: the bridge's port is bound before the login ends.
    let release: () => void = () => {}
    const held = new Promise<void>((r) => (release = r))
    const slow = await serve(
      createHttpServer((req, res) => {
        void held.then(() => {
          const target = new URL(req.url ?? '/', vault.url)
          void fetch(target, {
            method: req.method,
            headers: { 'X-Vault-Token': String(req.headers['x-vault-token'] ?? '') },
          }).then(async (r) => {
            res.writeHead(r.status, { 'Content-Type': 'application/json' })
            res.end(await r.text())
          })
        })
      }),
    )
    const port = await freePort()
    const b = startMain(
      ['serve'],
      base({
        VAULT_ADDR: `http://127.0.0.1:${slow.port}`,
        VAULT_TOKEN: vault.rootToken,
        PORT: String(port),
      }),
    )
    const waitForPort = async () => {
      for (;;) {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined)
        if (r) return r
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
    const health = await waitForPort()
    expect(health.status).toBe(200)
    const early = await fetch(`http://127.0.0.1:${port}/whoami`, { headers: { 'X-API-Key': KEY } })
    expect(early.status).toBe(503)
    expect(early.headers.get('retry-after')).toBeTruthy()
    expect(((await early.json()) as { error: { code: string } }).error.code).toBe(
      'VAULT_UNAVAILABLE',
    )
    release()
    await b.waitFor(/vault-mcp-bridge listening/)
    const who = await fetch(`http://127.0.0.1:${port}/whoami`, { headers: { 'X-API-Key': KEY } })
    expect(who.status).toBe(200)
    expect(await b.stop()).toBe(0)
  })
})
