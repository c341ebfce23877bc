/** @module dev-vault/engines/jwt/jwt-auth-roles: JWT auth roles (`role/:name`). */
import { VaultHttpError, type EngineResponse } from '../../routing/backend.js'
import {
  defaultTokenParams,
  parseTokenParams,
  tokenFieldSchema,
  tokenParamsData,
  type TokenParams,
} from '../token-params.js'
import { decodeFields, type FieldSchema } from '../field-schema.js'
import { errorResponse, goError } from '../../routing/error-responses.js'

/** One stored `jwtRole`. Leeways are seconds (0 = the validator's default, -1 = none). */
export interface JwtRole {
  roleType: 'jwt' | 'oidc'
  userClaim: string
  userClaimJsonPointer: boolean
  boundAudiences: string[] | null
  boundSubject: string
  boundClaimsType: 'string' | 'glob'
  boundClaims: Record<string, unknown> | null
  claimMappings: Record<string, string> | null
  groupsClaim: string
  allowedRedirectUris: string[] | null
  oidcScopes: string[] | null
  verboseOidcLogging: boolean
  maxAge: number
  expirationLeeway: number
  notBeforeLeeway: number
  clockSkewLeeway: number
  token: TokenParams
}

const roleSchema: FieldSchema = {
  name: 'string',
  role_type: 'string',
  policies: 'commaStringSlice',
  expiration_leeway: 'durationSecond',
  not_before_leeway: 'durationSecond',
  clock_skew_leeway: 'durationSecond',
  bound_subject: 'string',
  bound_audiences: 'commaStringSlice',
  bound_claims_type: 'string',
  bound_claims: 'map',
  claim_mappings: 'kvPairs',
  user_claim: 'string',
  user_claim_json_pointer: 'bool',
  groups_claim: 'string',
  oidc_scopes: 'commaStringSlice',
  allowed_redirect_uris: 'commaStringSlice',
  verbose_oidc_logging: 'bool',
  max_age: 'durationSecond',
  ...tokenFieldSchema,
}

const newRole = (): JwtRole => ({
  roleType: 'oidc',
  userClaim: '',
  userClaimJsonPointer: false,
  boundAudiences: null,
  boundSubject: '',
  boundClaimsType: 'string',
  boundClaims: null,
  claimMappings: null,
  groupsClaim: '',
  allowedRedirectUris: null,
  oidcScopes: null,
  verboseOidcLogging: false,
  maxAge: 0,
  expirationLeeway: 0,
  notBeforeLeeway: 0,
  clockSkewLeeway: 0,
  token: defaultTokenParams(),
})

const isScalar = (v: unknown): boolean =>
  typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number'

/**
 * `POST role/:name` (`pathRoleCreateUpdate`), with its checks in the plugin's order. The role
 * is built on a copy and stored only when every check passes.
 */
