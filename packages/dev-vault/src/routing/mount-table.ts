/** @module dev-vault/routing/mount-table: secret and auth mounts, matched by longest path prefix. */
import type { Engine } from './backend.js'
import type { CoreEngine } from './core-engine.js'
import { goUuid, newMountAccessor } from './ids.js'

export interface Mount {
  /** Full logical prefix with a trailing slash: `secret/`, `auth/approle/`, `sys/`. */
  path: string
  table: 'secret' | 'auth' | 'system'
  type: string
  description: string
  accessor: string
  uuid: string
  options: Record<string, string> | null
  config: { default_lease_ttl: number; max_lease_ttl: number }
  local: boolean
  sealWrap: boolean
  engine: CoreEngine | Engine
}

export interface MountTable {
  /** Adds a mount; returns the conflicting mount's path (relative to its table) if any. */
  add(
    m: Omit<Mount, 'accessor' | 'uuid'>,
  ): { ok: true; mount: Mount } | { ok: false; conflict: string }
  remove(path: string): Mount | undefined
  /** Longest mount whose path prefixes `path` (or `path + '/'`). */
  match(path: string): Mount | undefined
  get(path: string): Mount | undefined
  list(table: Mount['table']): Mount[]
}

/** An empty mount table. */
export function createMountTable(): MountTable {
  const mounts = new Map<string, Mount>()
  return {
    add(m) {
      for (const existing of mounts.values()) {
        if (existing.path.startsWith(m.path) || m.path.startsWith(existing.path)) {
          const rel =
            existing.table === 'auth' ? existing.path.slice('auth/'.length) : existing.path
          return { ok: false, conflict: rel }
        }
      }
      const prefix = m.table === 'auth' ? `auth_${m.type}` : m.type
      const mount: Mount = { ...m, accessor: newMountAccessor(prefix), uuid: goUuid() }
      mounts.set(m.path, mount)
      return { ok: true, mount }
    },
    remove(path) {
      const m = mounts.get(path)
      mounts.delete(path)
      return m
    },
    match(path) {
      let best: Mount | undefined
      for (const m of mounts.values()) {
        if (
          (path.startsWith(m.path) || `${path}/` === m.path) &&
          (!best || m.path.length > best.path.length)
        ) {
          best = m
        }
      }
      return best
    },
    get: (path) => mounts.get(path),
    list: (table) =>
      [...mounts.values()]
        .filter((m) => m.table === table)
        .sort((a, b) => (a.path < b.path ? -1 : 1)),
  }
}

const runningVersions: Record<string, string> = {
  kv: 'v0.20.0+builtin',
  transit: 'v1.17.0+builtin.vault',
  approle: 'v1.17.0+builtin.vault',
  jwt: 'v0.21.0+builtin',
  token: 'v1.17.0+builtin.vault',
  system: 'v1.17.0+builtin.vault',
  cubbyhole: 'v1.17.0+builtin.vault',
  identity: 'v1.17.0+builtin.vault',
}

/** A mount as `GET sys/mounts` / `GET sys/auth` render it (reference §1.11). */
export function mountEntryJson(m: Mount): Record<string, unknown> {
  const config: Record<string, unknown> = {
    default_lease_ttl: m.config.default_lease_ttl,
    force_no_cache: false,
    max_lease_ttl: m.config.max_lease_ttl,
  }
  if (m.table === 'auth') config.token_type = 'default-service'
  return {
    accessor: m.accessor,
    config,
    deprecation_status: 'supported',
    description: m.description,
    external_entropy_access: false,
    local: m.local,
    options: m.options,
    plugin_version: '',
    running_plugin_version: runningVersions[m.type] ?? '',
    running_sha256: '',
    seal_wrap: m.sealWrap,
    type: m.type,
    uuid: m.uuid,
  }
}
