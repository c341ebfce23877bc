/** @module dev-vault/engines/token-params: `tokenutil.TokenParams` for AppRole and JWT roles. */
import { isIP } from 'node:net'
import type { TokenIssueRequest } from '../routing/backend.js'
import type { FieldSchema, Fields } from './field-schema.js'

/** The `token_*` fields every auth role carries. TTLs are seconds. */
export interface TokenParams {
  tokenPolicies: string[]
  tokenTtl: number
  tokenMaxTtl: number
  tokenExplicitMaxTtl: number
  tokenPeriod: number
  tokenNumUses: number
  tokenNoDefaultPolicy: boolean
  tokenType: string
  tokenBoundCidrs: string[]
}

export const tokenFieldSchema: FieldSchema = {
  token_policies: 'commaStringSlice',
  token_ttl: 'durationSecond',
  token_max_ttl: 'durationSecond',
  token_explicit_max_ttl: 'durationSecond',
  token_period: 'durationSecond',
  token_num_uses: 'int',
  token_no_default_policy: 'bool',
  token_type: 'string',
  token_bound_cidrs: 'commaStringSlice',
}

export const defaultTokenParams = (): TokenParams => ({
  tokenPolicies: [],
  tokenTtl: 0,
  tokenMaxTtl: 0,
  tokenExplicitMaxTtl: 0,
  tokenPeriod: 0,
  tokenNumUses: 0,
  tokenNoDefaultPolicy: false,
  tokenType: 'default',
  tokenBoundCidrs: [],
})

const tokenTypes = new Set(['service', 'batch', 'default'])

/** An IP address or CIDR block, as `parseutil.ParseAddrs` accepts. */
export function isAddrOrCidr(value: string): boolean {
  const [addr, bits, extra] = value.split('/')
  if (extra !== undefined || !addr) return false
  const family = isIP(addr)
  if (family === 0) return false
  if (bits === undefined) return true
  return /^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)
}

/**
 * `TokenParams.ParseTokenFields` (+ the legacy `policies` upgrade): applies the fields present
 * in `f` to a copy of `current`.
 * @returns the new params, or the 400 message Vault gives.
 */
export function parseTokenParams(f: Fields, current: TokenParams): TokenParams | string {
  const t = { ...current }
  if (f.has('token_bound_cidrs')) {
    const cidrs = f.strings('token_bound_cidrs')
    const bad = cidrs.find((c) => !isAddrOrCidr(c))
    if (bad !== undefined) return `invalid CIDR address: ${bad}`
    t.tokenBoundCidrs = cidrs
  }
  if (f.has('token_explicit_max_ttl')) t.tokenExplicitMaxTtl = f.int('token_explicit_max_ttl')
  if (f.has('token_max_ttl')) t.tokenMaxTtl = f.int('token_max_ttl')
  if (t.tokenMaxTtl < 0) return "'token_max_ttl' cannot be negative"
  if (f.has('token_no_default_policy')) t.tokenNoDefaultPolicy = f.bool('token_no_default_policy')
  if (f.has('token_period')) t.tokenPeriod = f.int('token_period')
  if (t.tokenPeriod < 0) return "'token_period' cannot be negative"
  if (f.has('token_policies')) t.tokenPolicies = f.strings('token_policies')
  else if (f.has('policies')) t.tokenPolicies = f.strings('policies')
  if (f.has('token_type')) {
    const type = f.str('token_type') || 'default'
    if (!tokenTypes.has(type)) return `invalid 'token_type' value ${JSON.stringify(type)}`
    t.tokenType = type
  }
  if (f.has('token_ttl')) t.tokenTtl = f.int('token_ttl')
  if (t.tokenTtl < 0) return "'token_ttl' cannot be negative"
  if (t.tokenTtl > 0 && t.tokenMaxTtl > 0 && t.tokenTtl > t.tokenMaxTtl) {
    return "'token_ttl' cannot be greater than 'token_max_ttl'"
  }
  if (f.has('token_num_uses')) t.tokenNumUses = f.int('token_num_uses')
  if (t.tokenNumUses < 0) return "'token_num_uses' cannot be negative"
  if (t.tokenType === 'batch') {
    if (t.tokenPeriod !== 0) {
      return "'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens"
    }
    if (t.tokenNumUses !== 0) {
      return "'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count"
    }
  }
  return t
}

/** `TokenParams.PopulateTokenData`: the token fields of a role read (seconds). */
export function tokenParamsData(t: TokenParams): Record<string, unknown> {
  return {
    token_bound_cidrs: [...t.tokenBoundCidrs],
    token_explicit_max_ttl: t.tokenExplicitMaxTtl,
    token_max_ttl: t.tokenMaxTtl,
    token_no_default_policy: t.tokenNoDefaultPolicy,
    token_num_uses: t.tokenNumUses,
    token_period: t.tokenPeriod,
    token_policies: [...t.tokenPolicies],
    token_ttl: t.tokenTtl,
    token_type: t.tokenType,
  }
}

/** Vault's system default and maximum token TTL (768h). */
const SYSTEM_MAX_TTL = 2_764_800

/**
 * The token a login issues for a role (`PopulateTokenAuth` + the core's TTL capping).
 * `token_max_ttl` caps the TTL here, since the host's request has no separate max TTL.
 */
export function tokenRequestFor(
  t: TokenParams,
  displayName: string,
  path: string,
  meta: Record<string, string>,
): TokenIssueRequest {
  let ttl = t.tokenPeriod > 0 ? t.tokenPeriod : t.tokenTtl
  if (t.tokenMaxTtl > 0 && (ttl === 0 ? SYSTEM_MAX_TTL : ttl) > t.tokenMaxTtl) ttl = t.tokenMaxTtl
  return {
    policies: [...t.tokenPolicies],
    ttl,
    explicitMaxTtl: t.tokenExplicitMaxTtl,
    numUses: t.tokenNumUses,
    renewable: true,
    meta,
    displayName,
    path,
    noDefaultPolicy: t.tokenNoDefaultPolicy,
  }
}

/** The token display name Vault's core builds: mount path (`/` → `-`) + the method's name. */
export function loginDisplayName(mountPath: string, name: string): string {
  const source = mountPath.replace(/^auth\//, '').replace(/\//g, '-')
  return `${source}${name}`.replace(/-+$/, '')
}
