/** @module dev-vault/engines/approle/approle-roles: AppRole role storage and the role, role-id paths. */
import { randomUUID } from 'node:crypto'
import { VaultHttpError, type EngineResponse } from '../../routing/backend.js'
import {
  defaultTokenParams,
  isAddrOrCidr,
  parseTokenParams,
  tokenFieldSchema,
  tokenParamsData,
  type TokenParams,
} from '../token-params.js'
import { decodeFields, ignoredParamsWarning, type FieldSchema } from '../field-schema.js'
import { errorResponse, goError } from '../../routing/error-responses.js'

/** One AppRole role (`roleStorageEntry`). TTLs are seconds. */
export interface AppRole {
  name: string
  roleId: string
  bindSecretId: boolean
  /** `null` until set (Vault stores a nil slice and reads it back as null). */
  secretIdBoundCidrs: string[] | null
  secretIdNumUses: number
  secretIdTtl: number
  localSecretIds: boolean
  /** Whether the legacy `policies` field was used (read then reports it too). */
  legacyPolicies: boolean
  /** Whether the legacy `period` field was used (read then reports `period`). */
  legacyPeriod: boolean
  token: TokenParams
}

/** One issued secret ID (`secretIDStorageEntry`). Times are ms. */
export interface SecretIdEntry {
  accessor: string
  numUses: number
  ttl: number
  createdAt: number
  lastUpdatedAt: number
  expiresAt: number
  metadata: Record<string, string>
  cidrList: string[]
  tokenBoundCidrs: string[]
}

/** All state of one AppRole mount. */
export interface AppRoleState {
  roles: Map<string, AppRole>
  /** role_id → role name. */
  roleIds: Map<string, string>
  /** role name → secret ID → entry. */
  secretIds: Map<string, Map<string, SecretIdEntry>>
}

export const newAppRoleState = (): AppRoleState => ({
  roles: new Map(),
  roleIds: new Map(),
  secretIds: new Map(),
})

const roleSchema: FieldSchema = {
  role_name: 'string',
  bind_secret_id: 'bool',
  bound_cidr_list: 'commaStringSlice',
  secret_id_bound_cidrs: 'commaStringSlice',
  secret_id_num_uses: 'int',
  secret_id_ttl: 'durationSecond',
  local_secret_ids: 'bool',
  period: 'durationSecond',
  policies: 'commaStringSlice',
  role_id: 'string',
  ...tokenFieldSchema,
}

/** The Vault default maximum lease TTL (768h); longer token_max_ttl values draw a warning. */
const MOUNT_MAX_TTL = 2_764_800

/**
 * `POST role/:role_name`: creates (create) or updates (update) a role. Everything is validated
 * on a copy before anything is stored.
 */
