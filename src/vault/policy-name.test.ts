/** @module vault/policy-name tests: agent policy names, and the prefixes and agents Vault keeps as they are. */
import { describe, expect, it } from 'vitest'
import { agentPolicyName, isAgentPolicyNameSafe, isPolicyPrefixSafe } from './policy-name.js'

describe('isAgentPolicyNameSafe', () => {
  it('refuses names Vault would lower-case into another agent', () => {
    expect(isAgentPolicyNameSafe('mcp-agent-', 'alice')).toBe(true)
    expect(isAgentPolicyNameSafe('mcp-agent-', 'Alice')).toBe(false)
    expect(isAgentPolicyNameSafe('MCP-', 'alice')).toBe(false)
    expect(isAgentPolicyNameSafe('mcp-agent-', 'a--b')).toBe(false)
    expect(agentPolicyName('mcp-agent-', 'alice')).toBe('mcp-agent-alice')
  })
})

describe('isPolicyPrefixSafe', () => {
  it('accepts what Vault keeps as it is, and nothing it would lower-case or reject', () => {
    for (const prefix of ['mcp-agent-', 'a.b_c-', '']) expect(isPolicyPrefixSafe(prefix)).toBe(true)
    for (const prefix of ['MCP-', 'mcp agent-', 'mcp/agent-']) {
      expect(isPolicyPrefixSafe(prefix)).toBe(false)
    }
  })
})
