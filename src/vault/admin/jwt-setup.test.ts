/** @module vault/admin/jwt-setup tests: what provision writes for JWT exchange, from the config. */
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../config/load.js'
import { jwtAuthConfig, jwtExchangeSetup, jwtRoleGlob, jwtRoleSettings } from './jwt-setup.js'

const JWKS = {
  JWT_JWKS_URL: 'https://idp.test/jwks.json',
  JWT_ISSUER: 'https://idp.test',
  JWT_AUDIENCE: 'bridge',
  VAULT_JWT_EXCHANGE_ENABLED: 'true',
}

describe('the bridge policy rule', () => {
  it('grants the bridge read on every agent role and nothing else of the mount', () => {
    expect(jwtRoleGlob('mcp-jwt', 'mcp-agent-{agent}')).toBe('auth/mcp-jwt/role/mcp-agent-*')
    expect(jwtRoleGlob('team/jwt', '{agent}-bridge')).toBe('auth/team/jwt/role/*')
  })
})

describe('what provision writes', () => {
  it("configures Vault with the bridge's JWKS, issuer and public-key algorithms", () => {
    const setup = jwtExchangeSetup(loadConfig({ ...JWKS, OAUTH_RESOURCE: 'https://b.test/mcp' }))!
    expect(jwtAuthConfig(setup)).toEqual({
      jwks_url: 'https://idp.test/jwks.json',
      bound_issuer: 'https://idp.test',
      jwt_supported_algs: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    })
    expect(setup.audiences).toEqual(['bridge', 'https://b.test/mcp'])
  })

  it('uses OIDC discovery of JWT_ISSUER without a JWKS URL, and nothing without exchange', () => {
    const oidc = jwtExchangeSetup(loadConfig({ ...JWKS, JWT_JWKS_URL: '' }))!
    expect(jwtAuthConfig(oidc)).toMatchObject({ oidc_discovery_url: 'https://idp.test' })
    expect(jwtAuthConfig(oidc)).not.toHaveProperty('jwks_url')
    expect(jwtExchangeSetup(loadConfig({ ...JWKS, VAULT_JWT_EXCHANGE_ENABLED: 'false' }))).toBe(
      undefined,
    )
  })

  it("binds the agent's subject, the audience and its policy alone, with short service tokens", () => {
    const setup = jwtExchangeSetup(loadConfig({ ...JWKS, VAULT_JWT_EXCHANGE_TOKEN_TTL: '10m' }))!
    expect(jwtRoleSettings(setup, 'alice', 'mcp-agent-alice')).toEqual({
      role_type: 'jwt',
      user_claim: 'sub',
      bound_audiences: ['bridge'],
      bound_subject: 'alice',
      bound_claims_type: 'string',
      bound_claims: {},
      token_policies: ['mcp-agent-alice'],
      token_ttl: 600,
      token_max_ttl: 600,
      token_no_default_policy: true,
      token_type: 'service',
    })
    const byClaim = jwtExchangeSetup(loadConfig({ ...JWKS, JWT_SUBJECT_CLAIM: 'agent' }))!
    expect(jwtRoleSettings(byClaim, 'alice', 'p')).toMatchObject({
      user_claim: 'agent',
      bound_subject: '',
      bound_claims: { agent: ['alice'] },
    })
  })
})
