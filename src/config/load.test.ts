/** @module config/load tests: defaults, parsing rules, and one named line per bad-config problem. */
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './load.js'
import { SECRET_VARIABLES, envSchema, parseDuration } from './schema.js'

/** Runs loadConfig and returns its problems (throws if the config was accepted). */
const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as ConfigError).problems
  }
  throw new Error('config was accepted')
}

describe('loadConfig defaults', () => {
  it('gives the documented defaults for an empty environment', () => {
    const c = loadConfig({})
    expect(c.host).toBe('127.0.0.1')
    expect(c.port).toBe(8089)
    expect(c.logLevel).toBe('info')
    expect(c.vault.address).toBe('http://localhost:8200')
    expect(c.vault.namespace).toBeUndefined()
    expect(c.vault.token).toBeUndefined()
    expect(c.vault.appRole).toBeUndefined()
    expect(c.vault.kvMount).toBe('secret')
    expect(c.prefix).toBe('mcp')
    expect(c.vault.transitMount).toBe('transit')
    expect(c.auth.apiKey.enabled).toBe(true)
    expect(c.auth.jwt.enabled).toBe(true)
    expect(c.auth.mtls.enabled).toBe(false)
    expect(c.auth.apiKey.keys).toEqual([])
    expect(c.auth.mtls.identityHeader).toBe('x-ssl-client-s-dn')
    expect(c.auth.mtls.verifyHeader).toBe('x-ssl-client-verify')
    expect(c.auth.mtls.cnPrefix).toBe('CN=')
    expect(c.childToken).toMatchObject({
      enabled: false,
      ttlSeconds: 90,
      policyPrefix: 'mcp-agent-',
    })
    expect(c.rateLimit).toMatchObject({ enabled: true, requests: 60, windowSeconds: 60 })
    expect(c.maxBodyBytes).toBe(1024 * 1024)
    expect(c.shutdownTimeoutSeconds).toBe(10)
  })

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '', VAULT_TOKEN: '' })).toMatchObject({ port: 8089 })
    expect(loadConfig({ VAULT_TOKEN: '' }).vault.token).toBeUndefined()
  })

  it('ignores variables it does not know', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root' }).port).toBe(8089)
  })
})

describe('loadConfig parsing', () => {
  it('reads the names existing users set', () => {
    const c = loadConfig({
      HOST: '0.0.0.0',
      PORT: '9000',
      VAULT_ADDR: 'https://vault.example.com:8200',
      VAULT_NAMESPACE: 'team-a',
      VAULT_ROLE_ID: 'role',
      VAULT_SECRET_ID: 'secret-id-value',
      KV_MOUNT: 'kv',
      DEFAULT_PREFIX: 'agents',
      TRANSIT_MOUNT: 'tr',
      AUTH_MTLS_ENABLED: '1',
      MTLS_MODE: 'header',
      MTLS_TRUSTED_PROXIES: '10.0.0.5',
      MTLS_PROXY_SECRET: 'a-proxy-secret-of-at-least-32-characters',
      AUTH_JWT_ENABLED: '0',
      API_KEYS_JSON:
        '{"key-one-0123456789": "alice", "key-two-0123456789": {"agent": "bob", "scopes": ["read"]}}',
      CHILD_TOKEN_ENABLED: 'TRUE',
      CHILD_TOKEN_TTL: '5m',
      RATE_LIMIT_ENABLED: 'false',
      RATE_LIMIT_REQUESTS: '10',
      RATE_LIMIT_WINDOW_SECONDS: '30',
    })
    expect(c.host).toBe('0.0.0.0')
    expect(c.port).toBe(9000)
    expect(c.vault.namespace).toBe('team-a')
    expect(c.vault.appRole).toEqual({
      roleId: 'role',
      secretId: 'secret-id-value',
      mount: 'approle',
    })
    expect(c.vault.kvMount).toBe('kv')
    expect(c.prefix).toBe('agents')
    expect(c.vault.transitMount).toBe('tr')
    expect(c.auth.mtls.enabled).toBe(true)
    expect(c.auth.jwt.enabled).toBe(false)
    expect(c.auth.apiKey.keys).toEqual([
      { key: 'key-one-0123456789', agent: 'alice', scopes: ['read', 'write', 'delete', 'list'] },
      { key: 'key-two-0123456789', agent: 'bob', scopes: ['read'] },
    ])
    expect(c.childToken).toMatchObject({ enabled: true, ttlSeconds: 300 })
    expect(c.rateLimit).toMatchObject({ enabled: false, requests: 10, windowSeconds: 30 })
  })

  it.each([
    ['90s', 90],
    ['5m', 300],
    ['1h', 3600],
    ['30', 30],
    ['1d', 86400],
  ])('parses the duration %s as %d seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds)
    expect(loadConfig({ VAULT_TIMEOUT: text }).vault.timeoutSeconds).toBe(seconds)
  })

  it.each(['true', 'false', '1', '0'])('accepts the boolean %s', (v) => {
    expect(loadConfig({ CHILD_TOKEN_ENABLED: v }).childToken.enabled).toBe(
      v === 'true' || v === '1',
    )
  })
})

