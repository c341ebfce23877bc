/**
 * @module test/integration/jwt-exchange-config: configurations of JWT exchange that cannot work
 * stop `serve` (and `stdio`) with exit 2 and a line naming the variables, before Vault is
 * contacted: exchange without a JWKS or OIDC issuer, or beside JWT_HS256_SECRET (Vault's JWT
 * method cannot verify HS256), and VAULT_JWT_EXCHANGE_ONLY with callers that have no JWT to exchange. And `gen-policy
 * --jwt-exchange` prints the Vault CLI commands that `provision` runs.
 */
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import { renderJwtExchangeCommands } from '../../src/vault/admin/jwt-commands.js'
import { renderAgentPolicy } from '../../src/vault/admin/policy.js'
import { jwtExchangeSetup } from '../../src/vault/admin/jwt-setup.js'
import { runMain } from '../helpers/cli.js'

const SECRET = 'exchange-secret-value-0123456789abcdef'
const JWKS = {
  JWT_JWKS_URL: 'https://idp.example.test/jwks.json',
  JWT_ISSUER: 'https://idp.example.test',
  JWT_AUDIENCE: 'vault-mcp-bridge',
}
// Nothing listens there: a command that got past its configuration would fail differently.
const VAULT = { VAULT_ADDR: 'http://127.0.0.1:9', VAULT_TOKEN: SECRET, LOG_LEVEL: 'silent' }

