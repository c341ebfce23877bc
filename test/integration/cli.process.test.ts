/**
 * @module the CLI as real processes: one spawned smoke test per command (and per dev command),
 * for what only a process shows: its exit code, what reaches stdout and what stderr, and how it
 * stops on a signal. Everything else about the commands runs in process: cli-*.test.ts,
 * mcp-stdio.test.ts, vault-namespace.test.ts, src/cli/*.test.ts. gen-policy is spawned through
 * its script wrapper in vault-access-gen-policy.process.test.ts.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevVault, type DevVault } from '@vault-mcp-bridge/dev-vault'
import { runCli, spawnCli, spawnScript } from '../helpers/cli.js'
import { rawWriteSession } from '../helpers/stdio-pipe.js'

const root = join(import.meta.dirname, '..', '..')
const SECRET = 'TOPSECRET-5e2a-process-71bc'

let vault: DevVault
let dir: string
beforeAll(async () => {
  vault = await startDevVault({ port: 0 })
  dir = mkdtempSync(join(tmpdir(), 'cli-process-'))
})
afterAll(async () => {
  await vault?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

// Each test starts the CLI through tsx, which compiles on start: slow on a loaded machine.
describe('vault-mcp-bridge as a process', { timeout: 90_000 }, () => {
  it('--help: the usage on stdout, nothing on stderr, exit 0', async () => {
    const r = await runCli(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Usage: vault-mcp-bridge/m)
    expect(r.stderr).toBe('')
  })

  it('check-config with a bad environment: one line per problem on stderr, exit 2', async () => {
    const r = await runCli(['check-config'], { PORT: 'x', VAULT_TOKEN: SECRET })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^\s*PORT:/m)
    expect(r.stderr).not.toContain(SECRET)
  })

  it('serve: SIGTERM under load exits 0 with an audit line for every answered request', async () => {
    const key = 'process-serve-key-0123456789'
    const auditFile = join(dir, 'audit.log')
    const serve = spawnCli(['serve'], {
      PORT: '0',
      VAULT_ADDR: vault.url,
      VAULT_TOKEN: vault.rootToken,
      API_KEYS_JSON: JSON.stringify({ [key]: 'agent_audit' }),
      AUDIT_LOG: auditFile,
      LOG_LEVEL: 'info',
      RATE_LIMIT_ENABLED: 'false',
    })
    const url = (await serve.waitFor(/"url":"(http:\/\/[^"]+)"/))[1]!
    expect((await fetch(`${url}/healthz`)).status).toBe(200)

    const run = `run-${Date.now()}`
    let first: () => void = () => {}
    const firstDone = new Promise<void>((r) => (first = r))
    const statuses = Array.from({ length: 150 }, (_, i) =>
      fetch(`${url}/secrets/${run}/s${i}`, {
        method: 'PUT',
        headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
        body: JSON.stringify({ data: { n: String(i) } }),
      }).then(
        (r) => {
          first()
          return { i, status: r.status }
        },
        () => ({ i, status: 0 }),
      ),
    )
    // Stop it as soon as the first answer is back, while the others are being served.
    await firstDone
    serve.child.kill('SIGTERM')
    const results = await Promise.all(statuses)
    expect(await serve.exited).toBe(0)

    // Every request completed normally or was never accepted, and each answered one is audited:
    // the trail was flushed before the process exited.
    for (const r of results) expect([200, 0]).toContain(r.status)
    const answered = results.filter((r) => r.status === 200).map((r) => `${run}/s${r.i}`)
    expect(answered.length).toBeGreaterThan(0)
    const records = readFileSync(auditFile, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { operation: string; outcome: string; target: string })
    const written = new Set(
      records
        .filter((r) => r.operation === 'write_secret' && r.outcome === 'ok')
        .map((r) => r.target),
    )
    for (const target of answered) expect(written).toContain(target)
    // Logs on stderr, nothing on stdout; no credential in either.
    expect(serve.stdout()).toBe('')
    expect(serve.stderr()).toContain('"msg":"stopped"')
    expect(serve.output()).not.toContain(vault.rootToken)
    expect(serve.output()).not.toContain(key)
  })

  it('stdio: JSON-RPC only on stdout (AUDIT_LOG=stdout goes to stderr), exit 0 at end of input', async () => {
    const messages = rawWriteSession('raw', { k: 'raw-value' })
    // EOF right after the requests: the server must still answer them before it exits.
    const input = messages.map((m) => JSON.stringify(m)).join('\n') + '\n'
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'stdio'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        VAULT_ADDR: vault.url,
        VAULT_TOKEN: vault.rootToken,
        MCP_STDIO_AGENT: 'agent_stdio',
        // Security check: the audit trail must not take stdout from the protocol.
        AUDIT_LOG: 'stdout',
        LOG_LEVEL: 'info',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')))
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject)
      child.on('close', resolve)
      child.stdin.end(input)
    })
    clearTimeout(killer)
    expect(code).toBe(0)
    const lines = stdout.split('\n').filter((l) => l !== '')
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' })
    expect(lines.map((l) => (JSON.parse(l) as { id?: number }).id)).toEqual([1, 2])
    expect(JSON.parse(lines[1]!).result.structuredContent.path).toBe('raw')
    // The audit record went to stderr, not stdout.
    expect(stderr).toContain('write_secret')
    expect(stdout).not.toContain('"operation"')
    expect(stdout + stderr).not.toContain(vault.rootToken)
  })

  it('provision: the credentials into --out, what changed on stdout, exit 0', async () => {
    const out = join(dir, 'approle.env')
    const r = await runCli(['provision', '--agents', 'agent_p', '--out', out], {
      VAULT_ADDR: vault.url,
      VAULT_TOKEN: vault.rootToken,
    })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(`wrote VAULT_ROLE_ID and VAULT_SECRET_ID to ${out}`)
    const credentials = parseEnv(readFileSync(out, 'utf8'))
    expect(credentials.VAULT_ROLE_ID).toBeTruthy()
    expect(credentials.VAULT_SECRET_ID).toBeTruthy()
    expect(r.stdout + r.stderr).not.toContain(credentials.VAULT_SECRET_ID!)
    expect(r.stdout + r.stderr).not.toContain(vault.rootToken)
  })

  it('gen-jwt: one token on stdout, nothing on stderr, exit 0', async () => {
    const r = await runCli(['gen-jwt', '--sub', 'agent_a', '--scopes', 'read'], {
      JWT_HS256_SECRET: `${SECRET}-${SECRET}`,
    })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/)
    expect(r.stderr).toBe('')
  })

  it('the dev command (npm start): banner on stdout, serving, SIGTERM exits 0', async () => {
    const envFile = join(dir, 'dev', 'bridge.env')
    const dev = spawnScript('scripts/dev.ts', [], {
      DEV_ENV_FILE: envFile,
      PORT: '0',
      AUDIT_LOG: 'off',
      LOG_LEVEL: 'warn',
      // A production Vault in the environment must not be touched by dev.
      VAULT_ADDR: 'http://127.0.0.1:9',
      VAULT_TOKEN: 'hvs.must-not-be-used',
    })
    try {
      await dev.waitFor(/^Stop with/m)
      const url = /^Bridge: +(\S+)/m.exec(dev.stdout())?.[1] ?? ''
      expect((await fetch(`${url}/readyz`)).status).toBe(200)
      expect(readFileSync(envFile, 'utf8')).toContain(`BRIDGE_URL='${url}'`)
      dev.child.kill('SIGTERM')
      expect(await dev.exited).toBe(0)
      expect(existsSync(envFile)).toBe(false)
      expect(dev.stderr()).toContain('the dev vault and all its data are dropped')
      expect(dev.output()).not.toContain('hvs.must-not-be-used')
    } finally {
      if (dev.child.exitCode === null) dev.child.kill('SIGKILL')
    }
  })
})