export function writeRole(
  roles: Map<string, JwtRole>,
  roleName: string,
  data: Record<string, unknown>,
  isCreate: boolean,
): EngineResponse {
  const f = decodeFields(data, roleSchema)
  const name = roleName.toLowerCase()
  const existing = roles.get(name)
  if (!existing && !isCreate) throw goError('role entry not found during update operation')
  const role: JwtRole = existing ? { ...existing, token: { ...existing.token } } : newRole()
  const roleType = f.str('role_type') || 'oidc'
  if (roleType !== 'jwt' && roleType !== 'oidc')
    throw errorResponse(`invalid 'role_type': ${roleType}`)
  role.roleType = roleType
  const token = parseTokenParams(f, role.token)
  if (typeof token === 'string') throw errorResponse(token)
  role.token = token
  if (f.has('expiration_leeway')) role.expirationLeeway = f.int('expiration_leeway')
  if (f.has('not_before_leeway')) role.notBeforeLeeway = f.int('not_before_leeway')
  if (f.has('clock_skew_leeway')) role.clockSkewLeeway = f.int('clock_skew_leeway')
  if (f.has('bound_audiences')) role.boundAudiences = f.strings('bound_audiences')
  if (f.has('bound_subject')) role.boundSubject = f.str('bound_subject')
  if (f.has('verbose_oidc_logging')) role.verboseOidcLogging = f.bool('verbose_oidc_logging')
  if (f.has('max_age')) role.maxAge = f.int('max_age')
  const claimsType = f.str('bound_claims_type', 'string')
  if (claimsType !== 'string' && claimsType !== 'glob') {
    throw errorResponse(`invalid 'bound_claims_type': ${claimsType}`)
  }
  role.boundClaimsType = claimsType
  if (f.has('bound_claims')) {
    const claims = f.map('bound_claims')
    if (claimsType === 'glob') {
      for (const value of Object.values(claims)) {
        const list = Array.isArray(value) ? value : isScalar(value) ? [value] : null
        if (!list) throw errorResponse(`claim is not a string or list: ${JSON.stringify(value)}`)
        const bad = list.find((v) => typeof v !== 'string')
        if (bad !== undefined) throw errorResponse(`claim is not a string: ${JSON.stringify(bad)}`)
      }
    }
    role.boundClaims = claims
  }
  if (f.has('claim_mappings')) {
    const mappings = f.stringMap('claim_mappings')
    const targets = new Set<string>()
    for (const target of Object.values(mappings)) {
      if (target === 'role') {
        throw errorResponse(`metadata key "role" is reserved and may not be a mapping destination`)
      }
      if (targets.has(target)) {
        throw errorResponse(`multiple keys are mapped to metadata key ${JSON.stringify(target)}`)
      }
      targets.add(target)
    }
    role.claimMappings = mappings
  }
  if (f.has('user_claim')) role.userClaim = f.str('user_claim')
  if (role.userClaim === '') throw errorResponse('a user claim must be defined on the role')
  if (f.has('user_claim_json_pointer'))
    role.userClaimJsonPointer = f.bool('user_claim_json_pointer')
  if (f.has('groups_claim')) role.groupsClaim = f.str('groups_claim')
  if (f.has('oidc_scopes')) role.oidcScopes = f.strings('oidc_scopes')
  if (f.has('allowed_redirect_uris')) role.allowedRedirectUris = f.strings('allowed_redirect_uris')
  if (role.roleType === 'oidc' && (role.allowedRedirectUris ?? []).length === 0) {
    throw errorResponse(
      "'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified.",
    )
  }
  if (
    role.roleType !== 'oidc' &&
    (role.boundAudiences ?? []).length === 0 &&
    role.token.tokenBoundCidrs.length === 0 &&
    role.boundSubject === '' &&
    Object.keys(role.boundClaims ?? {}).length === 0
  ) {
    throw errorResponse('must have at least one bound constraint when creating/updating a role')
  }
  if (role.token.tokenMaxTtl > 0 && role.token.tokenTtl > role.token.tokenMaxTtl) {
    throw errorResponse('ttl should not be greater than max ttl')
  }
  roles.set(name, role)
  const warnings: string[] = []
  if (role.token.tokenMaxTtl > 2_764_800) {
    warnings.push(
      "token max ttl is greater than the system or backend mount's maximum TTL value; issued tokens' max TTL value will be truncated",
    )
  }
  if (role.verboseOidcLogging) {
    warnings.push(
      'verbose_oidc_logging has been enabled for this role. This is not recommended in production since sensitive information may be present in OIDC responses.',
    )
  }
  return warnings.length > 0 ? { kind: 'envelope', warnings } : { kind: 'envelope' }
}

/** `GET role/:name` (`pathRoleRead`). */
export function readRole(roles: Map<string, JwtRole>, roleName: string): EngineResponse {
  const role = roles.get(roleName.toLowerCase())
  if (!role) throw new VaultHttpError(404, [])
  return {
    kind: 'envelope',
    data: {
      role_type: role.roleType,
      expiration_leeway: role.expirationLeeway,
      not_before_leeway: role.notBeforeLeeway,
      clock_skew_leeway: role.clockSkewLeeway,
      bound_audiences: role.boundAudiences,
      bound_subject: role.boundSubject,
      bound_claims_type: role.boundClaimsType,
      bound_claims: role.boundClaims,
      claim_mappings: role.claimMappings,
      user_claim: role.userClaim,
      user_claim_json_pointer: role.userClaimJsonPointer,
      groups_claim: role.groupsClaim,
      allowed_redirect_uris: role.allowedRedirectUris,
      oidc_scopes: role.oidcScopes,
      verbose_oidc_logging: role.verboseOidcLogging,
      max_age: role.maxAge,
      ...tokenParamsData(role.token),
    },
  }
}

/** `LIST role`. */
export function listRoles(roles: Map<string, JwtRole>): EngineResponse {
  if (roles.size === 0) throw new VaultHttpError(404, [])
  return { kind: 'envelope', data: { keys: [...roles.keys()].sort() } }
}
