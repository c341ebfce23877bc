/** @module dev-vault/routing/ids: identifiers shaped like Vault's (request ids, tokens, accessors). */
import { randomBytes, randomInt } from 'node:crypto'

/** hashicorp/go-uuid: 16 random bytes as 8-4-4-4-12 hex, without RFC 4122 version bits. */
export function goUuid(): string {
  const h = randomBytes(16).toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

const base62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** `n` characters of base62 from a CSPRNG. */
export function randomBase62(n: number): string {
  let out = ''
  for (let i = 0; i < n; i++) out += base62[randomInt(62)]
  return out
}

/** A service token id: `hvs.` and 24 base62 characters (real ones are longer and opaque). */
export function newServiceToken(): string {
  return `hvs.${randomBase62(24)}`
}

/** A token accessor: 24 base62 characters. */
export function newAccessor(): string {
  return randomBase62(24)
}

/** A mount accessor: `<type>_<8 hex>`. */
export function newMountAccessor(type: string): string {
  return `${type}_${randomBytes(4).toString('hex')}`
}
