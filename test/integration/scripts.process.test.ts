/**
 * @module the user-facing shell scripts (smoke and per-agent isolation), run with
 * `bash -euo pipefail` against a bridge started by scripts/run_all_auth.sh on the dev vault.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../helpers/free-port.js'

const root = join(import.meta.dirname, '..', '..')

let bridge: ChildProcess
let env: NodeJS.ProcessEnv
let bridgeLog = ''
let dir: string

beforeAll(async () => {
  const port = await freePort()
  const jwksPort = await freePort()
  dir = mkdtempSync(join(tmpdir(), 'scripts-'))
  env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    BRIDGE_URL: `http://127.0.0.1:${port}`,
    DEMO_JWKS_PORT: String(jwksPort),
    AUDIT_LOG: 'off',
    LOG_LEVEL: 'warn',
    VAULT_ADDR: '',
    // Where the dev command writes its env file and the scripts read it: not this checkout's.
    DEV_ENV_FILE: join(dir, 'bridge.env'),
    VAULT_TOKEN: '',
  }
  bridge = spawn('bash', ['-euo', 'pipefail', 'scripts/run_all_auth.sh'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  bridge.stdout!.on('data', (d) => (bridgeLog += d))
  bridge.stderr!.on('data', (d) => (bridgeLog += d))
  for (let i = 0; i < 150; i++) {
    // /readyz, not /healthz: the bridge answers /healthz while it still logs in to Vault.
    const ok = await fetch(`${env.BRIDGE_URL}/readyz`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`bridge did not start:\n${bridgeLog.slice(-2000)}`)
}, 60_000)

afterAll(() => {
  if (bridge?.pid) process.kill(-bridge.pid, 'SIGTERM')
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const run = (script: string) =>
  spawnSync('bash', ['-euo', 'pipefail', join('scripts', script)], {
    cwd: root,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  })

describe('scripts against a bridge on the dev vault', () => {
  it('smoke.sh walks every operation and failure class', () => {
    const r = run('smoke.sh')
    expect(r.stderr + r.stdout).toContain('smoke: all steps passed')
    expect(r.status).toBe(0)
  }, 120_000)

  it.each([
    ['test_agent_api.sh', 'agent_api'],
    ['test_agent_jwt.sh', 'agent_jwt'],
    ['test_agent_jwt_rs256.sh', 'agent_jwt'],
    ['test_agent_mtls.sh', 'agent_mtls'],
  ])(
    '%s shows its agent works and is isolated',
    (script, agent) => {
      const r = run(script)
      expect(r.stderr + r.stdout).toContain(`${agent}: works in its namespace and is isolated`)
      expect(r.status).toBe(0)
    },
    120_000,
  )

  it('scripts stop at the first failure with a non-zero exit', () => {
    const r = spawnSync('bash', ['-euo', 'pipefail', join('scripts', 'smoke.sh')], {
      cwd: root,
      env: { ...env, DEMO_API_KEY: 'wrong-key-for-smoke-0000' },
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(r.status).not.toBe(0)
    expect(r.stderr).toContain('FAIL:')
    expect(r.stdout).not.toContain('smoke: all steps passed')
  }, 60_000)
})
