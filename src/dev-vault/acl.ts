/** @module dev-vault/acl: Vault's ACL evaluation (exact, prefix glob, `+` segments, priority). */
import type { Capability, PathRule, Policy } from './policy.js'

interface MergedRule {
  path: string
  isPrefix: boolean
  capabilities: Set<Capability>
}

/** The capability each logical operation needs (reference §1.6). */
export type AclOperation = 'read' | 'list' | 'create' | 'update' | 'patch' | 'delete'

export interface Acl {
  /** True when the policies grant `op` on `path` (and `sudo` too when `needsSudo`). */
  allows(path: string, op: AclOperation, needsSudo: boolean): boolean
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

  function permissionsFor(path: string, list: boolean): Set<Capability> | null {
    const e = exact.get(path)
    if (e) return e.capabilities
    if (list) {
      const trimmed = exact.get(path.replace(/\/$/, ''))
      if (trimmed) return trimmed.capabilities
    }
    const found = nonExact(path, prefix, segment)
    if (found) return found
    if (list && path.endsWith('/')) return nonExact(path.slice(0, -1), prefix, segment)
    return null
  }

  return {
    allows(path, op, needsSudo) {
      if (isRoot) return true
      const caps = permissionsFor(path, op === 'list')
      if (!caps || caps.has('deny')) return false
      if (needsSudo && !caps.has('sudo')) return false
      return caps.has(op)
    },
    capabilities(path) {
      if (isRoot) return ['root']
      const caps = permissionsFor(path, false)
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
  if (!existing) {
    target.table.set(rule.path, {
      path: rule.path,
      isPrefix: rule.isPrefix,
      capabilities: new Set(rule.capabilities),
    })
    return
  }
  if (existing.capabilities.has('deny') || rule.capabilities.has('deny')) {
    existing.capabilities = new Set<Capability>(['deny'])
    return
  }
  rule.capabilities.forEach((c) => existing.capabilities.add(c))
}

interface Candidate {
  path: string
  firstWildcard: number
  isPrefix: boolean
  wildcards: number
  capabilities: Set<Capability>
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
): Set<Capability> | null {
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
      capabilities: longest.capabilities,
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
      capabilities: rule.capabilities,
    })
  }
  if (candidates.length === 0) return null
  let best = candidates[0] as Candidate
  for (const c of candidates.slice(1)) if (lower(best, c)) best = c
  return best.capabilities
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
