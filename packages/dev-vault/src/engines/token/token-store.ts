/** @module dev-vault/engines/token/token-store: service tokens in memory: TTLs, use counts, accessors, parent/child revocation. */
import { newAccessor, newServiceToken } from '../../routing/ids.js'

/** The system default and maximum token TTL: 768h (reference §4.1). */
export const DEFAULT_TOKEN_TTL = 2764800

export interface TokenEntry {
  id: string
  accessor: string
  /** Sorted, lower-case token policies. */
  policies: string[]
  /** Parent token id; null for orphans. */
  parent: string | null
  path: string
  meta: Record<string, string> | null
  displayName: string
  /** Remaining uses; 0 = unlimited. */
  numUses: number
  /** ms */
  creationTime: number
  /** Seconds; 0 = never expires (a response-wrapping token's may be fractional). */
  creationTtl: number
  explicitMaxTtl: number
  /**
   * The `period` asked for at creation, seconds; 0 = none. Renewals of a token made against a
   * role use the role's period instead (Vault's `authRenew`).
   */
  period: number
  renewable: boolean
  /** The identity entity the token acts for; '' = none. */
  entityId: string
  /** The token role it was created against, or null. */
  role: string | null
  /**
   * Whether the token has a lease entry, as every token made through `auth/token/create` or a
   * login has (lookups then show `issue_time` and `renewable`, even for a non-expiring token).
   * Only the root token generated at start has none, like the one `vault operator init` makes.
   */
  hasLease: boolean
  /** ms; null = never expires. */
  expireAt: number | null
  /** ms of the last renewal, null before any. */
  lastRenewal: number | null
  /** Set on the request that consumed the last use: revoked once that request finishes. */
  revokeAfterUse: boolean
}

export type NewToken = Omit<
  TokenEntry,
  | 'id'
  | 'accessor'
  | 'creationTime'
  | 'expireAt'
  | 'lastRenewal'
  | 'revokeAfterUse'
  | 'period'
  | 'entityId'
  | 'role'
> & { id?: string } & Partial<Pick<TokenEntry, 'period' | 'entityId' | 'role'>>

export interface TokenStore {
  /** Creates a token; `creationTtl` 0 means non-expiring. */
  create(t: NewToken): TokenEntry
  /**
   * The live token, or undefined if unknown, revoked or expired (expired ones are revoked).
   * A token whose last use the current request spent is still found (Vault's `lookupTainted`)
   * unless `untainted` is set (Vault's `Lookup`).
   */
  lookup(id: string, options?: { untainted?: boolean }): TokenEntry | undefined
  /** The live token with this accessor, or undefined. */
  byAccessor(accessor: string): TokenEntry | undefined
  /** Revokes a token and, recursively, its non-orphan children. */
  revoke(id: string): void
  /**
   * Counts one use of a token with `num_uses`; the request that consumes the last use still
   * runs and the token is revoked when it finishes (`finishUse`).
   */
  use(t: TokenEntry): void
  finishUse(t: TokenEntry): void
  /** Remaining TTL in whole seconds (0 for non-expiring). */
  remainingTtl(t: TokenEntry): number
  /** Revokes every token issued under an auth path (when that auth method is disabled). */
  revokeByPathPrefix(prefix: string): void
  /** Calls `listener` with the id of every token revoked from now on (cubbyholes go with them). */
  onRevoke(listener: (id: string) => void): void
}

/** An empty token store on the given clock. */
export function createTokenStore(now: () => number): TokenStore {
  const tokens = new Map<string, TokenEntry>()
  const accessors = new Map<string, string>()
  const children = new Map<string, Set<string>>()
  const listeners: ((id: string) => void)[] = []

  function revoke(id: string): void {
    const t = tokens.get(id)
    const kids = children.get(id)
    children.delete(id)
    tokens.delete(id)
    if (t) {
      accessors.delete(t.accessor)
      // Vault deletes the token's entry in its parent's index as well: the parent keeps no hold
      // on the id (a later token with the same id is not revoked with it), nor the memory.
      const siblings = t.parent ? children.get(t.parent) : undefined
      siblings?.delete(id)
      if (siblings?.size === 0) children.delete(t.parent!)
      for (const listener of listeners) listener(id)
    }
    for (const kid of kids ?? []) revoke(kid)
  }

  function lookup(id: string, options: { untainted?: boolean } = {}): TokenEntry | undefined {
    const t = tokens.get(id)
    if (!t) return undefined
    if (t.expireAt !== null && t.expireAt <= now()) {
      revoke(id)
      return undefined
    }
    if (options.untainted && t.revokeAfterUse) return undefined
    return t
  }

  return {
    create(t) {
      const created = now()
      let id = t.id ?? newServiceToken()
      while (tokens.has(id) && t.id === undefined) id = newServiceToken()
      let accessor = newAccessor()
      while (accessors.has(accessor)) accessor = newAccessor()
      const entry: TokenEntry = {
        period: 0,
        entityId: '',
        role: null,
        ...t,
        id,
        accessor,
        creationTime: created,
        expireAt: t.creationTtl > 0 ? created + t.creationTtl * 1000 : null,
        lastRenewal: null,
        revokeAfterUse: false,
      }
      tokens.set(id, entry)
      accessors.set(accessor, id)
      if (entry.parent) {
        const set = children.get(entry.parent) ?? new Set<string>()
        set.add(id)
        children.set(entry.parent, set)
      }
      return entry
    },
    lookup,
    byAccessor(accessor) {
      const id = accessors.get(accessor)
      return id === undefined ? undefined : lookup(id)
    },
    revoke,
    use(t) {
      if (t.numUses <= 0) return
      t.numUses -= 1
      if (t.numUses === 0) t.revokeAfterUse = true
    },
    finishUse(t) {
      if (t.revokeAfterUse) revoke(t.id)
    },
    revokeByPathPrefix(prefix) {
      for (const t of [...tokens.values()]) if (t.path.startsWith(prefix)) revoke(t.id)
    },
    remainingTtl(t) {
      if (t.expireAt === null) return 0
      return Math.max(0, Math.floor((t.expireAt - now()) / 1000))
    },
    onRevoke(listener) {
      listeners.push(listener)
    },
  }
}
