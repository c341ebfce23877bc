/** @module vault/admin/policy tests: the HCL gen-policy prints, and that its globs fit core/paths names. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isValidAgentId } from '../../core/identity.js'
import { resolveFolderPath, resolveSecretPath, transitKeyName } from '../../core/paths.js'
import { renderAgentPolicy, renderBridgePolicy } from './policy.js'

const base = { mount: 'secret', prefix: 'mcp', transitMount: 'transit', policyPrefix: 'mcp-agent-' }

/** The `path "..." { capabilities = [...] }` blocks of a policy, as a map. */
function rules(hcl: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  const re = /^path "([^"]+)" \{\n {2}capabilities = \[([^\]]*)\]\n\}$/gm
  for (const m of hcl.matchAll(re)) {
    out.set(
      m[1]!,
      [...m[2]!.matchAll(/"([a-z]+)"/g)].map((c) => c[1]!),
    )
  }
  return out
}

/** Vault's rule for a pattern: a trailing `*` is a prefix match, otherwise an exact one. */
const matches = (pattern: string, path: string): boolean =>
  pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern

const allowed = (hcl: string, path: string, capability: string): boolean =>
  [...rules(hcl)].some(([p, caps]) => matches(p, path) && caps.includes(capability))

describe('renderAgentPolicy', () => {
  it('grants exactly the paths and capabilities the issue lists', () => {
    const hcl = renderAgentPolicy({ ...base, agent: 'alice' })
    expect(Object.fromEntries(rules(hcl))).toEqual({
      'secret/data/mcp/alice/*': ['create', 'read', 'update', 'patch', 'delete', 'list'],
      'secret/metadata/mcp/alice/*': ['read', 'update', 'list', 'delete'],
      'secret/delete/mcp/alice/*': ['update'],
      'secret/undelete/mcp/alice/*': ['update'],
      'secret/destroy/mcp/alice/*': ['update'],
      'transit/encrypt/mcp--alice--*': ['create', 'update'],
      'transit/decrypt/mcp--alice--*': ['update'],
      'transit/rewrap/mcp--alice--*': ['update'],
      'transit/datakey/plaintext/mcp--alice--*': ['update'],
      'transit/datakey/wrapped/mcp--alice--*': ['update'],
      'transit/keys/mcp--alice--*': ['read', 'update'],
      'transit/keys': ['list'],
      'transit/hmac/mcp--alice--*': ['update'],
      'transit/sign/mcp--alice--*': ['update'],
      'transit/verify/mcp--alice--*': ['update'],
    })
    expect(hcl).toContain('"mcp-agent-alice"')
  })

  it('uses the given mounts and prefix, trimming slashes', () => {
    const hcl = renderAgentPolicy({
      agent: 'bot.1',
      mount: '/kv/',
      prefix: 'team/agents',
      transitMount: 'crypto/',
      policyPrefix: 'p-',
    })
    const paths = [...rules(hcl).keys()]
    expect(paths).toContain('kv/data/team/agents/bot.1/*')
    expect(paths).toContain('crypto/keys/team/agents--bot.1--*')
    expect(paths.every((p) => p.startsWith('kv/') || p.startsWith('crypto/'))).toBe(true)
  })

  it('refuses agent ids and parts that could widen or break the policy', () => {
    for (const agent of ['', 'a--b', '-a', 'a/b', '..', 'Alice', 'a"b', 'a*']) {
      expect(() => renderAgentPolicy({ ...base, agent })).toThrow(TypeError)
    }
    expect(() => renderAgentPolicy({ ...base, agent: 'a', mount: 'se"cret' })).toThrow(TypeError)
    expect(() => renderAgentPolicy({ ...base, agent: 'a', prefix: 'm/../x' })).toThrow(TypeError)
    expect(() => renderAgentPolicy({ ...base, agent: 'a', transitMount: 't*' })).toThrow(TypeError)
    expect(() => renderAgentPolicy({ ...base, agent: 'a', policyPrefix: 'Mcp-' })).toThrow(
      TypeError,
    )
  })
})

// Lower-case agent ids (the ones that can have a policy), including look-alikes such as
// `alice` and `alice-x`, and transit key names / secret paths as the service accepts them.
const agentArb = fc.stringMatching(/^[a-z0-9_.][a-z0-9_.-]{0,8}$/).filter((a) => isValidAgentId(a))
const keyArb = fc.stringMatching(/^[A-Za-z0-9_.-]{0,10}[A-Za-z0-9_]$/)
const pathArb = fc
  .array(fc.stringMatching(/^[A-Za-z0-9_-]{1,6}$/), { minLength: 1, maxLength: 3 })
  .map((s) => s.join('/'))

