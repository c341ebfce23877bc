/** @module config/schema tests: names that end up in Vault paths and transit key names. */
import { describe, expect, it } from 'vitest'
import { OPERATIONS } from '../core/operations.js'
import { ConfigError, loadConfig } from './load.js'

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env)
    return []
  } catch (e) {
    if (e instanceof ConfigError) return e.problems
    throw e
  }
}

describe('DEFAULT_PREFIX', () => {
  it.each(['mcp', 'agents', 'team_a.v2', 'x-y'])('accepts %s', (prefix) => {
    expect(loadConfig({ DEFAULT_PREFIX: prefix }).prefix).toBe(prefix)
  })

  // Security: the prefix is part of `{prefix}--{agent}--{key}` transit key names and of the
  // agents' KV paths; "/" would make transit names Vault refuses, "--" would blur the separator.
  it.each(['a/b', 'a--b', '.', '..', 'x'.repeat(65), 'a b'])('refuses %s', (prefix) => {
    const problems = problemsOf({ DEFAULT_PREFIX: prefix })
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^DEFAULT_PREFIX: /)
  })
})

describe('KV_MOUNT and TRANSIT_MOUNT', () => {
  it('accepts plain and nested mount paths', () => {
    const c = loadConfig({ KV_MOUNT: 'team/kv', TRANSIT_MOUNT: 'crypto' })
    expect(c.vault.kvMount).toBe('team/kv')
    expect(c.vault.transitMount).toBe('crypto')
  })

  it.each(['/secret', 'secret/', 'a//b', 'a/../b', '..', 'sec ret'])('refuses %s', (mount) => {
    expect(problemsOf({ KV_MOUNT: mount })[0]).toMatch(/^KV_MOUNT: /)
    expect(problemsOf({ TRANSIT_MOUNT: mount })[0]).toMatch(/^TRANSIT_MOUNT: /)
  })
})

describe('CHILD_TOKEN_ROLE', () => {
  it('mints through mcp-bridge-agents by default; none mints without a role', () => {
    expect(loadConfig({}).childToken.role).toBe('mcp-bridge-agents')
    expect(loadConfig({ CHILD_TOKEN_ROLE: 'team-agents' }).childToken.role).toBe('team-agents')
    expect(loadConfig({ CHILD_TOKEN_ROLE: 'none' }).childToken.role).toBeUndefined()
  })

  it.each(['Agents', 'a/b', 'x'.repeat(129)])('refuses the role name %s', (role) => {
    expect(problemsOf({ CHILD_TOKEN_ROLE: role })[0]).toMatch(/^CHILD_TOKEN_ROLE: /)
  })

  it("keeps child tokens within the role's explicit max TTL of 1h", () => {
    expect(loadConfig({ CHILD_TOKEN_TTL: '30m', CHILD_TOKEN_REUSE_SECONDS: '30m' })).toBeTruthy()
    expect(problemsOf({ CHILD_TOKEN_TTL: '30m', CHILD_TOKEN_REUSE_SECONDS: '31m' })[0]).toMatch(
      /^CHILD_TOKEN_TTL: /,
    )
    const none = { CHILD_TOKEN_ROLE: 'none', CHILD_TOKEN_TTL: '2h' }
    expect(loadConfig(none).childToken.ttlSeconds).toBe(7200)
  })
})

describe('OPERATIONS and READ_ONLY', () => {
  const all = OPERATIONS.map((op) => op.name)

  it('offers every operation by default', () => {
    expect(loadConfig({}).operations).toEqual(all)
    expect(loadConfig({}).readOnly).toBe(false)
  })

  it('offers the operations named, in catalogue order, and whoami always', () => {
    const c = loadConfig({ OPERATIONS: 'list_secrets, read_secret sign' })
    expect(c.operations).toEqual(['read_secret', 'list_secrets', 'sign', 'whoami'])
  })

  it('offers only the read-only operations with READ_ONLY=true', () => {
    const c = loadConfig({ READ_ONLY: 'true' })
    const readOnly = OPERATIONS.filter((op) => op.hints.readOnly).map((op) => op.name)
    expect(c.operations).toEqual(readOnly)
    expect(c.operations).toEqual([
      'read_secret',
      'list_secrets',
      'read_secret_metadata',
      'check_secret_request',
      'decrypt',
      'list_transit_keys',
      'read_transit_key',
      'verify_hmac',
      'verify_signature',
      'whoami',
    ])
    const both = loadConfig({ READ_ONLY: 'true', OPERATIONS: 'read_secret,decrypt' })
    expect(both.operations).toEqual(['read_secret', 'decrypt', 'whoami'])
  })

  it('refuses a name that is no operation, and lists the operations', () => {
    const problems = problemsOf({ OPERATIONS: 'read_secret,read_secrets,sudo' })
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^OPERATIONS: /)
    expect(problems[0]).toContain('"read_secrets", "sudo"')
    expect(problems[0]).toContain(all.join(', '))
  })

  it('refuses READ_ONLY=true with an operation that changes Vault named in OPERATIONS', () => {
    const problems = problemsOf({ READ_ONLY: 'true', OPERATIONS: 'read_secret,write_secret' })
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^OPERATIONS: names write_secret, which READ_ONLY/)
  })
})

describe('WRAP_TTL_MAX and MCP_WRAP_TTL', () => {
  it('defaults to one hour and five minutes, and reads durations as whole seconds', () => {
    const c = loadConfig({})
    expect([c.wrap.maxTtlSeconds, c.mcp.wrapTtlSeconds]).toEqual([3600, 300])
    const set = loadConfig({ WRAP_TTL_MAX: '2m', MCP_WRAP_TTL: '90' })
    expect([set.wrap.maxTtlSeconds, set.mcp.wrapTtlSeconds]).toEqual([120, 90])
  })

  // Security: Vault answers a wrap TTL of 0 unwrapped, with the values.
  it.each(['0', '0.5s', 'abc', '-1m'])('refuses WRAP_TTL_MAX=%s', (ttl) => {
    expect(problemsOf({ WRAP_TTL_MAX: ttl }).some((p) => /^WRAP_TTL_MAX: /.test(p))).toBe(true)
  })

  it.each([
    ['0', '1h'],
    ['2h', '1h'],
    ['61s', '1m'],
  ])('refuses MCP_WRAP_TTL=%s above or below WRAP_TTL_MAX=%s', (ttl, max) => {
    expect(problemsOf({ MCP_WRAP_TTL: ttl, WRAP_TTL_MAX: max })).toEqual([
      expect.stringMatching(/^MCP_WRAP_TTL: /),
    ])
  })

  it('takes MCP_SECRET_VALUES=wrap', () => {
    expect(loadConfig({ MCP_SECRET_VALUES: 'wrap' }).mcp.secretValues).toBe('wrap')
  })
})