describe('bad config: one line per problem, naming the variable', () => {
  it.each([
    ['a bad URL', { VAULT_ADDR: 'not a url' }, 'VAULT_ADDR'],
    ['a non-http URL', { VAULT_ADDR: 'ftp://vault:8200' }, 'VAULT_ADDR'],
    ['a non-numeric PORT', { PORT: 'eighty' }, 'PORT'],
    ['a blank PORT', { PORT: '  ' }, 'PORT'],
    ['a hex PORT', { PORT: '0x1F' }, 'PORT'],
    ['a PORT out of range', { PORT: '70000' }, 'PORT'],
    ['a negative PORT', { PORT: '-1' }, 'PORT'],
    ['malformed API_KEYS_JSON', { API_KEYS_JSON: '{not json' }, 'API_KEYS_JSON'],
    ['API_KEYS_JSON that is an array', { API_KEYS_JSON: '["k"]' }, 'API_KEYS_JSON'],
    [
      'a bad agent id in API_KEYS_JSON',
      { API_KEYS_JSON: '{"good-key-123": "../x"}' },
      'API_KEYS_JSON',
    ],
    ['an agent id with --', { API_KEYS_JSON: '{"good-key-123": "a--b"}' }, 'API_KEYS_JSON'],
    [
      'every auth method disabled',
      { AUTH_API_KEY_ENABLED: 'false', AUTH_JWT_ENABLED: 'false', AUTH_MTLS_ENABLED: 'false' },
      'AUTH_API_KEY_ENABLED',
    ],
    ['VAULT_ROLE_ID without VAULT_SECRET_ID', { VAULT_ROLE_ID: 'r' }, 'VAULT_SECRET_ID'],
    ['VAULT_SECRET_ID without VAULT_ROLE_ID', { VAULT_SECRET_ID: 's' }, 'VAULT_ROLE_ID'],
    ['an unparseable duration', { CHILD_TOKEN_TTL: 'soon' }, 'CHILD_TOKEN_TTL'],
    ['an unparseable SHUTDOWN_TIMEOUT', { SHUTDOWN_TIMEOUT: '10 minutes' }, 'SHUTDOWN_TIMEOUT'],
    ['a bad boolean', { RATE_LIMIT_ENABLED: 'yes' }, 'RATE_LIMIT_ENABLED'],
    ['a bad LOG_LEVEL', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    ['a short JWT secret', { JWT_HS256_SECRET: 'short' }, 'JWT_HS256_SECRET'],
    ['a 15-character API key', { API_KEYS_JSON: '{"abcdefghij12345": "alice"}' }, 'API_KEYS_JSON'],
    ['a bad Redis URL', { RATE_LIMIT_REDIS_URL: 'http://redis' }, 'RATE_LIMIT_REDIS_URL'],
    ['a short signing key', { STATE_SIGNING_KEY: 'c2hvcnQ=' }, 'STATE_SIGNING_KEY'],
    [
      'a signing key that is neither hex nor base64',
      { STATE_SIGNING_KEY: 'not a key!' },
      'STATE_SIGNING_KEY',
    ],
  ])('%s', (_name, env, variable) => {
    const problems = problemsOf(env)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(new RegExp(`^${variable}: \\S`))
  })

  it('reports every problem at once', () => {
    const problems = problemsOf({ PORT: 'x', VAULT_ADDR: 'nope', CHILD_TOKEN_TTL: 'later' })
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'CHILD_TOKEN_TTL',
      'PORT',
      'VAULT_ADDR',
    ])
  })

  it('the ConfigError message lists each problem on its own line', () => {
    try {
      loadConfig({ PORT: 'x', VAULT_ADDR: 'nope' })
      expect.unreachable()
    } catch (err) {
      const lines = (err as Error).message.split('\n').filter((l) => l.startsWith('  - '))
      expect(lines).toHaveLength(2)
    }
  })
})

