/**
 * @module entry/entry-store: the shared record of each request_secret request (pending, then
 * how it ended), in this process or in Redis (RATE_LIMIT_REDIS_URL) so that every replica, and a
 * restarted one, sees the same. Security: a record holds names, a status, a version and an error
 * code, never a value.
 */
import type { SecretEntryState } from '../core/ports.js'
import { createWatchedRedisClient } from '../limits/redis-client.js'
import type { Logger } from '../observability/logger.js'

/** Where the records of secret requests live. */
export interface EntryStore {
  /** Keeps `state` until `keepUntil` (epoch ms), replacing any earlier record of its id. */
  put(state: SecretEntryState, keepUntil: number): Promise<void>
  get(id: string): Promise<SecretEntryState | undefined>
  close(): Promise<void>
}

/** Most records one process keeps; a few hundred bytes each. */
export const DEFAULT_MAX_ENTRIES = 10_000

/**
 * Records in this process: right for one instance (and for stdio). A full table forgets the
 * records past their time first, then refuses (the caller answers an error, nothing is lost
 * silently).
 */
export function createMemoryEntryStore(
  options: { now?: () => number; maxEntries?: number } = {},
): EntryStore {
  const now = options.now ?? Date.now
  const max = options.maxEntries ?? DEFAULT_MAX_ENTRIES
  const records = new Map<string, { state: SecretEntryState; keepUntil: number }>()
  return {
    async put(state, keepUntil) {
      const at = now()
      if (records.size >= max && !records.has(state.id)) {
        for (const [id, r] of records) if (r.keepUntil <= at) records.delete(id)
      }
      if (records.size >= max && !records.has(state.id)) throw new Error('entry store full')
      records.set(state.id, { state: structuredClone(state), keepUntil })
    },
    async get(id) {
      const r = records.get(id)
      if (!r || r.keepUntil <= now()) return undefined
      return structuredClone(r.state)
    },
    async close() {
      records.clear()
    },
  }
}

const KEY_PREFIX = 'vault-mcp-bridge:secret-entry:'

/**
 * Records in Redis, shared by every replica (`SET key json PX ttl`). Commands fail fast while
 * Redis is away; callers then answer an error rather than guess.
 */
export function createRedisEntryStore(
  url: string,
  logger: Logger,
  options: { now?: () => number } = {},
): EntryStore {
  const now = options.now ?? Date.now
  const { client, close } = createWatchedRedisClient(
    url,
    logger.child({ component: 'entry-store' }),
    {
      down: 'Redis unreachable: request_secret links are refused',
      up: 'Redis reachable again: request_secret links work',
    },
  )
  return {
    async put(state, keepUntil) {
      const ttlMs = Math.max(1, Math.ceil(keepUntil - now()))
      await client.set(`${KEY_PREFIX}${state.id}`, JSON.stringify(state), 'PX', ttlMs)
    },
    async get(id) {
      const text = await client.get(`${KEY_PREFIX}${id}`)
      return text === null ? undefined : (JSON.parse(text) as SecretEntryState)
    },
    close,
  }
}
