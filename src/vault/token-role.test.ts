/** @module vault/token-role tests: Vault's role rules for policies, globs and versions. */
import { describe, expect, it } from 'vitest'
import { globMatches, hasRoleGlobs, roleAllowsPolicy, tokenRoleSettings } from './token-role.js'

describe('globMatches (ryanuber/go-glob, as Vault uses it)', () => {
  it.each([
    ['mcp-agent-*', 'mcp-agent-alice', true],
    ['mcp-agent-*', 'mcp-agent-', true],
    ['mcp-agent-*', 'mcp-bridge', false],
    ['*', 'anything', true],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'acb', false],
    ['*-agent', 'mcp-agent', true],
    ['ab*ba', 'aba', false],
    ['exact', 'exact', true],
    ['exact', 'exactly', false],
  ])('%s matches %s: %s', (pattern, subject, expected) => {
    expect(globMatches(pattern, subject)).toBe(expected)
  })
})

describe('roleAllowsPolicy', () => {
  const role = {
    allowed_policies: ['listed'],
    allowed_policies_glob: ['mcp-agent-*'],
    disallowed_policies: ['mcp-agent-bridge'],
    disallowed_policies_glob: ['mcp-agent-x*'],
  }
  it.each([
    ['listed', true],
    ['mcp-agent-alice', true],
    ['mcp-agent-bridge', false],
    ['mcp-agent-xavier', false],
    ['default', false],
  ])('%s: %s', (policy, expected) => {
    expect(roleAllowsPolicy(role, policy)).toBe(expected)
  })

  it('reads a Vault 1.8 role (no glob fields) by its list alone', () => {
    expect(roleAllowsPolicy({ allowed_policies: ['mcp-agent-a'] }, 'mcp-agent-a')).toBe(true)
    expect(roleAllowsPolicy({ allowed_policies: ['mcp-agent-a'] }, 'mcp-agent-b')).toBe(false)
  })
})

describe('tokenRoleSettings and hasRoleGlobs', () => {
  it('uses a glob from Vault 1.9 on and a list before', () => {
    expect(hasRoleGlobs('1.8.12')).toBe(false)
    expect(hasRoleGlobs('1.9.0')).toBe(true)
    expect(hasRoleGlobs('1.17.0+devvault')).toBe(true)
    expect(hasRoleGlobs('1.15.2+ent')).toBe(true)
    expect(hasRoleGlobs('2.0.0')).toBe(true)
    const base = { policyPrefix: 'mcp-agent-', agentPolicies: ['mcp-agent-b', 'mcp-agent-a'] }
    const modern = tokenRoleSettings({ ...base, disallowed: ['mcp-bridge'], globs: true })
    expect(modern).toMatchObject({
      allowed_policies: [],
      allowed_policies_glob: ['mcp-agent-*'],
      disallowed_policies: ['mcp-bridge'],
      orphan: false,
      renewable: false,
      token_type: 'service',
      token_no_default_policy: true,
    })
    const old = tokenRoleSettings({ ...base, disallowed: [], globs: false })
    expect(old.allowed_policies).toEqual(['mcp-agent-a', 'mcp-agent-b'])
    expect(old).not.toHaveProperty('allowed_policies_glob')
  })
})
