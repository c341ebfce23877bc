/**
 * @module dev-vault/engines/token/token-create: `auth/token/create` and `auth/token/create/:role`
 * (`handleCreateCommon`), in Vault's order of checks.
 */
import type { AuthBlock, EngineResponse } from '../../routing/backend.js'
import type { CoreRequest } from '../../routing/core-engine.js'
import {
  boolField,
  intField,
  stringField,
  stringListField,
  stringMapField,
} from '../../encoding/request-fields.js'
import { GoDurationError, parseDurationSecond } from '../../encoding/go-duration.js'
import { formatDuration } from '../../encoding/go-time.js'
import { errorResponse } from '../../routing/error-responses.js'
import type { PolicyStore } from '../../policy/policy-store.js'
import { resolveTokenPolicies } from './token-policies.js'
import type { TokenRole } from './token-roles.js'
import { DEFAULT_TOKEN_TTL, type TokenEntry, type TokenStore } from './token-store.js'

/** Vault's warning for a caller-chosen token id. */
export const CUSTOM_ID_WARNING =
  'Supplying a custom ID for the token uses the weaker SHA1 hashing instead of the more secure SHA2-256 HMAC for token obfuscation. SHA1 hashed tokens on the wire leads to less secure lookups.'

/**
 * `TokenStore.create`'s checks of a caller-chosen id (Vault 1.10 on): not Vault's own prefixes
 * nor a '.' (so it can never pass for a token Vault minted), and not the id of a live token.
 * Vault returns its error as a 400.
 */
