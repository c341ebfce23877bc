/** @module dev-vault/policy/acl: Vault's ACL evaluation (exact, prefix glob, `+` segments, priority). */
import type { Capability, PathRule, Policy } from './policy-document.js'

interface MergedRule {
  path: string
  isPrefix: boolean
  capabilities: Set<Capability>
  params: ParameterRules
  /** Seconds; 0 = no bound. */
  minWrappingTtl: number
  maxWrappingTtl: number
}

/** A rule's parameter constraints (`required_`, `allowed_`, `denied_parameters`). */
interface ParameterRules {
  required: string[]
  allowed: Record<string, unknown[]> | null
  denied: Record<string, unknown[]> | null
}

/** The capability each logical operation needs (reference §1.6). */
export type AclOperation = 'read' | 'list' | 'create' | 'update' | 'patch' | 'delete'

export interface Acl {
  /**
   * True when the policies grant `op` on `path` (and `sudo` too when `needsSudo`), the
   * request's wrap TTL (seconds; undefined = no `X-Vault-Wrap-TTL` header) lies within the
   * rule's `min_wrapping_ttl` and `max_wrapping_ttl`, and its `data` keys and values satisfy the
   * parameter constraints.
   */
  allows(
    path: string,
    op: AclOperation,
    needsSudo: boolean,
    data?: Record<string, unknown>,
    wrapTtl?: number,
  ): boolean
  /** The capabilities granted on `path` (`root` for the root policy), as Vault lists them. */
  capabilities(path: string): string[]
}

/**
 * Builds an ACL from a token's policies: rules with the identical pattern are merged (union of
 * capabilities; `deny` on either side wins), and a request uses the single best-matching
 * pattern, so a `deny` on `secret/*` does not beat `read` on `secret/app` (reference §6.3).
 */
export function createAcl(policies: Policy[]): Acl {
  const isRoot = policies.some((p) => p.name === 'root')
  const exact = new Map<string, MergedRule>()
  const prefix = new Map<string, MergedRule>()
  const segment = new Map<string, MergedRule>()
  for (const policy of policies) {
    for (const rule of policy.rules) merge(pick(rule, exact, prefix, segment), rule)
  }

  function permissionsFor(path: string, list: boolean): MergedRule | null {
    const e = exact.get(path)
    if (e) return e
    if (list) {
      const trimmed = exact.get(path.replace(/\/$/, ''))
      if (trimmed) return trimmed
    }
    const found = nonExact(path, prefix, segment)
    if (found) return found
    if (list && path.endsWith('/')) return nonExact(path.slice(0, -1), prefix, segment)
    return null
  }

  return {
    allows(path, op, needsSudo, data = {}, wrapTtl) {
      if (isRoot) return true
      const rule = permissionsFor(path, op === 'list')
      const caps = rule?.capabilities
      if (!rule || !caps || caps.has('deny')) return false
      if (needsSudo && !caps.has('sudo')) return false
      if (!caps.has(op)) return false
      if (!wrappingAllowed(rule, wrapTtl)) return false
      if (op === 'list' || op === 'delete') return true
      return parametersAllowed(rule.params, data)
    },
    capabilities(path) {
      if (isRoot) return ['root']
      const caps = permissionsFor(path, false)?.capabilities
      if (!caps || caps.has('deny')) return ['deny']
      return [...caps].sort()
    },
  }
}

function pick(
  rule: PathRule,
  exact: Map<string, MergedRule>,
  prefix: Map<string, MergedRule>,
  segment: Map<string, MergedRule>,
): { table: Map<string, MergedRule>; rule: PathRule } {
  const table = rule.hasSegmentWildcards ? segment : rule.isPrefix ? prefix : exact
  return { table, rule }
}

function merge(target: { table: Map<string, MergedRule>; rule: PathRule }, rule: PathRule): void {
  const existing = target.table.get(rule.path)
  const params: ParameterRules = {
    required: [...rule.requiredParameters],
    allowed: Object.keys(rule.allowedParameters).length > 0 ? { ...rule.allowedParameters } : null,
    denied: Object.keys(rule.deniedParameters).length > 0 ? { ...rule.deniedParameters } : null,
  }
  if (!existing) {
    target.table.set(rule.path, {
      path: rule.path,
      isPrefix: rule.isPrefix,
      capabilities: new Set(rule.capabilities),
      params,
      minWrappingTtl: rule.minWrappingTtl,
      maxWrappingTtl: rule.maxWrappingTtl,
    })
    return
  }
  if (existing.capabilities.has('deny')) return
  if (rule.capabilities.has('deny')) {
    existing.capabilities = new Set<Capability>(['deny'])
    existing.params = { required: [], allowed: null, denied: null }
    return
  }
  rule.capabilities.forEach((c) => existing.capabilities.add(c))
  // Vault keeps the lesser of two bounds of each kind, "allowing token lifetime to be minimum
  // possible"; merged bounds may end up with max < min, which then denies everything.
  existing.maxWrappingTtl = lesserBound(existing.maxWrappingTtl, rule.maxWrappingTtl)
  existing.minWrappingTtl = lesserBound(existing.minWrappingTtl, rule.minWrappingTtl)
  existing.params.allowed = mergeParams(existing.params.allowed, params.allowed)
  existing.params.denied = mergeParams(existing.params.denied, params.denied)
  for (const r of params.required) {
    if (!existing.params.required.includes(r)) existing.params.required.push(r)
  }
}

