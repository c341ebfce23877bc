/**
 * @module every CLI command's own usage and option handling, in process (`main(argv, env, io)`):
 * `<command> --help` prints that command's usage on stdout and exits 0 whatever the environment
 * (stdio without MCP_STDIO_AGENT included); an unknown option or a stray argument is refused
 * with exit 2 and the usage on stderr; `serve --port` works, and a bad one is refused before
 * anything starts; gen-jwt refuses an HS256 secret the bridge would refuse.
 */
import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevVault, type DevVault } from '@vault-mcp-bridge/dev-vault'
import { runMain, startMain } from '../helpers/cli.js'
import { freePort } from '../helpers/free-port.js'
import { listenLoopback, type LoopbackServer } from '../helpers/test-pki.js'

const COMMANDS = ['serve', 'check-config', 'stdio', 'gen-policy', 'provision', 'gen-jwt']

let vault: DevVault
/** Anything that would be Vault: it counts the connections it gets. */
let fakeVault: LoopbackServer
beforeAll(async () => {
  vault = await startDevVault({ port: 0 })
  fakeVault = await listenLoopback(createServer((s) => s.destroy()))
})
afterAll(async () => {
  await fakeVault?.close()
  await vault?.close()
})

describe('every command has its own usage', () => {
  it.each(COMMANDS)('%s --help and -h: its usage on stdout, exit 0', async (command) => {
    for (const flag of ['--help', '-h']) {
      // An empty environment: help needs nothing (stdio asks for no MCP_STDIO_AGENT here).
      const r = await runMain([command, flag])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toBe('')
      expect(r.stdout).toMatch(new RegExp(`^Usage: vault-mcp-bridge (\\[serve\\]|${command})`))
      expect(r.stdout).not.toContain('Commands:')
    }
  })

  it.each(COMMANDS)('%s refuses an unknown option and a stray argument with exit 2', async (c) => {
    const env = { VAULT_ADDR: `http://127.0.0.1:${fakeVault.port}`, VAULT_TOKEN: 'x' }
    const before = fakeVault.connections()
    for (const extra of [['--frobnicate'], ['stray']]) {
      const r = await runMain([c, ...extra], env)
      expect(r.code, `${c} ${extra[0]}`).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr).toContain(extra[0])
      expect(r.stderr).toContain('Usage:')
    }
    expect(fakeVault.connections()).toBe(before)
  })

  it('--help alone is the general help, listing every command', async () => {
    const r = await runMain(['--help'])
    expect(r.code).toBe(0)
    for (const c of COMMANDS) expect(r.stdout).toContain(c)
  })
})

describe('serve --port and --host', () => {
  it('listen where they say, over PORT and HOST', async () => {
    const port = await freePort()
    const serve = startMain(['serve', '--port', String(port), '--host', '127.0.0.1'], {
      PORT: '1',
      HOST: '0.0.0.0',
      VAULT_ADDR: vault.url,
      VAULT_TOKEN: vault.rootToken,
      API_KEYS_JSON: JSON.stringify({ 'cli-usage-key-0123456789': 'agent_u' }),
      AUDIT_LOG: 'off',
      LOG_LEVEL: 'info',
    })
    const url = (await serve.waitFor(/"url":"(http:\/\/[^"]+)"/))[1]
    expect(url).toBe(`http://127.0.0.1:${port}`)
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    expect(await serve.stop()).toBe(0)
  })

  it('the default command takes them too', async () => {
    const r = await runMain(['--port', 'eighty'], { VAULT_TOKEN: 'x' })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^serve: --port must be a port number/)
  })

  it.each([['--port', '65536'], ['--port', '-1'], ['--port', 'http'], ['--host', ''], ['--port']])(
    'refuses %j with exit 2 before Vault is contacted',
    async (...argv) => {
      const before = fakeVault.connections()
      const r = await runMain(['serve', ...argv], {
        VAULT_ADDR: `http://127.0.0.1:${fakeVault.port}`,
        VAULT_TOKEN: 'x',
      })
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr).toMatch(/^serve: /)
      expect(r.stderr).toContain('Usage:')
      expect(fakeVault.connections()).toBe(before)
    },
  )
})

describe('gen-jwt and the HS256 secret', () => {
  const SHORT = 'abc'
  it('refuses a secret shorter than 32 bytes, as the bridge does, without printing it', async () => {
    const r = await runMain(['gen-jwt', '--sub', 'agent_a'], { JWT_HS256_SECRET: SHORT })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^gen-jwt: JWT_HS256_SECRET must be at least 32 bytes/)
    expect(r.stderr).not.toContain(`${SHORT}\n`)
  })

  it('signs with a short secret only where the bridge accepts one (JWT_ALLOW_WEAK_SECRET)', async () => {
    const r = await runMain(['gen-jwt', '--sub', 'agent_a'], {
      JWT_HS256_SECRET: SHORT,
      JWT_ALLOW_WEAK_SECRET: 'true',
    })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/)
  })

  it('signs with a 32-byte secret', async () => {
    const r = await runMain(['gen-jwt', '--sub', 'agent_a'], { JWT_HS256_SECRET: 'x'.repeat(32) })
    expect(r.code, r.stderr).toBe(0)
  })
})
