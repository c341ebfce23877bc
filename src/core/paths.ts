/**
 * @module core/paths: turns an agent's relative names into Vault-side names inside that agent's
 * namespace, or refuses them. Every KV key and transit key name the bridge sends to Vault is
 * built here, and nowhere else.
 */
import { AppError } from './errors.js'
import { isValidAgentId, type Principal } from './identity.js'

/** Longest agent-relative path, in UTF-8 bytes. */
export const MAX_PATH_BYTES = 512

/** Transit key names as the agent gives them (same rule as `transitKeyNameSchema`). */
export const TRANSIT_KEY_NAME_PATTERN = /^[A-Za-z0-9_.-]{0,63}[A-Za-z0-9_]$/

/**
 * The principal's agent id, after checking it against the agent-id rule.
 *
 * Security: the agent id becomes a path segment and part of transit key names, so an id that
 * breaks the rule (`..`, `a--b`, `a/b`) could escape or overlap another namespace. Refuse it
 * whatever authenticated it.
 * @throws FORBIDDEN when the agent id breaks the rule in src/core/identity.ts.
 */
export function agentOf(principal: Pick<Principal, 'agent'>): string {
  return checkAgent(principal.agent)
}

/** The KV key prefix of one agent: `{prefix}/{agent}/` (policies grant `…/data/{this}*`). */
export function agentKvPrefix(prefix: string, agent: string): string {
  return `${trimSlashes(prefix)}/${checkAgent(agent)}/`
}

/**
 * The Vault KV key of an agent-relative secret path: `{prefix}/{agent}/{path}`.
 * @throws INVALID_PATH when the path is empty, absolute, longer than 512 bytes, has empty, `.`
 *   or `..` segments, backslashes, control characters, or such things percent-encoded.
 * @throws FORBIDDEN when the agent id is invalid.
 */
export function resolveSecretPath(prefix: string, agent: string, path: string): string {
  const base = agentKvPrefix(prefix, agent)
  if (path === '') throw invalidPath('The secret path is empty; give one such as "app/db".')
  checkRelativePath(path)
  return `${base}${path}`
}

/**
 * The Vault KV folder key for listing: `{prefix}/{agent}/` for `''`, else
 * `{prefix}/{agent}/{folder}/` (one trailing `/` on `folder` is optional).
 * @throws INVALID_PATH under the same rules as resolveSecretPath.
 * @throws FORBIDDEN when the agent id is invalid.
 */
export function resolveFolderPath(prefix: string, agent: string, folder: string): string {
  const base = agentKvPrefix(prefix, agent)
  if (folder === '') return base
  const bare = folder.endsWith('/') ? folder.slice(0, -1) : folder
  if (bare === '')
    throw invalidPath('A list prefix cannot be "/"; use "" for your whole namespace.')
  checkRelativePath(bare)
  return `${base}${bare}/`
}

/**
 * The Vault transit key name of an agent's key: `{prefix}--{agent}--{key}`.
 *
 * Security: agent ids contain no `--` and neither start nor end with `-`, so the first `--`
 * after `{prefix}--` always ends the agent id. The mapping is therefore injective, and the
 * policy glob `{prefix}--{agent}--*` (a plain prefix match in Vault) matches only that agent's
 * keys, even for agents such as `alice` and `alice-x`.
 * @throws INVALID_INPUT when the key name breaks the key-name rule.
 * @throws FORBIDDEN when the agent id is invalid.
 */
export function transitKeyName(prefix: string, agent: string, key: string): string {
  if (!TRANSIT_KEY_NAME_PATTERN.test(key)) {
    throw new AppError(
      'INVALID_INPUT',
      'Transit key names are 1-64 of letters, digits, "_", "." or "-", ending in a letter, digit or "_".',
    )
  }
  return `${transitKeyPrefix(prefix, agent)}${key}`
}

/** The common start of an agent's transit key names (its policy glob is this plus `*`). */
export function transitKeyPrefix(prefix: string, agent: string): string {
  return `${trimSlashes(prefix)}--${checkAgent(agent)}--`
}

// ---------------------------------------------------------------------------------------------

const CONTROL = /[\p{Cc}\p{Cs}]/u
const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g
const MAX_DECODE_ROUNDS = 4
const encoder = new TextEncoder()

function checkAgent(agent: string): string {
  if (!isValidAgentId(agent)) {
    throw new AppError(
      'FORBIDDEN',
      'Your identity has an invalid agent id (allowed: 1-64 letters, digits, "_", "." or "-", ' +
        'without a leading or trailing "-" and without "--"). Ask the operator to fix it.',
    )
  }
  return agent
}

/** `s` without leading and trailing `/` (mount paths and prefixes as operators write them). */
export const trimSlashes = (s: string): string => s.replace(/^\/+|\/+$/g, '')

const invalidPath = (message: string) => new AppError('INVALID_PATH', message)

/**
 * Security: Vault (and any proxy before it) percent-decodes and normalises paths, so the rules
 * are checked on the path as given and on every percent-decoding of it. A path whose decodings
 * would add segments (`%2F`) or keep changing after a few rounds is refused as well.
 */
function checkRelativePath(path: string): void {
  if (path.length > MAX_PATH_BYTES || encoder.encode(path).length > MAX_PATH_BYTES) {
    throw invalidPath(`The secret path is longer than ${MAX_PATH_BYTES} bytes.`)
  }
  const segments = path.split('/').length
  let current = path
  for (let round = 0; ; round++) {
    checkSegments(current)
    if (current.split('/').length !== segments) {
      throw invalidPath('Encoded "/" is not allowed in secret paths.')
    }
    const next = percentDecode(current)
    if (next === current) return
    if (round === MAX_DECODE_ROUNDS) throw invalidPath('The secret path is encoded too many times.')
    current = next
  }
}

function checkSegments(path: string): void {
  if (path.startsWith('/')) throw invalidPath('Secret paths are relative: remove the leading "/".')
  if (path.includes('\\')) throw invalidPath('Backslashes are not allowed in secret paths.')
  if (CONTROL.test(path)) throw invalidPath('Control characters are not allowed in secret paths.')
  for (const segment of path.split('/')) {
    if (segment === '') throw invalidPath('Secret paths cannot have empty segments ("a//b", "a/").')
    if (segment === '.' || segment === '..') {
      throw invalidPath('"." and ".." segments are not allowed in secret paths.')
    }
  }
}

/** Decodes valid `%XX` runs once; runs that are not UTF-8 decode byte by byte (Latin-1). */
function percentDecode(s: string): string {
  return s.replace(PERCENT_RUN, (run) => {
    try {
      return decodeURIComponent(run)
    } catch {
      return run.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) =>
        String.fromCharCode(parseInt(hex, 16)),
      )
    }
  })
}
