/**
 * @module vault/admin/jwt-setup: what JWT exchange needs in Vault, from the bridge's own JWT
 * settings: the JWT auth method's config and each agent's role, as `provision` writes them and
 * `gen-policy --jwt-exchange` prints them, and the rule the bridge's policy needs to read roles.
 */
import { AGENT_PLACEHOLDER, type Config } from '../../config/schema.js'
import { isJwtRoleNameSafe, jwtRolePath } from '../jwt-role.js'

/**
 * The policy path that lets the bridge read every agent's role (to explain a refused login):
 * `auth/<mount>/role/<template up to {agent}>*`.
 */
export const jwtRoleGlob = (mount: string, template: string): string =>
  `${jwtRolePath(mount, template.split(AGENT_PLACEHOLDER)[0] ?? '')}*`

/** Everything Vault's JWT auth method needs to verify the tokens the bridge verifies. */
export interface JwtExchangeSetup {
  /** VAULT_JWT_EXCHANGE_MOUNT */
  mount: string
  /** VAULT_JWT_EXCHANGE_ROLE */
  roleTemplate: string
  /** VAULT_JWT_EXCHANGE_TOKEN_TTL, seconds. */
  tokenTtlSeconds: number
  /** The bridge's own key source: JWT_JWKS_URL, else OIDC discovery of JWT_ISSUER. */
  keys: { jwksUrl: string } | { oidcDiscoveryUrl: string }
  /** JWT_ISSUER: Vault's `bound_issuer`. */
  issuer: string
  /** JWT_AUDIENCE and OAUTH_RESOURCE: the role's `bound_audiences`. */
  audiences: string[]
  /** JWT_SUBJECT_CLAIM: the role's `user_claim`, and the claim bound to the agent id. */
  subjectClaim: string
  /** The public-key algorithms of JWT_ALGORITHMS: the config's `jwt_supported_algs`. */
  algorithms: string[]
}

/**
 * The JWT exchange as configured, from the bridge's own JWT settings; undefined when
 * VAULT_JWT_EXCHANGE_ENABLED is false (the config schema has checked that the rest is there).
 */
export function jwtExchangeSetup(config: Config): JwtExchangeSetup | undefined {
  const x = config.jwtExchange
  const jwt = config.auth.jwt
  if (!x.enabled || !jwt.issuer) return undefined
  const audiences = [jwt.audience, config.auth.oauth.resource].filter(
    (a): a is string => typeof a === 'string' && a !== '',
  )
  return {
    mount: x.mount,
    roleTemplate: x.roleTemplate,
    tokenTtlSeconds: Math.ceil(x.tokenTtlSeconds),
    keys: jwt.jwksUrl ? { jwksUrl: jwt.jwksUrl } : { oidcDiscoveryUrl: jwt.issuer },
    issuer: jwt.issuer,
    audiences: [...new Set(audiences)],
    subjectClaim: jwt.subjectClaim,
    algorithms: jwt.algorithms.filter((a) => !a.startsWith('HS')),
  }
}

/**
 * `auth/<mount>/config` as provision writes it: the bridge's key source (exactly one of
 * `jwks_url` and `oidc_discovery_url`), its issuer, and its public-key algorithms.
 */
export function jwtAuthConfig(setup: JwtExchangeSetup): Record<string, unknown> {
  return {
    ...('jwksUrl' in setup.keys
      ? { jwks_url: setup.keys.jwksUrl }
      : { oidc_discovery_url: setup.keys.oidcDiscoveryUrl }),
    bound_issuer: setup.issuer,
    jwt_supported_algs: [...setup.algorithms],
  }
}

/**
 * `auth/<mount>/role/<role>` of one agent, as provision writes it: a `jwt` role whose tokens
 * carry the agent's policy only (no `default`), live `tokenTtlSeconds` at most, and are issued
 * only for a token with the bridge's audience whose subject claim is the agent id.
 *
 * Security: the subject binding is what makes Vault refuse agent A's token at agent B's role;
 * `user_claim` is the same claim, so Vault's entity alias (and audit log) names the agent.
 */
export function jwtRoleSettings(
  setup: JwtExchangeSetup,
  agent: string,
  policy: string,
): Record<string, unknown> {
  const bySubject = setup.subjectClaim === 'sub'
  return {
    role_type: 'jwt',
    user_claim: setup.subjectClaim,
    bound_audiences: [...setup.audiences],
    bound_subject: bySubject ? agent : '',
    bound_claims_type: 'string',
    bound_claims: bySubject ? {} : { [setup.subjectClaim]: [agent] },
    token_policies: [policy],
    token_ttl: setup.tokenTtlSeconds,
    token_max_ttl: setup.tokenTtlSeconds,
    token_no_default_policy: true,
    token_type: 'service',
  }
}

/** Whether `agent` can have a JWT role of its own under `setup` (see `isJwtRoleNameSafe`). */
export const canHaveJwtRole = (setup: Pick<JwtExchangeSetup, 'roleTemplate'>, agent: string) =>
  isJwtRoleNameSafe(setup.roleTemplate, agent)
