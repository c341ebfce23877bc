/**
 * @module limits/known-credentials: the credentials that verified from each client address, kept
 * as HMACs in a bounded table, so that an address over the auth-failure limit still admits the
 * callers it already had.
 */
import { createHmac, randomBytes } from 'node:crypto'

/** Which credentials have verified from which client address (an `addressKey`). */
export interface KnownCredentials {
  /** Notes that `credential` verified from `address` (and marks it recently used). */
  remember(address: string, credential: string): void
  /** Whether `credential` has verified from `address` and is still in the table. */
  knows(address: string, credential: string): boolean
  /** As `knows`, and marks a known credential recently used (one HMAC for both). */
  touch(address: string, credential: string): boolean
  /** Entries held, over all addresses. */
  readonly size: number
}

/** Most entries the table holds, over all addresses (about 150 bytes each: some 15 MB). */
export const DEFAULT_MAX_KNOWN = 100_000
/** Most credentials one address keeps; beyond it its least recently used one is dropped. */
export const DEFAULT_MAX_KNOWN_PER_ADDRESS = 256

/**
 * Creates the table. Security: a credential is kept only as an HMAC-SHA-256 (first 128 bits)
 * under a random key of this process, so neither the table nor a heap dump holds a credential or
 * a digest that could be checked against guesses elsewhere; the key dies with the process.
 *
 * Both bounds drop the least recently used entry first (the per-address one within that address,
 * the overall one from the address least recently used). Dropping only ever makes the limiter
 * refuse more: a dropped credential is treated as new while its address is over the limit.
 */
export function createKnownCredentials(
  options: { maxEntries?: number; maxPerAddress?: number } = {},
): KnownCredentials {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_KNOWN
  const maxPerAddress = options.maxPerAddress ?? DEFAULT_MAX_KNOWN_PER_ADDRESS
  const key = randomBytes(32)
  // The first 16 bytes of the HMAC as a 16-character 'binary' (latin1) string, one byte a
  // character: the cheapest Set key that holds them (this runs on every authenticated request).
  const digest = (credential: string) =>
    createHmac('sha256', key).update(credential, 'utf8').digest('binary').slice(0, 16)
  // Addresses, and each address's digests, in least-recently-used-first order (Map and Set keep
  // insertion order; a use deletes and re-inserts).
  const byAddress = new Map<string, Set<string>>()
  let size = 0

  const dropOldest = (address: string, entries: Set<string>) => {
    const oldest = entries.values().next().value as string
    entries.delete(oldest)
    size--
    if (entries.size === 0) byAddress.delete(address)
  }

  const use = (address: string, d: string) => {
    const entries = byAddress.get(address) ?? new Set<string>()
    byAddress.delete(address)
    byAddress.set(address, entries)
    if (entries.delete(d)) size--
    entries.add(d)
    size++
    while (entries.size > maxPerAddress) dropOldest(address, entries)
    while (size > maxEntries) {
      const [oldestAddress, oldestEntries] = byAddress.entries().next().value as [
        string,
        Set<string>,
      ]
      dropOldest(oldestAddress, oldestEntries)
    }
  }

  return {
    remember(address, credential) {
      use(address, digest(credential))
    },
    knows(address, credential) {
      return byAddress.get(address)?.has(digest(credential)) ?? false
    },
    touch(address, credential) {
      const d = digest(credential)
      if (!byAddress.get(address)?.has(d)) return false
      use(address, d)
      return true
    },
    get size() {
      return size
    },
  }
}
