/** @module dev-vault/policy/policy-document: Vault ACL policy documents (HCL or JSON) parsed into path rules. */
import {
  HclSyntaxError,
  lineOf,
  parseHcl,
  type HclItem,
  type HclObject,
  type HclValue,
} from './hcl-parser.js'
import { GoDurationError, parseDurationSecond } from '../encoding/go-duration.js'

export type Capability =
  | 'create'
  | 'read'
  | 'update'
  | 'patch'
  | 'delete'
  | 'list'
  | 'sudo'
  | 'deny'
  | 'subscribe'
  | 'recover'

const CAPABILITIES = new Set<string>([
  'create',
  'read',
  'update',
  'patch',
  'delete',
  'list',
  'sudo',
  'deny',
  'subscribe',
  'recover',
])

const LEGACY: Record<string, Capability[]> = {
  deny: ['deny'],
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo'],
}

const PATH_KEYS = new Set([
  'comment',
  'policy',
  'capabilities',
  'allowed_parameters',
  'denied_parameters',
  'required_parameters',
  'min_wrapping_ttl',
  'max_wrapping_ttl',
  'mfa_methods',
  'control_group',
  'subscribe_event_types',
])

/** One `path "..." {}` block after normalisation (Vault `PathRules`). */
export interface PathRule {
  /** Normalised pattern: leading `/` removed; a trailing `*` removed when `isPrefix`. */
  path: string
  isPrefix: boolean
  hasSegmentWildcards: boolean
  capabilities: Set<Capability>
  requiredParameters: string[]
  allowedParameters: Record<string, unknown[]>
  deniedParameters: Record<string, unknown[]>
  /** `min_wrapping_ttl` in seconds; 0 = none. */
  minWrappingTtl: number
  /** `max_wrapping_ttl` in seconds; 0 = none. */
  maxWrappingTtl: number
}

export interface Policy {
  name: string
  /** The text exactly as written (what reads return). */
  raw: string
  rules: PathRule[]
}

/** A policy document Vault would refuse; the message follows `failed to parse policy: `. */
export class PolicyParseError extends Error {
  override name = 'PolicyParseError'
}

/**
 * Parses a policy document the way `vault/policy.go` does: top-level keys `name` and `path`
 * only, known path-block keys only, known capabilities, `deny` wins inside a block,
 * `+*` forbidden.
 * @throws PolicyParseError on any syntax or semantic error.
 */
export function parsePolicy(name: string, raw: string): Policy {
  let items: HclItem[]
  try {
    items = raw.trimStart().startsWith('{') ? jsonItems(raw) : parseHcl(raw)
  } catch (e) {
    if (e instanceof HclSyntaxError || e instanceof SyntaxError) {
      throw new PolicyParseError(e.message)
    }
    throw e
  }
  const rules: PathRule[] = []
  for (const item of items) {
    if (item.key === 'name') continue
    if (item.key !== 'path')
      throw new PolicyParseError(`invalid key "${item.key}" on line ${item.line}`)
    const blocks = pathBlocks(item)
    for (const [pattern, body, line] of blocks) rules.push(parsePathBlock(pattern, body, line))
  }
  return { name, raw, rules }
}

function pathBlocks(item: HclItem): [string, HclObject, number][] {
  const out: [string, HclObject, number][] = []
  const add = (obj: HclValue) => {
    if (!isObject(obj)) throw new PolicyParseError(`path: expected an object on line ${item.line}`)
    for (const [pattern, body] of Object.entries(obj)) {
      if (Array.isArray(body)) {
        for (const b of body) {
          if (!isObject(b)) throw new PolicyParseError(`path "${pattern}": expected an object`)
          out.push([pattern, b, lineOf(obj, pattern) || item.line])
        }
      } else if (isObject(body)) {
        out.push([pattern, body, lineOf(obj, pattern) || item.line])
      } else {
        throw new PolicyParseError(`path "${pattern}": expected an object`)
      }
    }
  }
  if (item.labels.length > 0) {
    let value: HclValue = item.value
    for (let i = item.labels.length - 1; i >= 0; i--) value = { [item.labels[i] as string]: value }
    add(value)
  } else if (Array.isArray(item.value)) {
    item.value.forEach(add)
  } else {
    add(item.value)
  }
  return out
}

