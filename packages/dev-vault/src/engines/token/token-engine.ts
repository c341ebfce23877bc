/** @module dev-vault/engines/token/token-engine: the `auth/token/` routes the bridge uses: create (with roles), lookup, renew-self, revoke, by accessor, roles. */
import type { EngineResponse } from '../../routing/backend.js'
import type { CoreEngine, CoreRequest } from '../../routing/core-engine.js'
import { durationField, stringField } from '../../encoding/request-fields.js'
import { localTimeString } from '../../encoding/go-time.js'
import type { PolicyStore } from '../../policy/policy-store.js'
import type { TokenEntry, TokenStore } from './token-store.js'
import {
  errorResponse,
  goError,
  unsupportedOperation,
  unsupportedPath,
} from '../../routing/error-responses.js'
import { VaultHttpError } from '../../routing/backend.js'
import { GENERIC_NAME } from '../engine-routes.js'
import { authBlockOf, calculateTtl, createChildToken } from './token-create.js'
import {
  listTokenRoles,
  readTokenRole,
  roleForCreate,
  writeTokenRole,
  type TokenRole,
} from './token-roles.js'

export interface TokenEngineDeps {
  tokens: TokenStore
  policies: PolicyStore
  now(): number
}

const ROLE_PATH = new RegExp(`^roles/${GENERIC_NAME}$`)
const CREATE_WITH_ROLE = new RegExp(`^create/${GENERIC_NAME}$`)

