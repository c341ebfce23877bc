/**
 * @module vault/policy-name: how an agent's Vault policy is named (`{prefix}{agent}`), and which
 * names are safe; the request path (child tokens) and the admin tools (policy, provision) agree
 * through this one rule.
 */
import { isValidAgentId } from '../core/identity.js'

/** What Vault keeps unchanged in a policy name: lower-case letters, digits, `_`, `.` and `-`. */
const POLICY_NAME_CHARS = /^[a-z0-9_.-]*$/

/** Name of the Vault policy that holds one agent's rights (`mcp-agent-alice`). */
export const agentPolicyName = (policyPrefix: string, agent: string): string =>
  `${policyPrefix}${agent}`

/**
 * True when CHILD_TOKEN_POLICY_PREFIX is kept as is by Vault.
 *
 * Security: Vault lower-cases policy names; a prefix it would change names no policy the
 * operator wrote, or another one.
 */
export const isPolicyPrefixSafe = (policyPrefix: string): boolean =>
  POLICY_NAME_CHARS.test(policyPrefix)

/**
 * True when `{policyPrefix}{agent}` can name a Vault policy of this agent alone.
 *
 * Security: Vault lower-cases policy names, so `mcp-agent-Alice` would silently become
 * `mcp-agent-alice`, the policy of another agent. Names with upper-case letters (or anything
 * outside Vault's plain policy-name characters) are therefore refused, never mapped.
 */
export const isAgentPolicyNameSafe = (policyPrefix: string, agent: string): boolean =>
  isValidAgentId(agent) && POLICY_NAME_CHARS.test(agentPolicyName(policyPrefix, agent))
