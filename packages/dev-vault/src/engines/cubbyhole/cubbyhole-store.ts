/** @module dev-vault/engines/cubbyhole/cubbyhole-store: per-token private storage, gone with the token. */
import { cloneJson } from '../../encoding/go-number.js'

export interface CubbyholeStore {
  /** The entry stored by `token` at `path`, or undefined. */
  get(token: string, path: string): Record<string, unknown> | undefined
  put(token: string, path: string, data: Record<string, unknown>): void
  delete(token: string, path: string): void
  /** Direct children of `prefix` (a folder path ending in `/`, or ''), folders with a trailing `/`. */
  list(token: string, prefix: string): string[]
  /** Drops everything `token` stored (its revocation does this). */
  clear(token: string): void
}

/** An empty cubbyhole store. */
export function createCubbyholeStore(): CubbyholeStore {
  const byToken = new Map<string, Map<string, Record<string, unknown>>>()
  return {
    get(token, path) {
      const found = byToken.get(token)?.get(path)
      return found === undefined ? undefined : cloneJson(found)
    },
    put(token, path, data) {
      const own = byToken.get(token) ?? new Map<string, Record<string, unknown>>()
      own.set(path, cloneJson(data))
      byToken.set(token, own)
    },
    delete(token, path) {
      byToken.get(token)?.delete(path)
    },
    list(token, prefix) {
      const out = new Set<string>()
      for (const key of byToken.get(token)?.keys() ?? []) {
        if (!key.startsWith(prefix)) continue
        const rest = key.slice(prefix.length)
        const slash = rest.indexOf('/')
        out.add(slash >= 0 ? rest.slice(0, slash + 1) : rest)
      }
      return [...out].sort()
    },
    clear(token) {
      byToken.delete(token)
    },
  }
}
