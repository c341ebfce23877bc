/**
 * @module the Dockerfile's build steps, run as plain commands in a clean temporary copy of what
 * its build stage COPYs (no container engine here): `npm ci`, build, prune dev dependencies, then
 * start the built entry point exactly as the image's ENTRYPOINT/CMD do and hit /healthz. Also the
 * proof that the product (image, `npm run build` output, `npm pack`) contains no dev vault.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevVault } from '@vault-mcp-bridge/dev-vault'
import { freePort } from '../helpers/free-port.js'

const root = join(import.meta.dirname, '..', '..')

/** The sources of the build stage's `COPY <src>... <dest>` lines (not `COPY --from`). */
function dockerfileCopySources(): string[] {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8')
  const buildStage = dockerfile.split(/^FROM /m)[1] ?? ''
  return buildStage
    .split('\n')
    .filter((line) => /^COPY\s/.test(line) && !line.includes('--from'))
    .flatMap((line) => line.trim().split(/\s+/).slice(1, -1))
}

/** Every file below `dir`, as paths relative to it. */
const filesBelow = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))

/** What only dev-vault code contains: its package name, entry point and own names. */
const DEV_VAULT_CODE =
  /@vault-mcp-bridge\/dev-vault|startDevVault|dev-vault\/|EMULATED_VERSION|hcl-parser/

let dir: string
let vault: Awaited<ReturnType<typeof startDevVault>>
let bridge: ChildProcess | undefined

describe('container build steps', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vmb-build-'))
    // The files the Dockerfile COPYs, and nothing else (no packages/: npm ci skips the absent
    // dev-vault workspace, as in the image).
    for (const source of dockerfileCopySources()) {
      cpSync(join(root, source), join(dir, source), { recursive: true })
    }
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

  it('copies nothing of the dev vault into the image: no packages/, no workspace link', () => {
    const sources = dockerfileCopySources()
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'src']))
    expect(sources.filter((s) => /^(\.\/)?packages\b|^\.$|^\.\/$/.test(s))).toEqual([])
    expect(readFileSync(join(root, '.dockerignore'), 'utf8')).toMatch(/^packages$/m)
    expect(existsSync(join(dir, 'packages'))).toBe(false)
    expect(existsSync(join(dir, 'node_modules', '@vault-mcp-bridge'))).toBe(false)
  })

  it('builds dist/ without any dev-vault code', () => {
    const built = filesBelow(join(dir, 'dist'))
    expect(built).toContain('main.js')
    expect(built.filter((f) => /dev-vault|devvault/i.test(f))).toEqual([])
    const withDevVaultCode = built.filter((f) =>
      DEV_VAULT_CODE.test(readFileSync(join(dir, 'dist', f), 'utf8')),
    )
    expect(withDevVaultCode).toEqual([])
  })

  it('packs (npm pack) only dist/ and package files, no dev-vault file', () => {
    // The package as npm would publish it: the repository's manifest and docs, the clean build
    // from above, and the dev vault's workspace folder present beside them.
    const pack = mkdtempSync(join(tmpdir(), 'vmb-pack-'))
    try {
      for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'packages']) {
        if (existsSync(join(root, f))) cpSync(join(root, f), join(pack, f), { recursive: true })
      }
      cpSync(join(dir, 'dist'), join(pack, 'dist'), { recursive: true })
      const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: pack,
        encoding: 'utf8',
      })
      const [packed] = JSON.parse(out) as { files: { path: string }[] }[]
      const files = packed!.files.map((f) => f.path)
      expect(files).toContain('dist/main.js')
      expect(files.filter((f) => /dev-vault|devvault|^packages\//i.test(f))).toEqual([])
      // Besides dist/, only what npm always adds: the manifest and the repository's docs.
      const other = files.filter((f) => !/^dist\//.test(f))
      expect(other).toContain('package.json')
      expect(
        other.filter((f) => !/^(package\.json|README\.md|LICENSE|CHANGELOG\.md)$/.test(f)),
      ).toEqual([])
    } finally {
      rmSync(pack, { recursive: true, force: true })
    }
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
      // /readyz, not /healthz: the bridge answers /healthz while it still logs in to Vault.
      status = await fetch(`http://127.0.0.1:${port}/readyz`).then(
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
