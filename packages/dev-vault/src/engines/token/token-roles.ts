/** @module dev-vault/engines/token/token-roles: token roles (`auth/token/roles/:name`, `token_store.go`). */
import type { EngineResponse } from '../../routing/backend.js'
import { decodeFields, type FieldSchema } from '../field-schema.js'
import { errorResponse } from '../../routing/error-responses.js'
import {
  defaultTokenParams,
  parseTokenParams,
  tokenFieldSchema,
  type TokenParams,
} from '../token-params.js'
import { sanitizePolicies } from './token-policies.js'
import { DEFAULT_TOKEN_TTL } from './token-store.js'

/** How a role sets the token type (`default-*` lets the request choose). */
export type RoleTokenType = 'service' | 'batch' | 'default-service' | 'default-batch'

/** One stored `tsRoleEntry`. TTLs are seconds. */
export interface TokenRole {
  name: string
  allowedPolicies: string[]
  disallowedPolicies: string[]
  allowedPoliciesGlob: string[]
  disallowedPoliciesGlob: string[]
  orphan: boolean
  renewable: boolean
  pathSuffix: string
  allowedEntityAliases: string[] | null
  tokenType: RoleTokenType
  /** The deprecated fields, kept for reads as Vault keeps them. */
  period: number
  explicitMaxTtl: number
  boundCidrs: string[]
  /** `token_bound_cidrs`, `token_explicit_max_ttl`, `token_period`, `token_no_default_policy`, `token_num_uses`. */
  token: TokenParams
}

/** The token fields a role takes (`AddTokenFieldsWithAllowList`); `token_type` is read apart. */
const ROLE_TOKEN_FIELDS = [
  'token_bound_cidrs',
  'token_explicit_max_ttl',
  'token_period',
  'token_no_default_policy',
  'token_num_uses',
] as const

const roleSchema: FieldSchema = {
  allowed_policies: 'commaStringSlice',
  disallowed_policies: 'commaStringSlice',
  allowed_policies_glob: 'commaStringSlice',
  disallowed_policies_glob: 'commaStringSlice',
  orphan: 'bool',
  period: 'durationSecond',
  path_suffix: 'string',
  explicit_max_ttl: 'durationSecond',
  renewable: 'bool',
  bound_cidrs: 'commaStringSlice',
  allowed_entity_aliases: 'commaStringSlice',
  ...Object.fromEntries(ROLE_TOKEN_FIELDS.map((f) => [f, tokenFieldSchema[f]])),
}

/** `pathSuffixSanitize`, matched anywhere in the suffix as Go's `MatchString` does. */
const PATH_SUFFIX = /\w[\w\-.]+\w/

/** `strutil.RemoveDuplicates(list, true)`: trimmed, lower-cased, sorted, no empties. */
const dedupLower = (list: string[]): string[] =>
  [...new Set(list.map((s) => s.trim().toLowerCase()).filter((s) => s !== ''))].sort()

const ROLE_TOKEN_TYPES = new Set<string>(['service', 'batch', 'default-service', 'default-batch'])

/**
 * `POST roles/:name` (`tokenStoreRoleCreateUpdate`): on create, absent fields take their
 * defaults (`renewable` true); on update they keep their values. Nothing is stored on failure.
 * @returns the response: none (204) or the warnings Vault gives.
 * @throws VaultHttpError 400 with Vault's message for a bad suffix, token type or token field.
 */
