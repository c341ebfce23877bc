/**
 * @module the Dockerfile's build steps, run as plain commands in a clean temporary copy (no
 * container engine here): `npm ci`, build, prune dev dependencies, then start the built entry
 * point exactly as the image's ENTRYPOINT/CMD do and hit /healthz.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevVault } from '../../src/dev-vault/index.js'
import { freePort } from '../helpers/free-port.js'

const root = join(import.meta.dirname, '..', '..')

let dir: string
let vault: Awaited<ReturnType<typeof startDevVault>>
let bridge: ChildProcess | undefined

describe('container build steps', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vmb-build-'))
    // The files the Dockerfile COPYs, and nothing else.
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
      cpSync(join(root, f), join(dir, f))
    }
    cpSync(join(root, 'src'), join(dir, 'src'), { recursive: true })
    const npm = (...args: string[]) =>
      execFileSync('npm', args, { cwd: dir, stdio: 'pipe', env: { ...process.env, CI: 'true' } })
    npm('ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline')
    npm('run', 'build')
    npm('prune', '--omit=dev', '--no-audit', '--no-fund')
    vault = await startDevVault({ port: 0, rootToken: 'container-build-root' })
  }, 240_000)

  afterAll(async () => {
    bridge?.kill('SIGTERM')
    await vault?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('prunes the dev dependencies and keeps the runtime ones', () => {
    expect(existsSync(join(dir, 'node_modules', 'vitest'))).toBe(false)
    expect(existsSync(join(dir, 'node_modules', 'typescript'))).toBe(false)
    expect(existsSync(join(dir, 'node_modules', 'hono'))).toBe(true)
    expect(existsSync(join(dir, 'node_modules', 'node-vault'))).toBe(true)
  })

  it('builds the bin entry point with a node shebang', () => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    const entry = join(dir, pkg.bin['vault-mcp-bridge'])
    expect(existsSync(entry)).toBe(true)
    expect(readFileSync(entry, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true)
  })

  it('starts `serve` from the built entry point and answers /healthz', async () => {
    const port = await freePort()
    let log = ''
    bridge = spawn('node', [join(dir, 'dist', 'main.js'), 'serve'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        VAULT_ADDR: vault.url,
        VAULT_TOKEN: vault.rootToken,
        AUTH_JWT_ENABLED: 'false',
        API_KEYS_JSON: '{"container-test-key-0001": "agent_api"}',
        AUDIT_LOG: 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    bridge.stdout!.on('data', (c) => (log += c))
    bridge.stderr!.on('data', (c) => (log += c))
    let status = 0
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status,
        () => 0,
      )
      if (status !== 200) await new Promise((r) => setTimeout(r, 200))
    }
    expect(status, log.slice(-1000)).toBe(200)
    const who = await fetch(`http://127.0.0.1:${port}/whoami`, {
      headers: { 'X-API-Key': 'container-test-key-0001' },
    })
    expect(who.status).toBe(200)
  }, 60_000)
})