function refuseCustomId(id: string, tokens: TokenStore): void {
  if (id.startsWith('hvs.')) throw errorResponse("custom token ID cannot have the 'hvs.' prefix")
  if (id.startsWith('s.')) throw errorResponse("custom token ID cannot have the 's.' prefix")
  if (id.includes('.')) throw errorResponse("custom token ID cannot have a '.' in the value")
  if (tokens.lookup(id) !== undefined) {
    throw errorResponse('cannot create a token with a duplicate ID')
  }
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

/** A TypeString duration field parsed by `ParseDurationSecond`; Go's error text as a 400. */
function durationParam(data: Record<string, unknown>, name: string): number | undefined {
  const text = stringField(data, name)
  if (text === undefined || text === '') return undefined
  try {
    return Math.trunc(parseDurationSecond(text))
  } catch (e) {
    if (e instanceof GoDurationError) throw errorResponse(e.message)
    throw e
  }
}

/**
 * `framework.CalculateTTL` for a new token: a period is the TTL (capped by the system maximum
 * and the explicit max); otherwise the requested TTL or the 768h default, capped likewise.
 * @returns the TTL and Vault's warnings when it was capped.
 */
export function calculateTtl(
  ttlIn: number,
  period: number,
  explicitMaxTtl: number,
  elapsed = 0,
): { ttl: number; warnings: string[] } {
  const warnings: string[] = []
  let maxTtl = DEFAULT_TOKEN_TTL
  if (explicitMaxTtl > 0 && explicitMaxTtl < maxTtl) maxTtl = explicitMaxTtl
  let ttl: number
  let maxValid: number | undefined
  if (period > 0) {
    let p = period
    if (p > maxTtl) {
      warnings.push(
        `period of "${formatDuration(p)}" exceeded the effective max_ttl of "${formatDuration(maxTtl)}"; period value is capped accordingly`,
      )
      p = maxTtl
    }
    ttl = p
    if (explicitMaxTtl > 0) maxValid = explicitMaxTtl - elapsed
  } else {
    ttl = ttlIn > 0 ? ttlIn : DEFAULT_TOKEN_TTL
    maxValid = maxTtl - elapsed
  }
  if (maxValid !== undefined) {
    if (maxValid <= 0) throw errorResponse('past the max TTL, cannot renew')
    if (ttl > maxValid) {
      warnings.push(
        `TTL of "${formatDuration(ttl)}" exceeded the effective max_ttl of "${formatDuration(maxValid)}"; TTL value is capped accordingly`,
      )
      ttl = maxValid
    }
  }
  return { ttl, warnings }
}

export interface TokenCreateDeps {
  tokens: TokenStore
  policies: PolicyStore
  /** True when `caller` holds `root`, or `sudo` on `path`. */
  isSudoOn(caller: TokenEntry, path: string): boolean
}

/**
 * Creates a child token of the caller, against `role` when given (reference §4.1; research
 * notes §3.2): with a role that lists allowed or disallowed policies the caller need not hold
 * the child's policies, `orphan` needs no sudo, and the role caps uses, explicit max TTL and
 * period. Missing policies give the warning `Policy "x" does not exist`.
 * @throws VaultHttpError 400 with Vault's message for every refusal.
 */
export function createChildToken(
  deps: TokenCreateDeps,
  req: CoreRequest,
  role: TokenRole | undefined,
): EngineResponse {
  const { tokens, policies } = deps
  const parent = req.caller as TokenEntry
  const d = req.data
  const warnings: string[] = []
  // A restricted-use parent could escape its count through children (also on its last use).
  if (parent.numUses > 0 || parent.revokeAfterUse) {
    throw errorResponse('restricted use token cannot generate child tokens')
  }
  const isSudo = deps.isSudoOn(parent, req.fullPath)
  let type = stringField(d, 'type') ?? ''
  if (role?.tokenType === 'service') type = 'service'
  if (role?.tokenType === 'batch' || (role?.tokenType === 'default-batch' && type === '')) {
    type = 'batch'
  }
  if (type === 'batch') throw errorResponse('batch tokens are not supported by the dev vault')
  if (type !== '' && type !== 'service') throw errorResponse("invalid 'token_type' value")
  let renewable = boolField(d, 'renewable') ?? true
  let numUses = intField(d, 'num_uses') ?? 0
  if (numUses < 0) throw errorResponse('number of uses cannot be negative')
  if ((stringField(d, 'entity_alias') ?? '') !== '') {
    if (!role) throw errorResponse("'entity_alias' is only allowed in combination with token role")
    throw errorResponse('entity_alias is not supported by the dev vault')
  }
  const meta = stringMapField(d, 'meta') ?? null
  let path = `auth/token/${req.path}`
  if (role) {
    if (renewable && !role.renewable) renewable = false
    const cap = role.token.tokenNumUses
    if (cap !== 0 && (numUses === 0 || cap < numUses)) numUses = cap
    if (role.pathSuffix !== '') path = `${path}/${role.pathSuffix}`
  }
  const displayIn = stringField(d, 'display_name') ?? ''
  const displayName =
    displayIn === ''
      ? 'token'
      : `token-${displayIn}`.replace(/[^a-zA-Z0-9-]/g, '-').replace(/-+$/, '')
  const id = stringField(d, 'id') ?? ''
  if (id !== '' && !isSudo) {
    throw errorResponse('root or sudo privileges required to specify token id')
  }
  const finalPolicies = resolveTokenPolicies({
    requested: stringListField(d, 'policies') ?? [],
    noDefaultPolicy: boolField(d, 'no_default_policy') ?? false,
    parentPolicies: parent.policies,
    isSudo,
    role,
  })
  if (finalPolicies.includes('root') && !parent.policies.includes('root')) {
    throw errorResponse('root tokens may not be created without parent token being root')
  }
  let orphan: boolean
  if (role) {
    orphan = role.orphan
    // Security: the dev vault does not see the client's address, so a token bound to CIDRs
    // could never be checked; refuse to make one rather than ignore the binding.
    if (role.token.tokenBoundCidrs.length > 0) {
      throw errorResponse('token_bound_cidrs are not supported by the dev vault')
    }
  } else if (boolField(d, 'no_parent') ?? false) {
    if (!isSudo) throw errorResponse('root or sudo privileges required to create orphan token')
    orphan = true
  } else {
    orphan = false
  }

  // parseAndMergeTTLPeriod: the request's values, then the lesser of request and role.
  const explicitIn = durationParam(d, 'explicit_max_ttl') ?? 0
  if (explicitIn < 0) throw errorResponse('explicit_max_ttl must be positive')
  const periodIn = durationParam(d, 'period') ?? 0
  if (periodIn < 0) throw errorResponse('period must be positive')
  if (periodIn > 0 && !isSudo) {
    throw errorResponse('root or sudo privileges required to create periodic token')
  }
  const ttlIn = durationParam(d, 'ttl') ?? durationParam(d, 'lease') ?? 0
  if (ttlIn < 0) throw errorResponse('ttl must be positive')
  let explicitMaxTtl = explicitIn
  let period = periodIn
  if (role && role.token.tokenExplicitMaxTtl !== 0) {
    if (explicitMaxTtl === 0) explicitMaxTtl = role.token.tokenExplicitMaxTtl
    else {
      explicitMaxTtl = Math.min(explicitMaxTtl, role.token.tokenExplicitMaxTtl)
      warnings.push(
        `Explicit max TTL specified both during creation call and in role; using the lesser value of ${explicitMaxTtl} seconds`,
      )
    }
  }
  if (role && role.token.tokenPeriod !== 0) {
    if (period === 0) period = role.token.tokenPeriod
    else {
      period = Math.min(period, role.token.tokenPeriod)
      warnings.push(
        `Period specified both during creation call and in role; using the lesser value of ${period} seconds`,
      )
    }
  }
  let ttl = ttlIn
  if (period > 0 || ttl > 0 || !finalPolicies.includes('root')) {
    const calculated = calculateTtl(ttl, period, explicitMaxTtl)
    warnings.push(...calculated.warnings)
    ttl = calculated.ttl
  }
  // Root tokens are still bound by an explicit max TTL.
  if (ttl === 0 && explicitMaxTtl > 0) ttl = explicitMaxTtl
  if (ttl === 0) {
    if (parent.expireAt !== null) {
      throw errorResponse('expiring root tokens cannot create non-expiring root tokens')
    }
    renewable = false
  }
  if (id !== '') {
    refuseCustomId(id, tokens)
    warnings.push(CUSTOM_ID_WARNING)
  }
  const t = tokens.create({
    ...(id !== '' ? { id } : {}),
    policies: finalPolicies,
    parent: orphan ? null : parent.id,
    path,
    meta,
    displayName,
    numUses,
    creationTtl: ttl,
    explicitMaxTtl: explicitIn,
    period: periodIn,
    renewable,
    // A child acts for its parent's entity; an orphan for none.
    entityId: orphan ? '' : parent.entityId,
    role: role?.name ?? null,
    hasLease: true,
  })
  for (const p of finalPolicies) {
    if (p !== 'root' && !policies.get(p)) warnings.push(`Policy "${p}" does not exist`)
  }
  return { kind: 'envelope', data: null, auth: authBlockOf(t, ttl), warnings }
}
