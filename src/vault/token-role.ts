/**
 * @module vault/token-role: the token role child tokens are minted through (CHILD_TOKEN_ROLE):
 * its Vault paths, the settings `provision` writes, and whether it allows a policy, by Vault's
 * rules. The request path (child-tokens.ts) and the admin tools (admin/provision.ts) agree
 * through this one module.
 */
import { CHILD_TOKEN_MAX_TTL_SECONDS } from '../config/schema.js'

/** Where child tokens are minted: through the role, or (no role) `auth/token/create`. */
export const mintPath = (role: string | undefined): string =>
  role === undefined ? 'auth/token/create' : `auth/token/create/${role}`

/** Where the role is read and written. */
export const tokenRolePath = (role: string): string => `auth/token/roles/${role}`

/** The first Vault release whose token roles take `allowed_policies_glob` (GH-7277). */
export const TOKEN_ROLE_GLOBS_SINCE = '1.9'

export interface TokenRoleOptions {
  /** CHILD_TOKEN_POLICY_PREFIX: every agent policy starts with it. */
  policyPrefix: string
  /** The agent policies provisioned now (the role lists them where Vault has no globs). */
  agentPolicies: string[]
  /** Policies the role must never hand out (the bridge's own). */
  disallowed: string[]
  /** Whether this Vault takes `allowed_policies_glob` (1.9+). */
  globs: boolean
}

/**
 * The role as `provision` writes it. On Vault 1.9+ `allowed_policies_glob = <prefix>*` covers
 * every agent policy, present and future, so writing an agent's policy is all it takes to add
 * the agent; on 1.8 the role lists the provisioned agent policies (provision rewrites it).
 * Non-orphan (children die with the bridge token), non-renewable, service tokens, no `default`
 * policy, and no child outlives {@link CHILD_TOKEN_MAX_TTL_SECONDS}.
 *
 * Security: the role lets the bridge's token mint children with agent policies it does not hold
 * itself; nothing else (its own policy is disallowed, and `root` needs a root parent).
 */
export function tokenRoleSettings(o: TokenRoleOptions): Record<string, unknown> {
  return {
    allowed_policies: o.globs ? [] : [...o.agentPolicies].sort(),
    ...(o.globs ? { allowed_policies_glob: [`${o.policyPrefix}*`] } : {}),
    disallowed_policies: [...o.disallowed].sort(),
    orphan: false,
    renewable: false,
    token_type: 'service',
    token_explicit_max_ttl: CHILD_TOKEN_MAX_TTL_SECONDS,
    token_no_default_policy: true,
    path_suffix: '',
  }
}

/**
 * Whether a role, as Vault reads it back (`data` of `GET auth/token/roles/:name`), allows a
 * child token with `policy`: listed in `allowed_policies` or matched by `allowed_policies_glob`,
 * and neither listed in nor matched by the disallowed ones.
 */
export function roleAllowsPolicy(data: Record<string, unknown>, policy: string): boolean {
  const list = (key: string) =>
    Array.isArray(data[key]) ? (data[key] as unknown[]).filter((v) => typeof v === 'string') : []
  const allowed = list('allowed_policies') as string[]
  const globs = list('allowed_policies_glob') as string[]
  if (list('disallowed_policies').includes(policy)) return false
  if ((list('disallowed_policies_glob') as string[]).some((g) => globMatches(g, policy))) {
    return false
  }
  return allowed.includes(policy) || globs.some((g) => globMatches(g, policy))
}

/** `ryanuber/go-glob`, which Vault's role globs use: `*` matches any run of characters. */
export function globMatches(pattern: string, subject: string): boolean {
  if (pattern === '*') return true
  const parts = pattern.split('*')
  if (parts.length === 1) return pattern === subject
  const first = parts[0] as string
  const last = parts[parts.length - 1] as string
  if (!subject.startsWith(first)) return false
  let at = first.length
  for (const middle of parts.slice(1, -1)) {
    const i = subject.indexOf(middle, at)
    if (i < 0) return false
    at = i + middle.length
  }
  return subject.length - at >= last.length && subject.endsWith(last)
}

/**
 * Whether the Vault of `version` (`sys/health`'s, such as `1.17.3` or `1.15.2+ent`) has role
 * globs. An unreadable version counts as a modern one.
 */
export function hasRoleGlobs(version: string | undefined): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(version?.trim() ?? '')
  if (!m) return true
  const [major, minor] = [Number(m[1]), Number(m[2])]
  const [wantMajor, wantMinor] = TOKEN_ROLE_GLOBS_SINCE.split('.').map(Number) as [number, number]
  return major > wantMajor || (major === wantMajor && minor >= wantMinor)
}
