/**
 * @module `vault-mcp-bridge dev` (what `npm start` runs), spawned: it starts the dev vault,
 * provisions it, runs the bridge against it over HTTP with AppRole, prints a working API key,
 * JWT, curl example and MCP snippet, ignores VAULT_* connection variables, and stops on SIGTERM.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')

let child: ReturnType<typeof spawn>
let out = ''
let exited: Promise<number | null>
let banner: { url: string; apiKey: string; jwt: string; vaultUrl: string }

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'dev'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      AUDIT_LOG: 'off',
      LOG_LEVEL: 'warn',
      // A production Vault in the environment must not be touched by dev.
      VAULT_ADDR: 'http://127.0.0.1:9',
      VAULT_TOKEN: 'hvs.must-not-be-used',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  exited = new Promise((resolve) => child.on('close', (code) => resolve(code)))
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
  void exited.then(() => clearTimeout(timer))
  banner = await new Promise((resolve, reject) => {
    const check = () => {
      const url = /^Bridge: +(\S+)/m.exec(out)?.[1]
      const apiKey = /^API key: +(\S+)/m.exec(out)?.[1]
      const jwt = /^JWT: +(\S+)/m.exec(out)?.[1]
      const vaultUrl = /^Dev vault: +(\S+)/m.exec(out)?.[1]
      if (url && apiKey && jwt && vaultUrl && /Stop with/.test(out)) {
        resolve({ url, apiKey, jwt, vaultUrl })
      }
    }
    child.stdout!.on('data', check)
    void exited.then(() => reject(new Error(`dev exited early:\n${out}`)))
  })
}, 90_000)

afterAll(async () => {
  if (child.exitCode === null) child.kill('SIGKILL')
})

describe('dev', () => {
  it('warns loudly that data is lost on exit', () => {
    expect(out).toMatch(/LOST/)
    expect(out).toContain('curl')
    expect(out).toContain('/mcp')
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

  it('stops on SIGTERM with exit 0', async () => {
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(out).not.toContain('hvs.must-not-be-used')
  })
})
