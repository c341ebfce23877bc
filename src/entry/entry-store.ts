/**
 * @module entry/entry-store: the shared record of each request_secret request (pending, then
 * how it ended), and each agent's count of open ones, in this process or in Redis
 * (RATE_LIMIT_REDIS_URL) so that every replica, and a restarted one, sees the same. Security: a
 * record holds names, a status, a version and an error code, never a value.
 */
import type { SecretEntryState } from '../core/ports.js'
import { createWatchedRedisClient } from '../limits/redis-client.js'
import type { Logger } from '../observability/logger.js'

/** Where the records of secret requests live. */
export interface EntryStore {
  /** Keeps `state` until `keepUntil` (epoch ms), replacing any earlier record of its id. */
  put(state: SecretEntryState, keepUntil: number): Promise<void>
  get(id: string): Promise<SecretEntryState | undefined>
  /**
   * Counts request `id` among `agent`'s open ones until `until` (epoch ms), unless the agent
   * has `max` open already: then nothing is counted, and the answer says when the first of them
   * expires. Check and count are one step (across replicas with Redis).
   */
  reserve(agent: string, id: string, until: number, max: number): Promise<Reservation>
  /** Stops counting request `id` among `agent`'s open ones (it was used or declined). */
  release(agent: string, id: string): Promise<void>
  close(): Promise<void>
}

/** Counted; or refused, with when (epoch ms) the agent's first open request expires. */
export type Reservation = { reserved: true } | { reserved: false; freeAt: number }

const RESERVED: Reservation = { reserved: true }

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
  /** Each agent's open requests: id → until. At most `max` per agent, pruned as they expire. */
  const open = new Map<string, Map<string, number>>()
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
    async reserve(agent, id, until, maxOpen) {
      const at = now()
      const mine = open.get(agent) ?? new Map<string, number>()
      for (const [k, u] of mine) if (u <= at) mine.delete(k)
      if (mine.size >= maxOpen) return { reserved: false, freeAt: Math.min(...mine.values()) }
      open.set(agent, mine.set(id, until))
      return RESERVED
    },
    async release(agent, id) {
      const mine = open.get(agent)
      mine?.delete(id)
      if (mine?.size === 0) open.delete(agent)
    },
    async close() {
      records.clear()
      open.clear()
    },
  }
}

const KEY_PREFIX = 'vault-mcp-bridge:secret-entry:'
/** Each agent's open requests: a sorted set of ids scored by when their links expire. */
const OPEN_PREFIX = `${KEY_PREFIX}open:`

/**
 * KEYS[1] the agent's set; ARGV now, until, max, id. Forgets the expired, then adds `id` if
 * fewer than `max` remain; the set lives as long as its newest link. Returns 1 when added, else
 * the earliest score (when the first open link expires) as a string.
 */
const RESERVE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(ARGV[2]) - tonumber(ARGV[1])))
return 1
`

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
    async reserve(agent, id, until, maxOpen) {
      const at = Math.floor(now())
      const answer = await client.eval(RESERVE, 1, `${OPEN_PREFIX}${agent}`, at, until, maxOpen, id)
      return answer === 1 ? RESERVED : { reserved: false, freeAt: Number(answer) }
    },
    async release(agent, id) {
      await client.zrem(`${OPEN_PREFIX}${agent}`, id)
    },
    close,
  }
}