describe('the policy and the names the secrets service sends agree', () => {
  it("grants an agent its own keys and paths and never another agent's", () => {
    fc.assert(
      fc.property(agentArb, agentArb, keyArb, pathArb, (a, b, key, path) => {
        fc.pre(a !== b)
        const hcl = renderAgentPolicy({ ...base, agent: a })
        const own = transitKeyName('mcp', a, key)
        const other = transitKeyName('mcp', b, key)
        for (const [op, cap] of [
          ['encrypt', 'update'],
          ['decrypt', 'update'],
          ['rewrap', 'update'],
          ['datakey/plaintext', 'update'],
          ['datakey/wrapped', 'update'],
          ['keys', 'read'],
          ['keys', 'update'],
          ['hmac', 'update'],
          ['sign', 'update'],
          ['verify', 'update'],
        ] as const) {
          expect(allowed(hcl, `transit/${op}/${own}`, cap)).toBe(true)
          expect(allowed(hcl, `transit/${op}/${other}`, cap)).toBe(false)
        }
        expect(allowed(hcl, `transit/keys/${own}/rotate`, 'update')).toBe(true)
        expect(allowed(hcl, `transit/keys/${other}/rotate`, 'update')).toBe(false)
        // Nothing deletes or exports a key: no delete capability, no export path.
        expect(allowed(hcl, `transit/keys/${own}`, 'delete')).toBe(false)
        expect(allowed(hcl, `transit/export/encryption-key/${own}`, 'read')).toBe(false)
        const mine = resolveSecretPath('mcp', a, path)
        const theirs = resolveSecretPath('mcp', b, path)
        for (const [verb, cap] of [
          ['data', 'read'],
          ['data', 'create'],
          ['data', 'patch'],
          ['data', 'delete'],
          ['metadata', 'read'],
          ['metadata', 'update'],
          ['metadata', 'delete'],
          ['delete', 'update'],
          ['undelete', 'update'],
          ['destroy', 'update'],
        ] as const) {
          expect(allowed(hcl, `secret/${verb}/${mine}`, cap)).toBe(true)
          expect(allowed(hcl, `secret/${verb}/${theirs}`, cap)).toBe(false)
        }
        expect(allowed(hcl, `secret/metadata/${resolveFolderPath('mcp', a, '')}`, 'list')).toBe(
          true,
        )
        expect(allowed(hcl, `secret/metadata/${resolveFolderPath('mcp', b, '')}`, 'list')).toBe(
          false,
        )
      }),
      { numRuns: 300 },
    )
  })
})

describe('renderBridgePolicy', () => {
  const mounts = { kvMount: 'secret', transitMount: 'transit', policyPrefix: 'mcp-agent-' }
  // Read-only, for check-config --vault: its mounts and the agent policies.
  const selfChecks = {
    'sys/mounts/secret': ['read'],
    'sys/mounts/transit': ['read'],
    'sys/policies/acl/mcp-agent-*': ['read'],
  }

  it('with a token role: mints through that role only, reads its definition, reaches no data', () => {
    const hcl = renderBridgePolicy({
      ...mounts,
      name: 'mcp-bridge',
      childTokenRole: 'mcp-bridge-agents',
    })
    expect(Object.fromEntries(rules(hcl))).toEqual({
      ...selfChecks,
      'auth/token/lookup-self': ['read'],
      'auth/token/renew-self': ['update'],
      'auth/token/revoke-self': ['update'],
      'auth/token/create/mcp-bridge-agents': ['update'],
      'auth/token/roles/mcp-bridge-agents': ['read'],
      'auth/token/revoke': ['update'],
    })
    expect(hcl).not.toContain('sudo')
  })

  it('without a role (CHILD_TOKEN_ROLE=none): plain auth/token/create, no sudo, no data', () => {
    const hcl = renderBridgePolicy({ ...mounts, name: 'mcp-bridge', childTokenRole: undefined })
    expect(Object.fromEntries(rules(hcl))).toEqual({
      ...selfChecks,
      'auth/token/lookup-self': ['read'],
      'auth/token/renew-self': ['update'],
      'auth/token/revoke-self': ['update'],
      'auth/token/create': ['update'],
      'auth/token/revoke': ['update'],
    })
    expect(hcl).not.toContain('sudo')
  })
})