describe('JWT exchange configurations that cannot work stop startup with exit 2', () => {
  it.each([
    [
      'exchange with HS256 only',
      { VAULT_JWT_EXCHANGE_ENABLED: 'true', JWT_HS256_SECRET: SECRET },
      ['VAULT_JWT_EXCHANGE_ENABLED', 'JWT_HS256_SECRET'],
    ],
    [
      'exchange with JWT authentication off',
      { VAULT_JWT_EXCHANGE_ENABLED: 'true', ...JWKS, AUTH_JWT_ENABLED: 'false' },
      ['VAULT_JWT_EXCHANGE_ENABLED'],
    ],
    [
      'exchange with HS256 algorithms only',
      { VAULT_JWT_EXCHANGE_ENABLED: 'true', ...JWKS, JWT_ALGORITHMS: 'HS256' },
      ['JWT_ALGORITHMS'],
    ],
    [
      'exchange beside an HS256 secret',
      { VAULT_JWT_EXCHANGE_ENABLED: 'true', ...JWKS, JWT_HS256_SECRET: SECRET },
      ['JWT_HS256_SECRET'],
    ],
    [
      'exchange as the only path beside an HS256 secret',
      {
        VAULT_JWT_EXCHANGE_ENABLED: 'true',
        VAULT_JWT_EXCHANGE_ONLY: 'true',
        ...JWKS,
        JWT_HS256_SECRET: SECRET,
      },
      ['JWT_HS256_SECRET'],
    ],
    [
      'exchange as the only path for API-key and mTLS callers',
      {
        VAULT_JWT_EXCHANGE_ENABLED: 'true',
        VAULT_JWT_EXCHANGE_ONLY: 'true',
        ...JWKS,
        API_KEYS_JSON: JSON.stringify({ [SECRET]: 'agent_a' }),
        AUTH_MTLS_ENABLED: 'true',
        MTLS_MODE: 'header',
        MTLS_TRUSTED_PROXIES: '10.0.0.5/32',
        MTLS_PROXY_SECRET: SECRET,
      },
      ['VAULT_JWT_EXCHANGE_ONLY', 'VAULT_JWT_EXCHANGE_ONLY'],
    ],
    [
      'VAULT_JWT_EXCHANGE_ONLY without exchange',
      { VAULT_JWT_EXCHANGE_ONLY: 'true', ...JWKS },
      ['VAULT_JWT_EXCHANGE_ONLY'],
    ],
    [
      'a role template without {agent}',
      { VAULT_JWT_EXCHANGE_ENABLED: 'true', ...JWKS, VAULT_JWT_EXCHANGE_ROLE: 'one-role' },
      ['VAULT_JWT_EXCHANGE_ROLE'],
    ],
    [
      'a role template Vault would lower-case',
      { VAULT_JWT_EXCHANGE_ENABLED: 'true', ...JWKS, VAULT_JWT_EXCHANGE_ROLE: 'Agent-{agent}' },
      ['VAULT_JWT_EXCHANGE_ROLE'],
    ],
    [
      'a Vault token TTL under a minute',
      { VAULT_JWT_EXCHANGE_ENABLED: 'true', ...JWKS, VAULT_JWT_EXCHANGE_TOKEN_TTL: '30s' },
      ['VAULT_JWT_EXCHANGE_TOKEN_TTL'],
    ],
  ])('serve with %s', async (_name, env, variables) => {
    const r = await runMain(['serve'], { ...VAULT, ...env })
    expect(r.code).toBe(2)
    const named = r.stderr
      .split('\n')
      .map((l) => l.trim().split(':')[0])
      .filter(
        (v) => v?.startsWith('VAULT_JWT') || v === 'JWT_ALGORITHMS' || v === 'JWT_HS256_SECRET',
      )
    expect(named).toEqual(variables)
    expect(r.stderr + r.stdout).not.toContain(SECRET)
  })

  it('stdio, which has no JWT, refuses VAULT_JWT_EXCHANGE_ONLY', async () => {
    const r = await runMain(['stdio'], {
      ...VAULT,
      ...JWKS,
      VAULT_JWT_EXCHANGE_ENABLED: 'true',
      VAULT_JWT_EXCHANGE_ONLY: 'true',
      MCP_STDIO_AGENT: 'agent_a',
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('VAULT_JWT_EXCHANGE_ONLY')
  })

  it('names both variables and says what to do when exchange meets an HS256 secret', async () => {
    const r = await runMain(['check-config'], {
      ...VAULT,
      ...JWKS,
      VAULT_JWT_EXCHANGE_ENABLED: 'true',
      JWT_HS256_SECRET: SECRET,
    })
    expect(r.code).toBe(2)
    const line = r.stderr.split('\n').find((l) => l.includes('JWT_HS256_SECRET'))
    expect(line).toMatch(/VAULT_JWT_EXCHANGE_ENABLED/)
    expect(line).toMatch(/RS256\/ES256/)
    expect(line).toMatch(/API keys/)
    expect(r.stderr + r.stdout).not.toContain(SECRET)
  })

  it('accepts exchange with a JWKS and API keys as fallbacks', () => {
    const config = loadConfig({
      ...VAULT,
      ...JWKS,
      VAULT_JWT_EXCHANGE_ENABLED: 'true',
      API_KEYS_JSON: JSON.stringify({ [SECRET]: 'agent_a' }),
    })
    expect(config.jwtExchange).toEqual({
      enabled: true,
      mount: 'mcp-jwt',
      roleTemplate: 'mcp-agent-{agent}',
      only: false,
      tokenTtlSeconds: 300,
      cacheSize: 1000,
    })
  })
})

describe('gen-policy --jwt-exchange', () => {
  const env = { ...JWKS, VAULT_JWT_EXCHANGE_ENABLED: 'true', KV_MOUNT: 'kv', DEFAULT_PREFIX: 'p' }

  it("prints the Vault CLI commands provision runs, from the bridge's configuration", async () => {
    const r = await runMain(['gen-policy', '--agent', 'alice', '--jwt-exchange'], env)
    expect([r.code, r.stderr]).toEqual([0, ''])
    const config = loadConfig(env)
    expect(r.stdout).toBe(
      renderJwtExchangeCommands({
        setup: jwtExchangeSetup(config)!,
        agent: 'alice',
        policyName: 'mcp-agent-alice',
        policy: renderAgentPolicy({
          agent: 'alice',
          mount: 'kv',
          prefix: 'p',
          transitMount: 'transit',
          policyPrefix: 'mcp-agent-',
        }),
      }),
    )
    expect(r.stdout).toContain('vault auth enable -path=mcp-jwt jwt')
    expect(r.stdout).toContain("vault write auth/mcp-jwt/role/mcp-agent-alice - <<'EOF'")
    expect(r.stdout).toContain('"bound_subject": "alice"')
    expect(r.stdout).toContain('path "kv/data/p/alice/*"')
  })

  it('exits 2 without the exchange configuration', async () => {
    const r = await runMain(['gen-policy', '--agent', 'alice', '--jwt-exchange'], JWKS)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('VAULT_JWT_EXCHANGE_ENABLED=true')
    expect(r.stdout).toBe('')
  })
})
