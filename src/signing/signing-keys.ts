/**
 * @module signing/signing-keys: the one root key of everything the bridge signs for later
 * verification (STATE_SIGNING_KEY), and the independent subkey each purpose signs with.
 */
import { hkdfSync, randomBytes } from 'node:crypto'

/**
 * What a key signs. Security: each purpose has its own subkey, so a token made for one can never
 * be accepted as another, even with the same root key.
 */
export type SigningPurpose =
  | 'mcp-request-state'
  /** request_secret's one-time links. */
  | 'secret-entry-link'
  /** The CSRF token of the one-time page's form. */
  | 'secret-entry-csrf'

export interface SigningKeys {
  /** The 32-byte HMAC key of one purpose (HKDF-SHA256 of the root key). */
  keyFor(purpose: SigningPurpose): Buffer
  /** Whether the root key was generated for this process (STATE_SIGNING_KEY unset). */
  readonly generated: boolean
}

// A fixed, versioned salt: changing the derivation later gives new keys under a new label.
const SALT = 'vault-mcp-bridge/signing/v1'

/**
 * The subkeys of `root` (at least 32 bytes), or of a random key made for this process when
 * `root` is undefined: then only this process can verify what it signed.
 * @throws RangeError when `root` is shorter than 32 bytes (the config schema refuses that first).
 */
export function createSigningKeys(root: Uint8Array | undefined): SigningKeys {
  if (root !== undefined && root.length < 32) {
    throw new RangeError('a signing key needs at least 32 bytes')
  }
  const key = Buffer.from(root ?? randomBytes(32))
  const derived = new Map<SigningPurpose, Buffer>()
  return {
    generated: root === undefined,
    keyFor(purpose) {
      let sub = derived.get(purpose)
      if (!sub) {
        sub = Buffer.from(hkdfSync('sha256', key, SALT, `purpose:${purpose}`, 32))
        derived.set(purpose, sub)
      }
      return sub
    },
  }
}
