/**
 * @module vault/jwt-role: Vault's JWT auth method as the bridge uses it for JWT exchange: its
 * paths, each agent's role name, and why a role refuses a caller, by Vault's own rules. The
 * request path (jwt-exchange.ts) and the admin tools (admin/jwt-setup.ts) agree through it.
 */
import { AGENT_PLACEHOLDER } from '../config/schema.js'
import { isValidAgentId } from '../core/identity.js'

export const jwtLoginPath = (mount: string): string => `auth/${mount}/login`
export const jwtConfigPath = (mount: string): string => `auth/${mount}/config`
export const jwtRolePath = (mount: string, role: string): string => `auth/${mount}/role/${role}`

/** The role of `agent` under VAULT_JWT_EXCHANGE_ROLE (`mcp-agent-{agent}` → `mcp-agent-alice`). */
export const jwtRoleName = (template: string, agent: string): string =>
  template.replace(AGENT_PLACEHOLDER, agent)

/** Vault's `framework.GenericNameRegex`, which a role name in a path must match. */
const GENERIC_NAME = /^\w(?:[\w.-]*\w)?$/

/**
 * True when `agent` has a role of its own under `template`.
 *
 * Security: the JWT method lower-cases role names, so `mcp-agent-Alice` would be the role of
 * agent `alice`. Such names are refused, never mapped (as agent policy names are).
 */
export const isJwtRoleNameSafe = (template: string, agent: string): boolean => {
  const name = jwtRoleName(template, agent)
  return isValidAgentId(agent) && /^[a-z0-9_.-]+$/.test(name) && GENERIC_NAME.test(name)
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []

const audiencesOf = (claims: Readonly<Record<string, unknown>>): string[] =>
  typeof claims.aud === 'string' ? [claims.aud] : strings(claims.aud)

/**
 * Why a role (`data` of `GET auth/<mount>/role/<role>`) refuses a token with `claims` at `now`
 * (ms), by the JWT method's rules, as what an operator or the caller must change; undefined
 * when the role accepts these claims (the refusal is then the mount's config: issuer or keys).
 * Never repeats a claim value.
 */
export function jwtRoleRefusal(
  role: Record<string, unknown>,
  claims: Readonly<Record<string, unknown>>,
  now: number,
): string | undefined {
  if (typeof claims.exp === 'number' && claims.exp * 1000 < now) {
    return "the caller's token has expired (the caller needs a new one)"
  }
  if (role.role_type !== 'jwt') return 'the role is not of role_type "jwt"'
  const bound = strings(role.bound_audiences)
  const aud = audiencesOf(claims)
  if (bound.length > 0 && !bound.some((b) => aud.includes(b))) {
    return "the role's bound_audiences contain none of the token's audiences (JWT_AUDIENCE or OAUTH_RESOURCE)"
  }
  if (bound.length === 0 && aud.length > 0) {
    return 'the role binds no audience, so Vault refuses a token that has one: set its bound_audiences to JWT_AUDIENCE'
  }
  if (typeof role.bound_subject === 'string' && role.bound_subject !== '') {
    if (role.bound_subject !== claims.sub) {
      return "the role's bound_subject is not this caller's subject (sub)"
    }
  }
  const userClaim = typeof role.user_claim === 'string' ? role.user_claim : ''
  if (typeof claims[userClaim] !== 'string') {
    return `the role's user_claim is not a text claim of the token (set it to JWT_SUBJECT_CLAIM)`
  }
  const boundClaims = role.bound_claims
  if (boundClaims && typeof boundClaims === 'object' && role.bound_claims_type !== 'glob') {
    for (const [claim, expected] of Object.entries(boundClaims)) {
      const wanted = Array.isArray(expected) ? expected : [expected]
      const actual = claims[claim]
      const have = Array.isArray(actual) ? actual : [actual]
      if (!wanted.some((w) => have.includes(w))) {
        return "the role's bound_claims do not match the caller's token"
      }
    }
  }
  if (strings(role.token_bound_cidrs).length > 0) {
    return "the role has token_bound_cidrs, which must contain the bridge's address"
  }
  return undefined
}
