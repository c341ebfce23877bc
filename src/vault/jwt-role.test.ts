/** @module vault/jwt-role tests: role names, and why a role refuses a caller. */
import { describe, expect, it } from 'vitest'
import { isJwtRoleNameSafe, jwtRoleName, jwtRoleRefusal } from './jwt-role.js'

describe('role names', () => {
  it('fills the template and refuses names Vault would change or reject', () => {
    expect(jwtRoleName('mcp-agent-{agent}', 'alice')).toBe('mcp-agent-alice')
    expect(isJwtRoleNameSafe('mcp-agent-{agent}', 'alice')).toBe(true)
    // Vault lower-cases role names: Alice's role would be alice's.
    expect(isJwtRoleNameSafe('mcp-agent-{agent}', 'Alice')).toBe(false)
    // Role names start and end with a letter, digit or "_".
    expect(isJwtRoleNameSafe('{agent}', '.hidden')).toBe(false)
    expect(isJwtRoleNameSafe('{agent}-', 'a')).toBe(false)
    expect(isJwtRoleNameSafe('{agent}', 'a--b')).toBe(false)
  })
})

describe('why a role refuses a caller', () => {
  const now = 1_800_000_000_000
  const claims = { sub: 'alice', aud: 'bridge', exp: now / 1000 + 60 }
  const role = {
    role_type: 'jwt',
    user_claim: 'sub',
    bound_audiences: ['bridge'],
    bound_subject: 'alice',
    bound_claims: {},
    token_bound_cidrs: [],
  }

  it('finds nothing wrong with a role as provision writes it', () => {
    expect(jwtRoleRefusal(role, claims, now)).toBeUndefined()
  })

  it.each([
    ['an expired token', role, { ...claims, exp: now / 1000 - 1 }, 'expired'],
    ['an oidc role', { ...role, role_type: 'oidc' }, claims, 'role_type'],
    ['another audience', { ...role, bound_audiences: ['x'] }, claims, 'bound_audiences'],
    ['no audience bound', { ...role, bound_audiences: [] }, claims, 'binds no audience'],
    ['another subject', { ...role, bound_subject: 'bob' }, claims, 'bound_subject'],
    ['a missing user claim', { ...role, user_claim: 'email' }, claims, 'user_claim'],
    [
      'unmatched bound claims',
      { ...role, bound_claims: { team: ['blue'] } },
      claims,
      'bound_claims',
    ],
    [
      'CIDR-bound tokens',
      { ...role, token_bound_cidrs: ['10.0.0.0/8'] },
      claims,
      'token_bound_cidrs',
    ],
  ])('names %s', (_name, r, c, word) => {
    const why = jwtRoleRefusal(r, c, now)
    expect(why).toContain(word)
    // Never a claim value.
    expect(why).not.toContain('alice')
  })
})
