/** @module dev-vault/engines/kv/kv-state: KV v2 keys, versions and the pruning rule (reference §2.4). */
import { cloneJson } from '../../encoding/go-number.js'
import { formatDuration, timestampString } from '../../encoding/go-time.js'

export interface KvVersion {
  /** ms */
  createdTime: number
  /** ms; null = not deleted (a future time is a scheduled deletion). */
  deletionTime: number | null
  destroyed: boolean
  data: Record<string, unknown> | null
}

export interface KvKey {
  createdTime: number
  updatedTime: number
  currentVersion: number
  oldestVersion: number
  maxVersions: number
  casRequired: boolean
  deleteVersionAfter: number
  customMetadata: Record<string, string> | null
  versions: Map<number, KvVersion>
}

/** A fresh key's metadata (no versions yet). */
export function newKey(now: number): KvKey {
  return {
    createdTime: now,
    updatedTime: now,
    currentVersion: 0,
    oldestVersion: 0,
    maxVersions: 0,
    casRequired: false,
    deleteVersionAfter: 0,
    customMetadata: null,
    versions: new Map(),
  }
}

/** True when the version is soft-deleted at `now` (a future deletion time is still live). */
export function isDeleted(v: KvVersion, now: number): boolean {
  return v.deletionTime !== null && v.deletionTime <= now
}

/**
 * The `delete_version_after` that applies to new versions of this key, in seconds (0 = none).
 * The mount's own `config` is not emulated (no bridge operation uses it), so it is the key's.
 */
export function effectiveDeleteAfter(key: KvKey): number {
  return key.deleteVersionAfter > 0 ? key.deleteVersionAfter : 0
}

/** `KeyMetadata.AddVersion` with pruning: effective max = the key's (no mount config), 0 means 10. */
export function addVersion(key: KvKey, data: Record<string, unknown>, now: number): KvVersion {
  const after = effectiveDeleteAfter(key)
  key.currentVersion += 1
  const v: KvVersion = {
    createdTime: now,
    deletionTime: after > 0 ? now + after * 1000 : null,
    destroyed: false,
    data: cloneJson(data),
  }
  key.versions.set(key.currentVersion, v)
  key.updatedTime = now
  const effective = key.maxVersions === 0 ? 10 : key.maxVersions
  if (key.currentVersion - key.oldestVersion >= effective) {
    const last = key.currentVersion - effective
    for (let n = key.oldestVersion; n <= last; n++) key.versions.delete(n)
    key.oldestVersion = last + 1
  }
  return v
}

/** Version metadata as data responses show it (sorted map). */
export function versionJson(key: KvKey, n: number, v: KvVersion): Record<string, unknown> {
  return {
    created_time: timestampString(v.createdTime),
    custom_metadata: key.customMetadata,
    deletion_time: v.deletionTime === null ? '' : timestampString(v.deletionTime),
    destroyed: v.destroyed,
    version: n,
  }
}

/** `GET metadata/:path` data (reference §2.8). */
export function metadataJson(key: KvKey): Record<string, unknown> {
  const versions: Record<string, unknown> = {}
  for (const [n, v] of key.versions) {
    versions[String(n)] = {
      created_time: timestampString(v.createdTime),
      deletion_time: v.deletionTime === null ? '' : timestampString(v.deletionTime),
      destroyed: v.destroyed,
    }
  }
  return {
    cas_required: key.casRequired,
    created_time: timestampString(key.createdTime),
    current_version: key.currentVersion,
    custom_metadata: key.customMetadata,
    delete_version_after: formatDuration(key.deleteVersionAfter),
    max_versions: key.maxVersions,
    oldest_version: key.oldestVersion,
    updated_time: timestampString(key.updatedTime),
    versions,
  }
}