describe('bad config never echoes secret values', () => {
  const marker = 'S3CR3T-MARKER-7f3a9c'
  it.each([
    ['API_KEYS_JSON with a bad agent', { API_KEYS_JSON: `{"${marker}": "bad/agent"}` }],
    ['API_KEYS_JSON with a short key', { API_KEYS_JSON: `{"${marker.slice(0, 5)}": "alice"}` }],
    ['API_KEYS_JSON not JSON', { API_KEYS_JSON: `{${marker}` }],
    ['a short JWT secret', { JWT_HS256_SECRET: marker }],
    ['a VAULT_SECRET_ID alone', { VAULT_SECRET_ID: marker }],
    ['a VAULT_ADDR with credentials', { VAULT_ADDR: `ftp://user:${marker}@vault` }],
    ['a Redis URL with a password', { RATE_LIMIT_REDIS_URL: `http://:${marker}@redis` }],
    ['a PORT that is a secret', { PORT: marker }],
    ['a short STATE_SIGNING_KEY', { STATE_SIGNING_KEY: marker }],
  ])('%s', (_name, env) => {
    const text = problemsOf(env).join('\n')
    expect(text).not.toContain(marker)
    expect(text).not.toContain(marker.slice(0, 5))
  })
})

describe('STATE_SIGNING_KEY', () => {
  const key = Buffer.from('0123456789abcdef0123456789abcdef!!', 'utf8')

  it.each([
    ['hex', key.toString('hex')],
    ['base64', key.toString('base64')],
    ['URL-safe base64', key.toString('base64url')],
    ['base64 with spaces around', ` ${key.toString('base64')}\n`],
  ])('takes %s of 32+ bytes', (_form, text) => {
    expect(loadConfig({ STATE_SIGNING_KEY: text }).signing.key).toEqual(key)
  })

  it('is unset by default (the bridge then makes one per process)', () => {
    expect(loadConfig({}).signing.key).toBeUndefined()
  })

  it('reads 64 hex digits as hex, not as base64', () => {
    const hex = 'ab'.repeat(32)
    expect(loadConfig({ STATE_SIGNING_KEY: hex }).signing.key).toEqual(Buffer.alloc(32, 0xab))
  })

  it('is a secret: check-config masks it', () => {
    expect(SECRET_VARIABLES).toContain('STATE_SIGNING_KEY')
  })
})

describe('SECRET_VARIABLES', () => {
  it('names only variables of the schema', () => {
    for (const name of SECRET_VARIABLES) expect(Object.keys(envSchema.shape)).toContain(name)
  })
})

describe('renamed variables', () => {
  it('refuses MCP_ALLOWED_ORIGINS, naming ALLOWED_ORIGINS (it now guards REST too)', () => {
    const err = (() => {
      try {
        loadConfig({ MCP_ALLOWED_ORIGINS: 'https://app.example' })
      } catch (e) {
        return e as ConfigError
      }
    })()
    expect(err).toBeInstanceOf(ConfigError)
    expect(err?.problems).toEqual([
      expect.stringMatching(/^MCP_ALLOWED_ORIGINS: .*ALLOWED_ORIGINS/),
    ])
    expect(loadConfig({ ALLOWED_ORIGINS: 'https://app.example' }).allowedOrigins).toEqual([
      'https://app.example',
    ])
  })
})

describe('listener timeouts', () => {
  it('reads HTTP_* into config.listener, and refuses headers that may take longer than the request', () => {
    expect(loadConfig({}).listener).toEqual({
      headersTimeoutSeconds: 15,
      requestTimeoutSeconds: 30,
      keepAliveTimeoutSeconds: 5,
      maxConnections: 1024,
    })
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT: '40s' })).toThrow(/HTTP_HEADERS_TIMEOUT/)
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT: '0' })).toThrow(/HTTP_REQUEST_TIMEOUT/)
  })
})