export function writeTokenRole(
  roles: Map<string, TokenRole>,
  name: string,
  data: Record<string, unknown>,
  isCreate: boolean,
): EngineResponse {
  const f = decodeFields(data, roleSchema)
  const existing = roles.get(name)
  const role: TokenRole = existing
    ? { ...existing, token: { ...existing.token } }
    : {
        name,
        allowedPolicies: [],
        disallowedPolicies: [],
        allowedPoliciesGlob: [],
        disallowedPoliciesGlob: [],
        orphan: false,
        renewable: true,
        pathSuffix: '',
        allowedEntityAliases: null,
        tokenType: 'default-service',
        period: 0,
        explicitMaxTtl: 0,
        boundCidrs: [],
        token: defaultTokenParams(),
      }
  if (f.has('orphan') || isCreate) role.orphan = f.bool('orphan')
  if (f.has('renewable') || isCreate) role.renewable = f.bool('renewable', true)
  if (f.has('path_suffix') || isCreate) {
    const suffix = f.str('path_suffix')
    if (suffix !== '' && !PATH_SUFFIX.test(suffix)) {
      throw errorResponse(
        `given role path suffix contains invalid characters; must match ${String.raw`\w[\w-.]+\w`}`,
      )
    }
    role.pathSuffix = suffix
  }
  if (role.pathSuffix.includes('..')) {
    throw errorResponse('error registering path suffix: path cannot contain parent references')
  }
  if (f.has('allowed_policies') || isCreate) {
    role.allowedPolicies = sanitizePolicies(f.strings('allowed_policies'), false)
  }
  if (f.has('disallowed_policies') || isCreate) {
    role.disallowedPolicies = dedupLower(f.strings('disallowed_policies'))
  }
  if (f.has('allowed_policies_glob') || isCreate) {
    role.allowedPoliciesGlob = sanitizePolicies(f.strings('allowed_policies_glob'), false)
  }
  if (f.has('disallowed_policies_glob') || isCreate) {
    role.disallowedPoliciesGlob = dedupLower(f.strings('disallowed_policies_glob'))
  }
  // Vault reads `token_type` apart from the other token fields: a role has four types.
  if (data.token_type === null) throw errorResponse("Invalid 'token_type' value: null")
  const typeField = decodeFields(data, { token_type: 'string' })
  const token = parseTokenParams(f, role.token)
  if (typeof token === 'string') throw errorResponse(`error parsing role fields: ${token}`)
  role.token = token
  if (typeField.has('token_type')) {
    const type = typeField.str('token_type')
    if (!ROLE_TOKEN_TYPES.has(type)) {
      throw errorResponse(`invalid 'token_type' value ${JSON.stringify(type)}`)
    }
    role.tokenType = type as RoleTokenType
  }
  const warnings: string[] = []
  // The deprecated fields apply only without their `token_` successors, as in Vault.
  if (!f.has('token_period')) {
    if (f.has('period')) {
      role.period = f.int('period')
      role.token.tokenPeriod = role.period
    }
  } else {
    if (f.has('period')) {
      warnings.push(
        "Both 'token_period' and deprecated 'period' value supplied, ignoring the deprecated value",
      )
    }
    role.period = 0
  }
  if (!f.has('token_bound_cidrs')) {
    if (f.has('bound_cidrs')) {
      role.boundCidrs = f.strings('bound_cidrs')
      role.token.tokenBoundCidrs = role.boundCidrs
    }
  } else {
    if (f.has('bound_cidrs')) {
      warnings.push(
        "Both 'token_bound_cidrs' and deprecated 'bound_cidrs' value supplied, ignoring the deprecated value",
      )
    }
    role.boundCidrs = []
  }
  let finalExplicitMaxTtl = role.token.tokenExplicitMaxTtl
  if (!f.has('token_explicit_max_ttl')) {
    if (f.has('explicit_max_ttl')) {
      role.explicitMaxTtl = f.int('explicit_max_ttl')
      role.token.tokenExplicitMaxTtl = role.explicitMaxTtl
    }
    finalExplicitMaxTtl = role.explicitMaxTtl
  } else {
    if (f.has('explicit_max_ttl')) {
      warnings.push(
        "Both 'token_explicit_max_ttl' and deprecated 'explicit_max_ttl' value supplied, ignoring the deprecated value",
      )
    }
    role.explicitMaxTtl = 0
  }
  if (finalExplicitMaxTtl > DEFAULT_TOKEN_TTL) {
    warnings.push(
      `Given explicit max TTL of ${finalExplicitMaxTtl} is greater than system/mount allowed value of ${DEFAULT_TOKEN_TTL} seconds; until this is fixed attempting to create tokens against this role will result in an error`,
    )
  }
  if (role.tokenType === 'batch') {
    if (!role.orphan) {
      throw errorResponse(
        "'token_type' cannot be 'batch' when role is set to generate non-orphan tokens",
      )
    }
    if (role.period !== 0 || role.token.tokenPeriod !== 0) {
      throw errorResponse(
        "'token_type' cannot be 'batch' when role is set to generate periodic tokens",
      )
    }
    if (role.renewable) {
      throw errorResponse(
        "'token_type' cannot be 'batch' when role is set to generate renewable tokens",
      )
    }
    if (role.explicitMaxTtl !== 0 || role.token.tokenExplicitMaxTtl !== 0) {
      throw errorResponse(
        "'token_type' cannot be 'batch' when role is set to generate tokens with an explicit max TTL",
      )
    }
  }
  if (f.has('allowed_entity_aliases')) {
    role.allowedEntityAliases = dedupLower(f.strings('allowed_entity_aliases'))
  }
  roles.set(name, role)
  return warnings.length > 0 ? { kind: 'envelope', warnings } : { kind: 'envelope' }
}

/** `GET roles/:name` (`tokenStoreRoleRead`); 404 when absent. */
export function readTokenRole(roles: Map<string, TokenRole>, name: string): EngineResponse {
  const role = roles.get(name)
  if (!role) return { kind: 'envelope' }
  const data: Record<string, unknown> = {
    allowed_entity_aliases: role.allowedEntityAliases,
    allowed_policies: role.allowedPolicies,
    allowed_policies_glob: role.allowedPoliciesGlob,
    disallowed_policies: role.disallowedPolicies,
    disallowed_policies_glob: role.disallowedPoliciesGlob,
    explicit_max_ttl: role.explicitMaxTtl,
    name: role.name,
    orphan: role.orphan,
    path_suffix: role.pathSuffix,
    period: role.period,
    renewable: role.renewable,
    token_explicit_max_ttl: role.token.tokenExplicitMaxTtl,
    token_no_default_policy: role.token.tokenNoDefaultPolicy,
    token_period: role.token.tokenPeriod,
    token_type: role.tokenType,
  }
  if (role.token.tokenBoundCidrs.length > 0) data.token_bound_cidrs = role.token.tokenBoundCidrs
  if (role.boundCidrs.length > 0) data.bound_cidrs = role.boundCidrs
  if (role.token.tokenNumUses > 0) data.token_num_uses = role.token.tokenNumUses
  return { kind: 'envelope', data }
}

/** `LIST roles` (`logical.ListResponse`: no keys is a 404). */
export function listTokenRoles(roles: Map<string, TokenRole>): EngineResponse {
  return { kind: 'envelope', data: { keys: [...roles.keys()].sort() } }
}

/** The role named in `create/:role`. @throws VaultHttpError 400 `unknown role <name>`. */
export function roleForCreate(roles: Map<string, TokenRole>, name: string): TokenRole {
  const role = roles.get(name)
  if (!role) throw errorResponse(`unknown role ${name}`)
  return role
}
