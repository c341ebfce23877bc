/**
 * @module `vault-mcp-bridge check-config`, in process: it runs exactly the checks `serve` runs
 * before it contacts Vault (every case below gives both commands the same exit code and the
 * same line, and serve contacts nothing), prints the same warnings, and with `--vault` reports
 * what the bridge finds at Vault, check by check.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevVault, type DevVault } from '@vault-mcp-bridge/dev-vault'
import { runMain, startMain } from '../helpers/cli.js'
import { freePort } from '../helpers/free-port.js'
import { listenLoopback, type LoopbackServer } from '../helpers/test-pki.js'

const SECRET = 'check-config-secret-value-0123456789'

let dir: string
let vault: DevVault
/** Anything that would be Vault: it counts the connections it gets. */
let fakeVault: LoopbackServer
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'check-config-'))
  writeFileSync(join(dir, 'garbage.pem'), 'not a certificate\n')
  vault = await startDevVault({ port: 0 })
  fakeVault = await listenLoopback(createServer((s) => s.destroy()) as Server)
})
afterAll(async () => {
  await fakeVault?.close()
  await vault?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('check-config runs the checks serve runs before contacting Vault', () => {
  const cases: [string, Record<string, string>][] = [
    ['an empty environment (no Vault credentials)', {}],
    [
      'a VAULT_CACERT that does not exist',
      { VAULT_TOKEN: SECRET, VAULT_CACERT: '/nonexistent.pem' },
    ],
    ['garbage in VAULT_CACERT', { VAULT_TOKEN: SECRET, VAULT_CACERT: 'GARBAGE' }],
    [
      'an AUDIT_LOG that cannot be opened',
      { VAULT_TOKEN: SECRET, AUDIT_LOG: '/nonexistent/a.log' },
    ],
    [
      'a listener certificate that does not exist',
      {
        VAULT_TOKEN: SECRET,
        TLS_CERT_FILE: '/nonexistent.crt',
        TLS_KEY_FILE: '/nonexistent.key',
      },
    ],
    ['a VAULT_ADDR ending in /v1', { VAULT_TOKEN: SECRET, VAULT_ADDR: 'http://127.0.0.1:8200/v1' }],
    ['a bad value', { VAULT_TOKEN: SECRET, PORT: 'eighty' }],
    [
      'a policy prefix Vault would change',
      {
        VAULT_TOKEN: SECRET,
        CHILD_TOKEN_ENABLED: 'true',
        CHILD_TOKEN_POLICY_PREFIX: 'Agent-',
      },
    ],
  ]

  it.each(cases)('%s: the same exit code 2 and the same lines', async (_name, given) => {
    const env = Object.fromEntries(
      Object.entries({
        VAULT_ADDR: `http://127.0.0.1:${fakeVault.port}`,
        PORT: '0',
        API_KEYS_JSON: JSON.stringify({ [SECRET]: 'agent_a' }),
        ...given,
      }).map(([k, v]) => [k, v === 'GARBAGE' ? join(dir, 'garbage.pem') : v]),
    )
    const before = fakeVault.connections()
    const served = await runMain(['serve'], env)
    const checked = await runMain(['check-config'], env)
    expect(served.code).toBe(2)
    expect(checked.code).toBe(2)
    expect(checked.stderr).toBe(served.stderr)
    expect(checked.stdout).toBe('')
    expect(served.stdout + served.stderr + checked.stderr).not.toContain(SECRET)
    expect(fakeVault.connections()).toBe(before)
  })

  it('prints the warnings serve logs, with the same text', async () => {
    const env = {
      VAULT_ADDR: vault.url,
      VAULT_TOKEN: vault.rootToken,
      VAULT_SKIP_VERIFY: 'true',
      PORT: '0',
      AUDIT_LOG: 'off',
    }
    const checked = await runMain(['check-config'], env)
    expect(checked.code).toBe(0)
    const warnings = checked.stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/^check-config: warning: /, ''))
    // No agent can authenticate, and VAULT_SKIP_VERIFY.
    expect(warnings).toHaveLength(2)
    const served = startMain(['serve'], env)
    await served.waitFor(/vault-mcp-bridge listening/)
    expect(await served.stop()).toBe(0)
    const logged = served
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"level":"warn"'))
      .map((l) => (JSON.parse(l) as { msg: string }).msg)
    for (const w of warnings) expect(logged).toContain(w)
  })

  it('warns about a bridge that listens beyond loopback without ALLOWED_HOSTS, as serve does', async () => {
    const env = {
      VAULT_TOKEN: SECRET,
      API_KEYS_JSON: JSON.stringify({ [SECRET]: 'agent_a' }),
      HOST: '0.0.0.0',
      AUDIT_LOG: 'off',
    }
    const open = await runMain(['check-config'], env)
    expect(open.code).toBe(0)
    expect(open.stderr).toMatch(
      /^check-config: warning: HOST=0\.0\.0\.0 .*ALLOWED_HOSTS is unset.*DNS rebinding/m,
    )
    const listed = await runMain(['check-config'], { ...env, ALLOWED_HOSTS: 'bridge.example.com' })
    expect(listed.code).toBe(0)
    expect(listed.stderr).not.toContain('ALLOWED_HOSTS')
  })

  it('prints the effective configuration, secrets masked, and exits 0', async () => {
    const r = await runMain(['check-config'], {
      VAULT_TOKEN: SECRET,
      API_KEYS_JSON: JSON.stringify({ [SECRET]: 'agent_a' }),
      PORT: '9999',
      AUDIT_LOG: 'off',
    })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^PORT=9999$/m)
    expect(r.stdout).toMatch(/^VAULT_TOKEN=\*+$/m)
    expect(r.stdout + r.stderr).not.toContain(SECRET)
  })

  it('has its own --help on stdout and refuses unknown options with exit 2', async () => {
    const help = await runMain(['check-config', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^Usage: vault-mcp-bridge check-config/)
    expect(help.stderr).toBe('')
    const bad = await runMain(['check-config', '--frobnicate'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--frobnicate')
    expect(bad.stdout).toBe('')
  })
})

describe('check-config --vault', () => {
  /** Parses the report lines: name → outcome. */
  const report = (stdout: string) =>
    Object.fromEntries(
      stdout
        .split('\n')
        .map((l) => /^(ok|FAIL|unknown)\s+(\S+(?: \S+)?)\s{2,}/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[2]!, m[1]!]),
    )

  it('reports every check ok for a provisioned Vault, with the AppRole of provision', async () => {
    const dev = await startDevVault({ port: 0 })
    try {
      const out = join(dir, 'approle.env')
      const provision = await runMain(['provision', '--agents', 'agent_a', '--out', out], {
        VAULT_ADDR: dev.url,
        VAULT_TOKEN: dev.rootToken,
      })
      expect(provision.code, provision.stderr).toBe(0)
      const r = await runMain(['check-config', '--vault'], {
        VAULT_ADDR: dev.url,
        ...(parseEnv(readFileSync(out, 'utf8')) as Record<string, string>),
        API_KEYS_JSON: JSON.stringify({ [SECRET]: 'agent_a' }),
        CHILD_TOKEN_ENABLED: 'true',
        AUDIT_LOG: 'off',
      })
      expect(r.code, r.stdout + r.stderr).toBe(0)
      expect(report(r.stdout)).toEqual({
        connection: 'ok',
        login: 'ok',
        'kv mount': 'ok',
        'transit mount': 'ok',
        'token role': 'ok',
        'policy agent_a': 'ok',
      })
      expect(r.stdout).not.toContain(SECRET)
    } finally {
      await dev.close()
    }
  })

  it('reports what is missing, and exits 1', async () => {
    const dev = await startDevVault({ port: 0 })
    try {
      const r = await runMain(['check-config', '--vault'], {
        VAULT_ADDR: dev.url,
        VAULT_TOKEN: dev.rootToken,
        API_KEYS_JSON: JSON.stringify({ [SECRET]: 'agent_a' }),
        CHILD_TOKEN_ENABLED: 'true',
        AUDIT_LOG: 'off',
      })
      expect(r.code).toBe(1)
      expect(report(r.stdout)).toEqual({
        connection: 'ok',
        login: 'ok',
        'kv mount': 'ok',
        'transit mount': 'FAIL',
        'token role': 'FAIL',
        'policy agent_a': 'FAIL',
      })
      expect(r.stdout).toMatch(/FAIL\s+transit mount\s+.*provision/)
      expect(r.stdout).toMatch(/FAIL\s+token role\s+.*provision/)
    } finally {
      await dev.close()
    }
  })

  it('reports a rejected token and an unreachable Vault as failed checks (exit 1)', async () => {
    const rejected = await runMain(['check-config', '--vault'], {
      VAULT_ADDR: vault.url,
      VAULT_TOKEN: SECRET,
      AUDIT_LOG: 'off',
    })
    expect(rejected.code).toBe(1)
    expect(report(rejected.stdout)).toEqual({ connection: 'ok', login: 'FAIL' })
    expect(rejected.stdout + rejected.stderr).not.toContain(SECRET)

    const unreachable = await runMain(['check-config', '--vault'], {
      VAULT_ADDR: `http://127.0.0.1:${await freePort()}`,
      VAULT_TOKEN: SECRET,
      AUDIT_LOG: 'off',
    })
    expect(unreachable.code).toBe(1)
    expect(report(unreachable.stdout)).toEqual({ connection: 'FAIL' })
  })

  it('stops as serve does (exit 2, one line) on what can never work', async () => {
    const r = await runMain(['check-config', '--vault'], {
      VAULT_ADDR: 'https://nonexistent.invalid:8200',
      VAULT_TOKEN: SECRET,
      AUDIT_LOG: 'off',
    })
    expect(r.code).toBe(2)
    const lines = r.stderr
      .trimEnd()
      .split('\n')
      .filter((l) => !l.startsWith('check-config: warning: '))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^vault-mcp-bridge: cannot use Vault: .*VAULT_ADDR/)
  })
})
