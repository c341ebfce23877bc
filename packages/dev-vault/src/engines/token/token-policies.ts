/** @module dev-vault/engines/token/token-policies: the policies of a new token (`resolveTokenPolicies`). */
import { errorResponse } from '../../routing/error-responses.js'
import { RESPONSE_WRAPPING_POLICY } from '../../policy/policy-store.js'
import { anyGlobMatches } from '../go-glob.js'
import type { TokenRole } from './token-roles.js'

/** `policyutil.SanitizePolicies`: trimmed, lower-cased, sorted, de-duplicated; `root` alone. */
export function sanitizePolicies(names: string[], addDefault: boolean): string[] {
  const set = new Set(names.map((n) => n.trim().toLowerCase()).filter((n) => n !== ''))
  if (set.has('root')) return ['root']
  if (addDefault) set.add('default')
  return [...set].sort()
}

/** Go's `%q` of a `[]string`: `["default" "p"]`. */
const quoteList = (list: string[]): string => `[${list.map((s) => JSON.stringify(s)).join(' ')}]`

export interface PolicyRequest {
  /** The request's `policies` (as sent). */
  requested: string[]
  noDefaultPolicy: boolean
  /** The parent token's policies. */
  parentPolicies: string[]
  /** The caller has `root` or `sudo` on the create path. */
  isSudo: boolean
  role: TokenRole | undefined
}

/**
 * A role with allowed or disallowed lists: the requested policies (or the role's allowed ones)
 * checked against the role alone; the parent need not hold them.
 */
function roleRestricted(r: PolicyRequest, role: TokenRole): string[] {
  const addDefault =
    !r.noDefaultPolicy &&
    !role.token.tokenNoDefaultPolicy &&
    !role.disallowedPolicies.includes('default') &&
    !anyGlobMatches(role.disallowedPoliciesGlob, 'default')
  let final = r.requested.length > 0 ? sanitizePolicies(r.requested, addDefault) : []
  if (role.allowedPolicies.length > 0 || role.allowedPoliciesGlob.length > 0) {
    const allowed = sanitizePolicies(role.allowedPolicies, addDefault)
    if (final.length === 0) {
      final = allowed
    } else {
      const globs = sanitizePolicies(role.allowedPoliciesGlob, false)
      for (const p of final) {
        if (!allowed.includes(p) && !anyGlobMatches(globs, p)) {
          throw errorResponse(
            `token policies (${quoteList(final)}) must be subset of the role's allowed policies (${quoteList(allowed)}) or glob policies (${quoteList(globs)})`,
          )
        }
      }
    }
  } else if (final.length === 0) {
    final = sanitizePolicies(r.parentPolicies, addDefault)
  }
  for (const p of final) {
    if (role.disallowedPolicies.includes(p) || anyGlobMatches(role.disallowedPoliciesGlob, p)) {
      throw errorResponse(`token policy ${JSON.stringify(p)} is disallowed by this role`)
    }
  }
  return final
}

/**
 * The token's final policies, in Vault's order of rules (reference §4.1; research notes §3.2):
 * a role with allowed/disallowed lists decides alone; else no request means the parent's
 * policies; else a caller without sudo may only ask for a subset of the parent's.
 * @throws VaultHttpError 400 `child policies must be subset of parent`, the role's subset or
 *   disallowed error, or `cannot assign policy "response-wrapping"`.
 */
export function resolveTokenPolicies(r: PolicyRequest): string[] {
  let policies = r.requested
  let addDefault = false
  const role = r.role
  if (
    role &&
    (role.allowedPolicies.length > 0 ||
      role.disallowedPolicies.length > 0 ||
      role.allowedPoliciesGlob.length > 0 ||
      role.disallowedPoliciesGlob.length > 0)
  ) {
    policies = roleRestricted(r, role)
  } else if (policies.length === 0) {
    // Inherit the parent's, with `default` only if the parent has it.
    policies = sanitizePolicies(r.parentPolicies, false)
  } else if (!r.isSudo) {
    // `default` counts like any other name: asking for it needs a parent that has it.
    const parent = new Set(sanitizePolicies(r.parentPolicies, false))
    if (!sanitizePolicies(policies, false).every((p) => parent.has(p))) {
      throw errorResponse('child policies must be subset of parent')
    }
    addDefault = !r.noDefaultPolicy && r.parentPolicies.includes('default')
  } else {
    addDefault = !r.noDefaultPolicy
  }
  let final = sanitizePolicies(policies, addDefault)
  if (r.noDefaultPolicy) final = final.filter((p) => p !== 'default')
  if (final.includes(RESPONSE_WRAPPING_POLICY)) {
    throw errorResponse(`cannot assign policy "${RESPONSE_WRAPPING_POLICY}"`)
  }
  return final
}
