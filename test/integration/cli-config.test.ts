/**
 * @module the CLI's configuration handling, in process (`main(argv, env, io)`): every bad-config
 * case of issue 2 exits 2 with a line naming the variable and never the secret value;
 * check-config masks secrets; --help, --version and unknown commands. The spawned entry point
 * (exit codes and streams of a real process) is cli.process.test.ts.
 */
import { createServer, type AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { runMain } from '../helpers/cli.js'

const SECRET = 'TOPSECRET-4b1d-value-9c2e'

describe('bad configuration stops startup with exit 2', () => {
  it.each([
    ['a bad URL', { VAULT_ADDR: `notaurl-${SECRET}` }, 'VAULT_ADDR'],
    ['a non-numeric PORT', { PORT: 'http' }, 'PORT'],
    ['an out-of-range PORT', { PORT: '65536' }, 'PORT'],
    ['malformed API_KEYS_JSON', { API_KEYS_JSON: `{"${SECRET}": ` }, 'API_KEYS_JSON'],
    [
      'an invalid agent id in API_KEYS_JSON',
      { API_KEYS_JSON: `{"${SECRET}": "a/b"}` },
      'API_KEYS_JSON',
    ],
    [
      'every auth method disabled',
      { AUTH_API_KEY_ENABLED: 'false', AUTH_JWT_ENABLED: '0', AUTH_MTLS_ENABLED: 'false' },
      'AUTH_',
    ],
    ['VAULT_ROLE_ID without VAULT_SECRET_ID', { VAULT_ROLE_ID: SECRET }, 'VAULT_SECRET_ID'],
    ['an unparseable duration', { CHILD_TOKEN_TTL: `${SECRET}s` }, 'CHILD_TOKEN_TTL'],
    ['a short JWT secret', { JWT_HS256_SECRET: SECRET }, 'JWT_HS256_SECRET'],
    ['an unknown operation in OPERATIONS', { OPERATIONS: 'read_secret,frobnicate' }, 'OPERATIONS'],
    [
      'READ_ONLY=true with a writing operation in OPERATIONS',
      { READ_ONLY: 'true', OPERATIONS: 'write_secret' },
      'OPERATIONS',
    ],
  ])('serve with %s', async (_name, env, variable) => {
    const r = await runMain(['serve'], { ...env, VAULT_TOKEN: SECRET })
    expect(r.code).toBe(2)
    const lines = r.stderr.split('\n').filter((l) => l.trim().startsWith(variable))
    expect(lines.length).toBeGreaterThanOrEqual(1)
    expect(r.stderr + r.stdout).not.toContain(SECRET)
  })

  it('check-config reports every problem, one line each, and exits 2', async () => {
    const r = await runMain(['check-config'], { PORT: 'x', VAULT_ADDR: 'y', CHILD_TOKEN_TTL: 'z' })
    expect(r.code).toBe(2)
    for (const v of ['PORT', 'VAULT_ADDR', 'CHILD_TOKEN_TTL']) {
      expect(
        r.stderr.split('\n').some((l) => l.trim().startsWith(`${v}:`)),
        v,
      ).toBe(true)
    }
  })

  it('the default command (no arguments) is serve, and validates too', async () => {
    const r = await runMain([], { PORT: 'nope' })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^\s*PORT:/m)
  })
})

describe('an unusable AUDIT_LOG', () => {
  it.each(['serve', 'stdio'])(
    'stops %s with exit 2 and one line, before Vault is contacted',
    async (command) => {
      // Anything that would be Vault: it counts the connections it gets.
      let contacts = 0
      const vault = createServer((socket) => {
        contacts += 1
        socket.destroy()
      })
      await new Promise<void>((resolve) => vault.listen(0, '127.0.0.1', resolve))
      const { port } = vault.address() as AddressInfo
      let r: Awaited<ReturnType<typeof runMain>>
      try {
        r = await runMain([command], {
          VAULT_ADDR: `http://127.0.0.1:${port}`,
          VAULT_TOKEN: SECRET,
          API_KEYS_JSON: `{"${SECRET}": "agent_a"}`,
          MCP_STDIO_AGENT: 'agent_a',
          AUDIT_LOG: '/nonexistent-dir/for/audit.log',
          LOG_LEVEL: 'silent',
        })
      } finally {
        await new Promise((resolve) => vault.close(resolve))
      }
      expect(r.code).toBe(2)
      const { stderr, stdout } = r
      expect(stderr.trimEnd().split('\n')).toHaveLength(1)
      expect(stderr).toContain('AUDIT_LOG')
      expect(stderr + stdout).not.toContain(SECRET)
      expect(contacts).toBe(0)
    },
  )
})

describe('check-config', () => {
  it('prints the effective configuration with secrets masked and exits 0', async () => {
    const r = await runMain(['check-config'], {
      VAULT_TOKEN: SECRET,
      API_KEYS_JSON: `{"${SECRET}": "agent_a"}`,
      JWT_HS256_SECRET: `${SECRET}-${SECRET}`,
      RATE_LIMIT_REDIS_URL: `redis://user:${SECRET}@127.0.0.1:6379`,
      PORT: '9999',
    })
    expect(r.code).toBe(0)
    expect(r.stdout + r.stderr).not.toContain(SECRET)
    expect(r.stdout).toMatch(/^PORT=9999$/m)
    expect(r.stdout).toMatch(/^HOST=127\.0\.0\.1 {2}# default$/m)
    expect(r.stdout).toMatch(/^VAULT_TOKEN=\*+$/m)
    expect(r.stdout).toMatch(/^API_KEYS_JSON=\*+$/m)
    expect(r.stdout).toMatch(/^RATE_LIMIT_REDIS_URL=redis:\/\/user:\*+@127\.0\.0\.1:6379$/m)
    expect(r.stdout).toMatch(/^VAULT_SECRET_ID=\(unset\)$/m)
  })
})

describe('help, version, usage errors', () => {
  it('--help prints the commands', async () => {
    const r = await runMain(['--help'])
    expect(r.code).toBe(0)
    for (const c of ['serve', 'check-config', 'stdio', 'gen-policy', 'provision', 'gen-jwt']) {
      expect(r.stdout).toContain(c)
    }
    expect(r.stdout).not.toMatch(/^ {2}dev/m)
  })

  it('has no dev or dev-vault command: they are development tasks outside the product', async () => {
    for (const command of ['dev', 'dev-vault']) {
      const r = await runMain([command])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(`unknown command "${command}"`)
    }
  })

  it('--version prints the package version', async () => {
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default
    const r = await runMain(['--version'])
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe(version)
  })

  it('an unknown command exits 2', async () => {
    const r = await runMain(['frobnicate'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('frobnicate')
  })
})
