/** @module dev-vault/engines/token/token-engine: the `auth/token/` routes the bridge uses: create, lookup, renew-self, revoke, by accessor. */
import type {
  AuthBlock,
  EngineHost,
  EngineResponse,
  TokenIssueRequest,
} from '../../routing/backend.js'
import type { CoreEngine, CoreRequest } from '../../routing/core-engine.js'
import {
  boolField,
  durationField,
  intField,
  stringField,
  stringListField,
  stringMapField,
} from '../../encoding/request-fields.js'
import { formatDuration, localTimeString } from '../../encoding/go-time.js'
import type { PolicyStore } from '../../policy/policy-store.js'
import { DEFAULT_TOKEN_TTL, type TokenEntry, type TokenStore } from './token-store.js'
import {
  errorResponse,
  goError,
  unsupportedOperation,
  unsupportedPath,
} from '../../routing/error-responses.js'
import { VaultHttpError } from '../../routing/backend.js'

/** Sorted, lower-cased, trimmed, de-duplicated policy names (Vault `SanitizePolicies`). */
export function sanitizePolicies(names: string[], addDefault: boolean): string[] {
  const set = new Set(names.map((n) => n.trim().toLowerCase()).filter((n) => n !== ''))
  if (addDefault) set.add('default')
  if (set.has('root')) return ['root']
  return [...set].sort()
}

/** The `auth` block for a token (reference §4.1). */
export function authBlockOf(t: TokenEntry, leaseDuration: number): AuthBlock {
  return {
    client_token: t.id,
    accessor: t.accessor,
    policies: t.policies,
    token_policies: t.policies,
    metadata: t.meta,
    lease_duration: leaseDuration,
    renewable: t.renewable && t.expireAt !== null,
    entity_id: t.entityId,
    token_type: 'service',
    orphan: t.parent === null,
    mfa_requirement: null,
    num_uses: t.numUses,
  }
}

/** `EngineHost.issueToken`: an orphan service token for a login (AppRole, JWT). */
export function createTokenIssuer(tokens: TokenStore): EngineHost['issueToken'] {
  return (req: TokenIssueRequest) => {
    let ttl = req.ttl && req.ttl > 0 ? req.ttl : DEFAULT_TOKEN_TTL
    const max =
      req.explicitMaxTtl && req.explicitMaxTtl > 0 ? req.explicitMaxTtl : DEFAULT_TOKEN_TTL
    ttl = Math.min(ttl, max, DEFAULT_TOKEN_TTL)
    const t = tokens.create({
      policies: sanitizePolicies(req.policies, !req.noDefaultPolicy),
      parent: null,
      path: req.path,
      meta: req.meta ?? null,
      displayName: req.displayName,
      numUses: req.numUses ?? 0,
      creationTtl: ttl,
      explicitMaxTtl: req.explicitMaxTtl ?? 0,
      renewable: req.renewable ?? true,
      hasLease: true,
    })
    return authBlockOf(t, ttl)
  }
}

export interface TokenEngineDeps {
  tokens: TokenStore
  policies: PolicyStore
  now(): number
}