export function writeRole(
  state: AppRoleState,
  roleName: string,
  data: Record<string, unknown>,
  isCreate: boolean,
  earlierWarnings: string[] = [],
): EngineResponse {
  const f = decodeFields(data, roleSchema)
  const name = roleName.toLowerCase()
  const existing = state.roles.get(name)
  if (!existing && !isCreate) {
    throw errorResponse(`role name ${JSON.stringify(roleName)} doesn't exist`, 404)
  }
  const role: AppRole = existing
    ? { ...existing, token: { ...existing.token } }
    : {
        name,
        roleId: '',
        bindSecretId: true,
        secretIdBoundCidrs: null,
        secretIdNumUses: 0,
        secretIdTtl: 0,
        localSecretIds: false,
        legacyPolicies: false,
        legacyPeriod: false,
        token: defaultTokenParams(),
      }
  // AppRole's backwards-compatibility case, before the token fields are parsed.
  const legacyType = f.str('token_type')
  if (legacyType === 'default-service' || legacyType === 'default-batch') {
    const type = legacyType.slice('default-'.length)
    const note = `${legacyType} has no useful meaning; adjusting to ${type}`
    return writeRole(state, roleName, { ...data, token_type: type }, isCreate, [note])
  }
  const token = parseTokenParams(f, role.token)
  if (typeof token === 'string') throw errorResponse(token)
  role.token = token
  if (f.has('policies') && !f.has('token_policies')) role.legacyPolicies = true
  if (f.has('token_policies')) role.legacyPolicies = false
  if (f.has('token_period')) role.legacyPeriod = false
  else if (f.has('period')) {
    role.token.tokenPeriod = f.int('period')
    role.legacyPeriod = true
  }
  if (f.has('local_secret_ids')) {
    if (existing) throw errorResponse('local_secret_ids can only be modified during role creation')
    role.localSecretIds = f.bool('local_secret_ids')
  }
  if (f.has('role_id')) role.roleId = f.str('role_id')
  else if (!existing) role.roleId = randomUUID()
  if (role.roleId === '') {
    throw errorResponse('invalid role_id supplied, or failed to generate a role_id')
  }
  if (f.has('bind_secret_id')) role.bindSecretId = f.bool('bind_secret_id')
  if (f.has('secret_id_bound_cidrs') || f.has('bound_cidr_list')) {
    role.secretIdBoundCidrs = f.has('secret_id_bound_cidrs')
      ? f.strings('secret_id_bound_cidrs')
      : f.strings('bound_cidr_list')
  }
  if ((role.secretIdBoundCidrs ?? []).some((c) => !isAddrOrCidr(c))) {
    throw errorResponse('invalid CIDR blocks')
  }
  if (f.has('secret_id_num_uses')) role.secretIdNumUses = f.int('secret_id_num_uses')
  if (role.secretIdNumUses < 0) throw errorResponse('secret_id_num_uses cannot be negative')
  if (f.has('secret_id_ttl')) role.secretIdTtl = f.int('secret_id_ttl')
  // setRoleEntry's checks return plain Go errors, so Vault answers them with a 500.
  if (
    !role.bindSecretId &&
    (role.secretIdBoundCidrs ?? []).length === 0 &&
    role.token.tokenBoundCidrs.length === 0
  ) {
    throw goError('at least one constraint should be enabled on the role')
  }
  const owner = state.roleIds.get(role.roleId)
  if (owner !== undefined && owner !== name) throw goError('role_id already in use')
  if (existing && existing.roleId !== role.roleId) state.roleIds.delete(existing.roleId)
  state.roles.set(name, role)
  state.roleIds.set(role.roleId, name)
  const warnings = [...earlierWarnings]
  if (role.token.tokenMaxTtl > MOUNT_MAX_TTL) {
    warnings.push(
      "token_max_ttl is greater than the backend mount's maximum TTL value; issued tokens' max TTL value will be truncated",
    )
  }
  // A nil response (204) carries no "ignored parameters" warning; one with warnings does.
  if (warnings.length > 0) warnings.push(...ignoredParamsWarning(f.unknown))
  return warnings.length > 0 ? { kind: 'envelope', warnings } : { kind: 'envelope' }
}

/** `GET role/:role_name`. */
export function readRole(state: AppRoleState, roleName: string): EngineResponse {
  const role = state.roles.get(roleName.toLowerCase())
  if (!role) throw new VaultHttpError(404, [])
  const data: Record<string, unknown> = {
    bind_secret_id: role.bindSecretId,
    local_secret_ids: role.localSecretIds,
    secret_id_bound_cidrs: role.secretIdBoundCidrs ? [...role.secretIdBoundCidrs] : null,
    secret_id_num_uses: role.secretIdNumUses,
    secret_id_ttl: role.secretIdTtl,
    ...tokenParamsData(role.token),
  }
  if (role.legacyPeriod && role.token.tokenPeriod > 0) data.period = role.token.tokenPeriod
  if (role.legacyPolicies && role.token.tokenPolicies.length > 0) {
    data.policies = [...role.token.tokenPolicies]
  }
  return { kind: 'envelope', data }
}

/** `LIST role`. */
export function listRoles(state: AppRoleState): EngineResponse {
  if (state.roles.size === 0) throw new VaultHttpError(404, [])
  return { kind: 'envelope', data: { keys: [...state.roles.keys()].sort() } }
}

/** `DELETE role/:role_name`: the role, its role_id index and its secret IDs (204 if absent too). */
export function deleteRole(state: AppRoleState, roleName: string): EngineResponse {
  const name = roleName.toLowerCase()
  const role = state.roles.get(name)
  if (role) {
    state.roles.delete(name)
    state.roleIds.delete(role.roleId)
    state.secretIds.delete(name)
  }
  return { kind: 'envelope' }
}

/** `GET role/:role_name/role-id`. */
export function readRoleId(state: AppRoleState, roleName: string): EngineResponse {
  const role = state.roles.get(roleName.toLowerCase())
  if (!role) throw new VaultHttpError(404, [])
  return { kind: 'envelope', data: { role_id: role.roleId } }
}

/** `POST role/:role_name/role-id`. */
export function writeRoleId(
  state: AppRoleState,
  roleName: string,
  data: Record<string, unknown>,
): EngineResponse {
  const f = decodeFields(data, { role_name: 'string', role_id: 'string' })
  const name = roleName.toLowerCase()
  const role = state.roles.get(name)
  if (!role) throw goError('unsupported path', 404)
  const roleId = f.str('role_id')
  if (roleId === '') throw errorResponse('missing role_id')
  const owner = state.roleIds.get(roleId)
  if (owner !== undefined && owner !== name) throw goError('role_id already in use')
  state.roleIds.delete(role.roleId)
  role.roleId = roleId
  state.roleIds.set(roleId, name)
  return { kind: 'envelope' }
}