/** The lesser of two positive bounds; 0 means "none". */
function lesserBound(existing: number, incoming: number): number {
  return incoming > 0 && (existing === 0 || incoming < existing) ? incoming : existing
}

/**
 * `AllowOperation`'s wrapping checks: a bound demands the header, and a TTL within it. As in
 * Vault, `X-Vault-Wrap-TTL: 0` counts as present: it passes a max-only bound, unwrapped.
 */
function wrappingAllowed(rule: MergedRule, wrapTtl: number | undefined): boolean {
  const { minWrappingTtl: min, maxWrappingTtl: max } = rule
  if (max > 0 && (wrapTtl === undefined || wrapTtl > max)) return false
  if (min > 0 && (wrapTtl === undefined || wrapTtl < min)) return false
  return !(min !== 0 && max !== 0 && max < min)
}

/** Vault's merge of parameter maps: an empty list (any value) wins, else values are joined. */
function mergeParams(
  a: Record<string, unknown[]> | null,
  b: Record<string, unknown[]> | null,
): Record<string, unknown[]> | null {
  if (!b) return a
  if (!a) return { ...b }
  const out = { ...a }
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k]
    out[k] =
      v.length === 0 || (prev !== undefined && prev.length === 0) ? [] : [...v, ...(prev ?? [])]
  }
  return out
}

/** Vault `valueInParameterList`: [] allows any value; strings match with `*` globs. */
function valueAllowed(value: unknown, list: unknown[]): boolean {
  if (list.length === 0) return true
  return list.some((el) => {
    if (el === null || value === null || el === undefined || value === undefined)
      return el === value
    if (typeof el === 'string' && typeof value === 'string') return globMatch(el, value)
    return JSON.stringify(el) === JSON.stringify(value)
  })
}

/** `strutil.GlobbedStringsMatch`: a leading and/or trailing `*` in the pattern. */
function globMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return true
  const starts = pattern.startsWith('*')
  const ends = pattern.endsWith('*') && pattern.length > 1
  const core = pattern.slice(starts ? 1 : 0, ends ? -1 : undefined)
  if (starts && ends) return value.includes(core)
  if (starts) return value.endsWith(core)
  if (ends) return value.startsWith(core)
  return value === pattern
}

/** The parameter part of `ACL.AllowOperation` (reference §6.2). */
function parametersAllowed(p: ParameterRules, data: Record<string, unknown>): boolean {
  for (const name of p.required) if (!(name.toLowerCase() in data)) return false
  const keys = Object.keys(data)
  if (keys.length === 0) return true
  if (p.denied) {
    if ('*' in p.denied) return false
    for (const k of keys) {
      const list = p.denied[k.toLowerCase()]
      if (list && valueAllowed(data[k], list)) return false
    }
  }
  if (!p.allowed) return true
  const allowAll = '*' in p.allowed
  if (allowAll && Object.keys(p.allowed).length === 1) return true
  for (const k of keys) {
    const list = p.allowed[k.toLowerCase()]
    if (!list && !allowAll) return false
    if (list && !valueAllowed(data[k], list)) return false
  }
  return true
}

interface Candidate {
  path: string
  firstWildcard: number
  isPrefix: boolean
  wildcards: number
  rule: MergedRule
}

/** Vault's `less`: true when `a` has lower priority than `b` (reference §6.3). */
function lower(a: Candidate, b: Candidate): boolean {
  if (a.firstWildcard !== b.firstWildcard) return a.firstWildcard < b.firstWildcard
  if (a.isPrefix !== b.isPrefix) return a.isPrefix
  if (a.wildcards !== b.wildcards) return a.wildcards > b.wildcards
  if (a.path.length !== b.path.length) return a.path.length < b.path.length
  return a.path < b.path
}

function nonExact(
  path: string,
  prefix: Map<string, MergedRule>,
  segment: Map<string, MergedRule>,
): MergedRule | null {
  const candidates: Candidate[] = []
  let longest: MergedRule | undefined
  for (const rule of prefix.values()) {
    if (path.startsWith(rule.path) && (!longest || rule.path.length > longest.path.length)) {
      longest = rule
    }
  }
  if (longest) {
    candidates.push({
      path: longest.path,
      firstWildcard: longest.path.length,
      isPrefix: true,
      wildcards: 0,
      rule: longest,
    })
  }
  for (const rule of segment.values()) {
    if (!segmentMatch(rule.path, path)) continue
    const plus = rule.path.indexOf('+')
    const star = rule.path.endsWith('*') ? rule.path.length - 1 : -1
    candidates.push({
      path: rule.path,
      firstWildcard: plus >= 0 && (star < 0 || plus < star) ? plus : star,
      isPrefix: rule.path.endsWith('*'),
      wildcards: rule.path.split('/').filter((s) => s === '+').length,
      rule,
    })
  }
  if (candidates.length === 0) return null
  let best = candidates[0] as Candidate
  for (const c of candidates.slice(1)) if (lower(best, c)) best = c
  return best.rule
}

function segmentMatch(pattern: string, path: string): boolean {
  const isPrefix = pattern.endsWith('*')
  const segs = pattern.split('/')
  const parts = path.split('/')
  if (!isPrefix && parts.length !== segs.length) return false
  if (isPrefix && parts.length < segs.length) return false
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i] as string
    if (isPrefix && i === segs.length - 1) {
      // The last pattern segment is a glob: it matches the rest of the path by prefix.
      return parts.slice(i).join('/').startsWith(seg.slice(0, -1))
    }
    if (seg !== '+' && seg !== parts[i]) return false
  }
  return true
}
