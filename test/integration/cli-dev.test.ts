/**
 * @module the dev command `scripts/dev.ts` (what `npm start` runs), in process: it starts the dev
 * vault, provisions it, runs the bridge against it over HTTP with AppRole, prints a working API
 * key, JWT, curl example and MCP snippet, ignores VAULT_* connection variables, and stops when
 * told. `npm start` as a real process, stopped by SIGTERM, is in cli.process.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEV_DEFAULTS, runDevCommand } from '../../scripts/dev.js'
import { loadConfig } from '../../src/config/load.js'
import { startCommand, type RunningCommand } from '../helpers/cli.js'
import { freePort } from '../helpers/free-port.js'

let dev: RunningCommand
let banner: { url: string; apiKey: string; jwt: string; vaultUrl: string }
let dir: string
let envFile: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cli-dev-'))
  envFile = join(dir, 'bridge.env')
  const env = {
    PORT: '0',
    AUDIT_LOG: 'off',
    LOG_LEVEL: 'warn',
    // A production Vault in the environment must not be touched by dev.
    VAULT_ADDR: 'http://127.0.0.1:9',
    VAULT_TOKEN: 'hvs.must-not-be-used',
  }
  dev = startCommand((io, until) => runDevCommand(['--write-env', envFile], env, io, until))
  await dev.waitFor(/^Stop with/m)
  const field = (label: string) => new RegExp(`^${label}: +(\\S+)`, 'm').exec(dev.output())?.[1]
  banner = {
    url: field('Bridge') ?? '',
    apiKey: field('API key') ?? '',
    jwt: field('JWT') ?? '',
    vaultUrl: field('Dev vault') ?? '',
  }
})

afterAll(async () => {
  await dev?.stop().catch(() => undefined)
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('dev', () => {
  it('warns loudly that data is lost on exit', () => {
    expect(dev.output()).toMatch(/LOST/)
    expect(dev.output()).toContain('curl')
    expect(dev.output()).toContain('/mcp')
    expect(banner.apiKey).not.toBe('')
    expect(banner.jwt).not.toBe('')
  })

  it('serves /healthz and is ready against its dev vault (not VAULT_ADDR)', async () => {
    expect((await fetch(`${banner.url}/healthz`)).status).toBe(200)
    expect((await fetch(`${banner.url}/readyz`)).status).toBe(200)
    expect(banner.vaultUrl).not.toContain(':9/')
    const health = await fetch(`${banner.vaultUrl}/v1/sys/health`)
    expect(health.status).toBe(200)
  })

  it('the printed API key writes and reads a secret as agent_api', async () => {
    const headers = { 'X-API-Key': banner.apiKey, 'Content-Type': 'application/json' }
    const put = await fetch(`${banner.url}/secrets/demo/db`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ data: { password: 's3cr3t' } }),
    })
    expect(put.status).toBe(200)
    const get = await fetch(`${banner.url}/secrets/demo/db`, { headers })
    expect(get.status).toBe(200)
    expect(JSON.stringify(await get.json())).toContain('s3cr3t')
    const who = await fetch(`${banner.url}/whoami`, { headers })
    expect(((await who.json()) as { agent: string }).agent).toBe('agent_api')
  })

  it('the printed JWT authenticates agent_jwt, which cannot read agent_api data', async () => {
    const auth = { Authorization: `Bearer ${banner.jwt}` }
    const who = await fetch(`${banner.url}/whoami`, { headers: auth })
    expect(who.status).toBe(200)
    expect(((await who.json()) as { agent: string }).agent).toBe('agent_jwt')
    const other = await fetch(`${banner.url}/secrets/demo/db`, { headers: auth })
    expect(other.status).toBe(404)
  })

  it('development rate limits, where production keeps its defaults', async () => {
    expect(dev.stdout()).toMatch(
      new RegExp(`^Limits: +${DEV_DEFAULTS.RATE_LIMIT_REQUESTS} requests per 60s per agent`, 'm'),
    )
    const prod = loadConfig({ VAULT_TOKEN: 'x' }).rateLimit
    expect(prod.requests).toBe(60)
    expect(prod.authFailures.requests).toBe(20)
    expect(Number(DEV_DEFAULTS.RATE_LIMIT_REQUESTS)).toBeGreaterThan(prod.requests)
    // More than the production limit in a burst: none is refused.
    const headers = { 'X-API-Key': banner.apiKey }
    const statuses = await Promise.all(
      Array.from({ length: prod.requests + 10 }, () =>
        fetch(`${banner.url}/whoami`, { headers }).then((r) => r.status),
      ),
    )
    expect(statuses.filter((s) => s !== 200)).toEqual([])
  })

  it('writes the env file the scripts read, with the printed API key', () => {
    const text = readFileSync(envFile, 'utf8')
    expect(text).toContain(`BRIDGE_URL='${banner.url}'`)
    expect(text).toContain(`DEMO_API_KEY='${banner.apiKey}'`)
  })

  it('stops with exit 0, dropping the dev vault and the env file', async () => {
    expect(await dev.stop()).toBe(0)
    expect(existsSync(envFile)).toBe(false)
    expect(dev.stderr()).toContain('the dev vault and all its data are dropped')
    await expect(fetch(`${banner.vaultUrl}/v1/sys/health`)).rejects.toThrow()
    await expect(fetch(`${banner.url}/healthz`)).rejects.toThrow()
    expect(dev.output()).not.toContain('hvs.must-not-be-used')
  })
})

describe('dev options', () => {
  const run = async (argv: string[], env: Record<string, string> = {}) => {
    const c = startCommand((io, until) => runDevCommand(argv, env, io, until))
    const code = await c.done
    return { code, stdout: c.stdout(), stderr: c.stderr() }
  }

  it('--help: its usage on stdout, exit 0', async () => {
    const r = await run(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Usage: npm start/)
    expect(r.stderr).toBe('')
  })

  it.each([['--frobnicate'], ['stray'], ['--port', 'x'], ['--vault-port', '70000'], ['--port']])(
    'refuses %j with exit 2 before anything starts',
    async (...argv) => {
      const r = await run(argv)
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr).toMatch(/^dev: /)
      expect(r.stderr).toContain('Usage:')
    },
  )

  it('--port is where the bridge listens, and a user-set rate limit wins', async () => {
    const port = await freePort()
    const file = join(dir, 'port', 'bridge.env')
    const c = startCommand((io, until) =>
      runDevCommand(
        ['--port', String(port), '--write-env', file],
        { PORT: '1', AUDIT_LOG: 'off', LOG_LEVEL: 'warn', RATE_LIMIT_REQUESTS: '7' },
        io,
        until,
      ),
    )
    try {
      await c.waitFor(/^Stop with/m)
      expect(c.stdout()).toMatch(new RegExp(`^Bridge: +http://127\\.0\\.0\\.1:${port} `, 'm'))
      expect(c.stdout()).toMatch(/^Limits: +7 requests per 60s per agent/m)
    } finally {
      expect(await c.stop()).toBe(0)
    }
  })
})
