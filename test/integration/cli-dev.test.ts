/**
 * @module the dev command `scripts/dev.ts` (what `npm start` runs), in process: it starts the dev
 * vault, provisions it, runs the bridge against it over HTTP with AppRole, prints a working API
 * key, JWT, curl example and MCP snippet, ignores VAULT_* connection variables, and stops when
 * told. `npm start` as a real process, stopped by SIGTERM, is in cli.process.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runDevCommand } from '../../scripts/dev.js'
import { startCommand, type RunningCommand } from '../helpers/cli.js'

let dev: RunningCommand
let banner: { url: string; apiKey: string; jwt: string; vaultUrl: string }

beforeAll(async () => {
  const env = {
    PORT: '0',
    AUDIT_LOG: 'off',
    LOG_LEVEL: 'warn',
    // A production Vault in the environment must not be touched by dev.
    VAULT_ADDR: 'http://127.0.0.1:9',
    VAULT_TOKEN: 'hvs.must-not-be-used',
  }
  dev = startCommand((io, until) => runDevCommand([], env, io, until))
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

  it('stops with exit 0, dropping the dev vault', async () => {
    expect(await dev.stop()).toBe(0)
    expect(dev.stderr()).toContain('the dev vault and all its data are dropped')
    await expect(fetch(`${banner.vaultUrl}/v1/sys/health`)).rejects.toThrow()
    await expect(fetch(`${banner.url}/healthz`)).rejects.toThrow()
    expect(dev.output()).not.toContain('hvs.must-not-be-used')
  })
})