function parsePathBlock(pattern: string, body: HclObject, line: number): PathRule {
  for (const key of Object.keys(body)) {
    if (!PATH_KEYS.has(key)) {
      throw new PolicyParseError(
        `path "${pattern}": invalid key "${key}" on line ${lineOf(body, key) || line}`,
      )
    }
  }
  let path = pattern.replace(/^\/+/, '')
  if (path.includes('+*')) {
    throw new PolicyParseError(`path "${path}": invalid use of wildcards ('+*' is forbidden)`)
  }
  const hasSegmentWildcards = path === '+' || path.includes('/+') || path.startsWith('+/')
  let isPrefix = false
  if (path.endsWith('*') && !hasSegmentWildcards) {
    path = path.slice(0, -1)
    isPrefix = true
  }
  const capabilities = new Set<Capability>()
  const legacy = body.policy
  if (legacy !== undefined) {
    const caps = typeof legacy === 'string' ? LEGACY[legacy] : undefined
    if (!caps) throw new PolicyParseError(`path "${path}": invalid policy "${String(legacy)}"`)
    caps.forEach((c) => capabilities.add(c))
  }
  const caps = body.capabilities
  if (caps !== undefined) {
    if (!Array.isArray(caps))
      throw new PolicyParseError(`path "${path}": capabilities must be a list`)
    for (const c of caps) {
      if (typeof c !== 'string' || !CAPABILITIES.has(c)) {
        throw new PolicyParseError(`path "${path}": invalid capability "${String(c)}"`)
      }
      capabilities.add(c as Capability)
    }
  }
  if (capabilities.has('deny')) {
    capabilities.clear()
    capabilities.add('deny')
  }
  const minWrappingTtl = wrappingTtl(body.min_wrapping_ttl, 'min_wrapping_ttl')
  const maxWrappingTtl = wrappingTtl(body.max_wrapping_ttl, 'max_wrapping_ttl')
  if (minWrappingTtl !== 0 && maxWrappingTtl !== 0 && maxWrappingTtl < minWrappingTtl) {
    throw new PolicyParseError('max_wrapping_ttl cannot be less than min_wrapping_ttl')
  }
  return {
    path,
    isPrefix,
    hasSegmentWildcards,
    capabilities,
    requiredParameters: stringList(body.required_parameters, path, 'required_parameters'),
    allowedParameters: paramMap(body.allowed_parameters, path, 'allowed_parameters'),
    deniedParameters: paramMap(body.denied_parameters, path, 'denied_parameters'),
    minWrappingTtl,
    maxWrappingTtl,
  }
}

/** `parseutil.ParseDurationSecond` of a wrapping TTL key, with Vault's message on failure. */
function wrappingTtl(v: HclValue | undefined, key: string): number {
  if (v === undefined) return 0
  try {
    return parseDurationSecond(v)
  } catch (e) {
    if (e instanceof GoDurationError)
      throw new PolicyParseError(`error parsing ${key}: ${e.message}`)
    throw e
  }
}

function stringList(v: HclValue | undefined, path: string, key: string): string[] {
  if (v === undefined) return []
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw new PolicyParseError(`path "${path}": ${key} must be a list of strings`)
  }
  return v as string[]
}

function paramMap(v: HclValue | undefined, path: string, key: string): Record<string, unknown[]> {
  if (v === undefined) return {}
  if (!isObject(v)) throw new PolicyParseError(`path "${path}": ${key} must be a map`)
  const out: Record<string, unknown[]> = {}
  for (const [k, val] of Object.entries(v)) {
    out[k.toLowerCase()] = Array.isArray(val) ? val : [val]
  }
  return out
}

function isObject(v: unknown): v is HclObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function jsonItems(raw: string): HclItem[] {
  const doc: unknown = JSON.parse(raw)
  if (!isObject(doc)) throw new PolicyParseError('policy document must be an object')
  return Object.entries(doc).map(([key, value]) => ({
    key,
    labels: [],
    value: value as HclValue,
    line: 1,
  }))
}
