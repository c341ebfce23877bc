/**
 * @module scripts/run_dev.sh refuses the repository's demo credentials against any Vault but the
 * dev vault on loopback (issue 12, item 2): a real Vault (here: a loopback server that answers
 * sys/health as Vault does, since there is no Vault binary), an unreachable one and a non-loopback
 * address are refused with exit 2; own credentials pass; the dev vault keeps the demo credentials.
 */
import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevVault, type DevVault } from '@vault-mcp-bridge/dev-vault'
import { freePort } from '../helpers/free-port.js'

const root = join(import.meta.dirname, '..', '..')
const DEMO_JWT_SECRET = 'dev-only-hs256-secret-change-me-0123456789'

interface Run {
  code: number | null
  stderr: string
  stdout: string
}

/** Runs run_dev.sh until it exits, or until `ready` answers (then stops it). */
function runDev(env: Record<string, string>, ready?: string): Promise<Run & { ready: boolean }> {
  const child = spawn('bash', [join(root, 'scripts', 'run_dev.sh')], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  return new Promise((resolve) => {
    let readyNow = false
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 45_000)
    let poll: NodeJS.Timeout | undefined
    if (ready) {
      poll = setInterval(() => {
        void fetch(ready).then(
          (r) => {
            if (!r.ok || readyNow) return
            readyNow = true
            process.kill(-child.pid!, 'SIGTERM')
          },
          () => undefined,
        )
      }, 200)
    }
    child.on('close', (code) => {
      clearTimeout(timer)
      clearInterval(poll)
      resolve({ code, stdout, stderr, ready: readyNow })
    })
  })
}

/** A loopback server that answers like a real Vault's sys/health and records every request. */
function fakeRealVault(): Promise<{ server: Server; url: string; paths: string[] }> {
  const paths: string[] = []
  const server = createServer((req, res) => {
    paths.push(req.url ?? '')
    if (req.url?.startsWith('/v1/sys/health')) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ initialized: true, sealed: false, version: '1.20.4' }))
      return
    }
    res.writeHead(403, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ errors: ['permission denied'] }))
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({ server, url: `http://127.0.0.1:${port}`, paths })
    }),
  )
}

let realVault: Awaited<ReturnType<typeof fakeRealVault>>
let devVault: DevVault

beforeAll(async () => {
  realVault = await fakeRealVault()
  devVault = await startDevVault({ port: 0 })
})

afterAll(async () => {
  realVault?.server.close()
  await devVault?.close()
})

// No env file of a running `npm start` (DEV_ENV_FILE): the scripts' built-in demo credentials.
const base = {
  LOG_LEVEL: 'warn',
  AUDIT_LOG: 'off',
  HOST: '127.0.0.1',
  DEV_ENV_FILE: '/nonexistent/bridge.env',
}

describe('run_dev.sh with VAULT_ADDR set', () => {
  it('refuses the demo credentials against a real Vault, naming them, and starts nothing', async () => {
    const before = realVault.paths.length
    const r = await runDev({ ...base, VAULT_ADDR: realVault.url, VAULT_TOKEN: 'x' })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('DEMO_API_KEY DEMO_READONLY_API_KEY DEMO_JWT_SECRET')
    expect(r.stderr).toContain(realVault.url)
    expect(r.stderr).not.toContain(DEMO_JWT_SECRET)
    // Only the health probe reached the Vault: the bridge never ran.
    expect(realVault.paths.slice(before)).toEqual(['/v1/sys/health'])
  }, 60_000)

  it('refuses one demo credential left among own ones', async () => {
    const r = await runDev({
      ...base,
      VAULT_ADDR: realVault.url,
      API_KEYS_JSON: '{"own-key-0123456789abcdef0123456789abcdef": "agent_api"}',
      JWT_HS256_SECRET: DEMO_JWT_SECRET,
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/demo credentials \(DEMO_JWT_SECRET\)/)
  }, 60_000)

  it.each([
    ['an unreachable Vault', async () => `http://127.0.0.1:${await freePort()}`],
    ['a Vault that is not on loopback', async () => 'https://vault.example.invalid:8200'],
  ])(
    'refuses them against %s',
    async (_, address) => {
      const r = await runDev({ ...base, VAULT_ADDR: await address() })
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('refusing the built-in demo credentials')
    },
    60_000,
  )

  it('passes own credentials on to serve', async () => {
    const before = realVault.paths.length
    const r = await runDev({
      ...base,
      PORT: String(await freePort()),
      VAULT_ADDR: realVault.url,
      VAULT_TOKEN: 'hvs.own-token',
      DEMO_API_KEY: 'own-key-0123456789abcdef0123456789abcdef',
      DEMO_READONLY_API_KEY: 'own-ro-key-0123456789abcdef0123456789abcdef',
      DEMO_JWT_SECRET: 'own-secret-0123456789abcdef0123456789abcdef',
    })
    expect(r.stderr).not.toContain('refusing the built-in demo credentials')
    // serve ran: it asked the Vault about its token, which this Vault refuses (exit 2).
    expect(realVault.paths.slice(before).some((p) => p.startsWith('/v1/auth/token/'))).toBe(true)
    expect(r.code).toBe(2)
  }, 60_000)

  it('keeps the demo credentials against the dev vault, and the bridge serves', async () => {
    const port = await freePort()
    const r = await runDev(
      { ...base, PORT: String(port), VAULT_ADDR: devVault.url, VAULT_TOKEN: devVault.rootToken },
      `http://127.0.0.1:${port}/readyz`,
    )
    expect(r.stderr).not.toContain('refusing the built-in demo credentials')
    expect(r.ready).toBe(true)
  }, 60_000)
})