/** The token auth method mounted at `auth/token/` (reference §4). */
export function createTokenEngine(deps: TokenEngineDeps): CoreEngine {
  const { tokens, policies, now } = deps

  const isSudoOn = (caller: TokenEntry, path: string) =>
    caller.policies.includes('root') ||
    policies.aclFor(caller.policies).capabilities(path).includes('sudo')

  function create(req: CoreRequest): EngineResponse {
    const parent = req.caller as TokenEntry
    const d = req.data
    const warnings: string[] = []
    const sudo = isSudoOn(parent, 'auth/token/create')
    const parentIsRoot = parent.policies.includes('root')
    const requested = stringListField(d, 'policies') ?? []
    const noDefault = boolField(d, 'no_default_policy') ?? false
    const noParent = boolField(d, 'no_parent') ?? false
    const numUses = intField(d, 'num_uses') ?? 0
    const ttlIn = durationField(d, 'ttl') ?? 0
    const explicitMaxTtl = durationField(d, 'explicit_max_ttl') ?? 0
    const renewable = boolField(d, 'renewable') ?? true
    const meta = stringMapField(d, 'meta') ?? null
    const displayIn = stringField(d, 'display_name') ?? ''
    const id = stringField(d, 'id')
    if (stringField(d, 'type') === 'batch')
      throw errorResponse('batch tokens are not supported by the dev vault')
    if (d.period !== undefined)
      throw errorResponse('periodic tokens are not supported by the dev vault')
    if (parent.numUses > 0 || parent.revokeAfterUse) {
      throw errorResponse('restricted use token cannot generate child tokens')
    }
    if (numUses < 0) throw errorResponse('number of uses cannot be negative')
    if (ttlIn < 0) throw errorResponse('ttl must be positive')
    if (explicitMaxTtl < 0) throw errorResponse('explicit_max_ttl must be positive')
    if (id !== undefined && id !== '' && !sudo) {
      throw errorResponse('root or sudo privileges required to specify token id')
    }
    if (noParent && !sudo) {
      throw errorResponse('root or sudo privileges required to create orphan token')
    }
    if (requested.map((p) => p.toLowerCase()).includes('response-wrapping')) {
      throw errorResponse('cannot assign policy "response-wrapping"')
    }

    let finalPolicies: string[]
    const parentHasDefault = parent.policies.includes('default')
    if (requested.length === 0) {
      finalPolicies = sanitizePolicies(
        parent.policies.filter((p) => p !== 'default' || !noDefault),
        false,
      )
    } else if (!sudo) {
      const want = sanitizePolicies(requested, false).filter((p) => p !== 'default')
      const have = new Set(parent.policies.filter((p) => p !== 'default'))
      if (!want.every((p) => have.has(p)))
        throw errorResponse('child policies must be subset of parent')
      finalPolicies = sanitizePolicies(want, parentHasDefault && !noDefault)
    } else {
      finalPolicies = sanitizePolicies(requested, !noDefault)
    }
    if (noDefault) finalPolicies = finalPolicies.filter((p) => p !== 'default')
    const isRootToken = finalPolicies.includes('root')
    if (isRootToken && !parentIsRoot) {
      throw errorResponse('root tokens may not be created without parent token being root')
    }
    for (const p of finalPolicies) {
      if (p !== 'root' && !policies.get(p)) warnings.push(`Policy "${p}" does not exist`)
    }

    let ttl = ttlIn
    if (ttl === 0 && !isRootToken) ttl = DEFAULT_TOKEN_TTL
    if (isRootToken && ttl === 0 && parent.expireAt !== null) {
      throw errorResponse('expiring root tokens cannot create non-expiring root tokens')
    }
    let maxTtl = DEFAULT_TOKEN_TTL
    if (explicitMaxTtl > 0 && explicitMaxTtl < maxTtl) maxTtl = explicitMaxTtl
    if (ttl > maxTtl) {
      warnings.push(
        `TTL of "${formatDuration(ttl)}" exceeded the effective max_ttl of "${formatDuration(maxTtl)}"; TTL value is capped accordingly`,
      )
      ttl = maxTtl
    }
    const sanitized = `token-${displayIn}`.replace(/[^a-zA-Z0-9-]/g, '-').replace(/-+$/, '')
    const t = tokens.create({
      ...(id ? { id } : {}),
      policies: finalPolicies,
      parent: noParent ? null : parent.id,
      path: 'auth/token/create',
      meta,
      displayName: displayIn === '' ? 'token' : sanitized,
      numUses,
      creationTtl: ttl,
      explicitMaxTtl,
      renewable: renewable && ttl > 0,
      hasLease: true,
    })
    return { kind: 'envelope', data: null, auth: authBlockOf(t, ttl), warnings }
  }

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

  function renew(t: TokenEntry, incrementIn: number | undefined): EngineResponse {
    if (!t.hasLease) throw errorResponse('invalid lease ID')
    if (!t.renewable || t.expireAt === null) throw errorResponse('lease is not renewable')
    const warnings: string[] = []
    const current = now()
    const maxTtl =
      t.explicitMaxTtl > 0 ? Math.min(t.explicitMaxTtl, DEFAULT_TOKEN_TTL) : DEFAULT_TOKEN_TTL
    const maxExpire = t.creationTime + maxTtl * 1000
    let ttl = incrementIn && incrementIn > 0 ? incrementIn : t.creationTtl
    if (current + ttl * 1000 > maxExpire) {
      const capped = Math.floor((maxExpire - current) / 1000)
      if (capped <= 0) throw errorResponse('past the max TTL, cannot renew')
      warnings.push(
        `TTL of "${formatDuration(ttl)}" exceeded the effective max_ttl of "${formatDuration(capped)}"; TTL value is capped accordingly`,
      )
      ttl = capped
    }
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

  return {
    type: 'token',
    handle(req) {
      const caller = req.caller as TokenEntry
      const op = req.operation
      const isWrite = op === 'update' || op === 'create'
      const only = (ok: boolean) => {
        if (!ok) throw unsupportedOperation()
      }
      switch (req.path) {
        case 'create':
          only(isWrite)
          return create(req)
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