/** The token auth method mounted at `auth/token/` (reference §4), with token roles. */
export function createTokenEngine(deps: TokenEngineDeps): CoreEngine {
  const { tokens, policies, now } = deps
  const roles = new Map<string, TokenRole>()

  const isSudoOn = (caller: TokenEntry, path: string) =>
    caller.policies.includes('root') ||
    policies.aclFor(caller.policies).capabilities(path).includes('sudo')
  const creating = { tokens, policies, isSudoOn }

  function lookupData(t: TokenEntry): Record<string, unknown> {
    const out: Record<string, unknown> = {
      accessor: t.accessor,
      creation_time: Math.floor(t.creationTime / 1000),
      creation_ttl: Math.trunc(t.creationTtl),
      display_name: t.displayName,
      entity_id: t.entityId,
      expire_time: t.expireAt === null ? null : localTimeString(t.expireAt),
      explicit_max_ttl: Math.trunc(t.explicitMaxTtl),
      id: t.id,
      meta: t.meta,
      num_uses: t.numUses,
      orphan: t.parent === null,
      path: t.path,
      policies: t.policies,
      ttl: tokens.remainingTtl(t),
      type: 'service',
    }
    if (t.role !== null) out.role = t.role
    if (t.period !== 0) out.period = t.period
    // Vault shows these from the token's lease entry, which all but the generated root token have.
    if (t.hasLease) {
      out.issue_time = localTimeString(t.creationTime)
      out.renewable = t.renewable
    }
    if (t.lastRenewal !== null) {
      out.last_renewal_time = Math.floor(t.lastRenewal / 1000)
      out.last_renewal = localTimeString(t.lastRenewal)
    }
    return out
  }

  /**
   * `RenewToken`: `CalculateTTL` from the issue time, with the period and explicit max TTL of
   * the token's role when it has one (`authRenew`), else its own.
   */
  function renew(t: TokenEntry, incrementIn: number | undefined): EngineResponse {
    if (!t.hasLease) throw errorResponse('invalid lease ID')
    if (!t.renewable || t.expireAt === null) throw errorResponse('lease is not renewable')
    let period = t.period
    let explicitMaxTtl = t.explicitMaxTtl
    if (t.role !== null) {
      const role = roles.get(t.role)
      if (!role) throw goError(`original token role "${t.role}" could not be found, not renewing`)
      period = role.token.tokenPeriod
      explicitMaxTtl = role.token.tokenExplicitMaxTtl
    }
    const current = now()
    const elapsed = Math.floor(current / 1000) - Math.floor(t.creationTime / 1000)
    const increment = incrementIn && incrementIn > 0 ? incrementIn : t.creationTtl
    const { ttl, warnings } = calculateTtl(increment, period, explicitMaxTtl, elapsed)
    t.expireAt = current + ttl * 1000
    t.lastRenewal = current
    return { kind: 'envelope', data: null, auth: authBlockOf(t, ttl), warnings }
  }

  const tokenParam = (req: CoreRequest): string => {
    const token = stringField(req.data, 'token') ?? ''
    if (token === '') throw errorResponse('missing token ID')
    return token
  }

  /** The token behind `accessor` (`lookupByAccessor`): 400 `missing` / `invalid accessor`. */
  const byAccessor = (req: CoreRequest): TokenEntry => {
    const accessor = stringField(req.data, 'accessor') ?? ''
    if (accessor === '') throw goError('missing accessor', 400)
    const t = tokens.byAccessor(accessor)
    if (!t) throw goError('invalid accessor', 400)
    return t
  }

  /** `roles`, `roles/:name` and `create/:role`; undefined for other paths. */
  function roleRoute(req: CoreRequest): EngineResponse | undefined {
    const op = req.operation
    if (req.path === 'roles' || req.path === 'roles/') {
      if (op !== 'list') throw unsupportedOperation()
      return listTokenRoles(roles)
    }
    const role = ROLE_PATH.exec(req.path)?.[1]
    if (role !== undefined) {
      switch (op) {
        case 'read':
          return readTokenRole(roles, role)
        case 'create':
        case 'update':
          return writeTokenRole(roles, role, req.data, op === 'create')
        case 'delete':
          roles.delete(role)
          return { kind: 'envelope' }
        default:
          throw unsupportedOperation()
      }
    }
    const forRole = CREATE_WITH_ROLE.exec(req.path)?.[1]
    if (forRole === undefined) return undefined
    if (op !== 'update' && op !== 'create') throw unsupportedOperation()
    return createChildToken(creating, req, roleForCreate(roles, forRole))
  }

  return {
    type: 'token',
    exists(path) {
      const role = ROLE_PATH.exec(path)?.[1]
      return role === undefined ? undefined : roles.has(role)
    },
    handle(req) {
      const caller = req.caller as TokenEntry
      const op = req.operation
      const isWrite = op === 'update' || op === 'create'
      const only = (ok: boolean) => {
        if (!ok) throw unsupportedOperation()
      }
      const forRoles = roleRoute(req)
      if (forRoles) return forRoles
      switch (req.path) {
        case 'create':
          only(isWrite)
          return createChildToken(creating, req, undefined)
        case 'lookup-self':
          only(op === 'read' || isWrite)
          return { kind: 'envelope', data: lookupData(caller) }
        case 'lookup': {
          only(op === 'read' || isWrite)
          // Vault looks up the calling token when `token` is empty.
          const id = stringField(req.data, 'token') || caller.id
          const t = tokens.lookup(id)
          if (!t) throw new VaultHttpError(403, ['bad token'])
          return { kind: 'envelope', data: lookupData(t) }
        }
        case 'renew-self':
          only(isWrite)
          return renew(caller, durationField(req.data, 'increment'))
        case 'revoke-self':
          only(isWrite)
          tokens.revoke(caller.id)
          return { kind: 'envelope' }
        case 'revoke':
          only(isWrite)
          tokens.revoke(tokenParam(req))
          return { kind: 'envelope' }
        case 'lookup-accessor':
          only(isWrite)
          // The token's id is blanked: an accessor must not reveal it.
          return { kind: 'envelope', data: { ...lookupData(byAccessor(req)), id: '' } }
        case 'revoke-accessor':
          only(isWrite)
          tokens.revoke(byAccessor(req).id)
          return { kind: 'envelope' }
        default:
          throw unsupportedPath()
      }
    },
  }
}
