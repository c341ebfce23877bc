/** @module dev-vault/engines/transit/transit-crypto: transit key material and the keysutil AEAD byte layout. */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  type CipherGCM,
  type DecipherGCM,
} from 'node:crypto'
import { goBase64Decode } from '../field-schema.js'

/** Key types the dev vault implements (symmetric AEAD only). */
export type TransitKeyType = 'aes256-gcm96' | 'aes128-gcm96' | 'chacha20-poly1305'

const ciphers: Record<TransitKeyType, { algorithm: string; keyBytes: number }> = {
  'aes256-gcm96': { algorithm: 'aes-256-gcm', keyBytes: 32 },
  'aes128-gcm96': { algorithm: 'aes-128-gcm', keyBytes: 16 },
  'chacha20-poly1305': { algorithm: 'chacha20-poly1305', keyBytes: 32 },
}

export const isTransitKeyType = (t: string): t is TransitKeyType => t in ciphers

/** One key version: its encryption key, its distinct HMAC key and its creation time. */
export interface KeyVersion {
  key: Buffer
  hmacKey: Buffer
  /** Unix seconds. */
  createdAt: number
}

/** A named transit key with all its versions (`keysutil.Policy`). */
export interface TransitKey {
  name: string
  type: TransitKeyType
  derived: boolean
  convergent: boolean
  exportable: boolean
  allowPlaintextBackup: boolean
  deletionAllowed: boolean
  minDecryptionVersion: number
  minEncryptionVersion: number
  /** Seconds; stored and reported, never acted on (the dev vault has no scheduler). */
  autoRotatePeriod: number
  latestVersion: number
  versions: Map<number, KeyVersion>
}

/** Vault's `ErrTooOld`. */
export const ERR_TOO_OLD = 'ciphertext or signature version is disallowed by policy (too old)'

const ERR_MISSING_CONTEXT =
  "missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key"

/** A failed operation: `internal` failures become 500s, the others 400s (errutil types). */
export interface CryptoFailure {
  error: string
  internal?: boolean
}

export const isFailure = (v: unknown): v is CryptoFailure =>
  typeof v === 'object' && v !== null && 'error' in v

/** New random material for one version. */
export function newKeyVersion(type: TransitKeyType, nowMs: number): KeyVersion {
  return {
    key: randomBytes(ciphers[type].keyBytes),
    hmacKey: randomBytes(32),
    createdAt: Math.floor(nowMs / 1000),
  }
}

/** A fresh key at version 1 (`keysutil.Policy` defaults: min decryption 1, min encryption 0). */
export function newTransitKey(
  name: string,
  opts: {
    type: TransitKeyType
    derived: boolean
    convergent: boolean
    exportable: boolean
    allowPlaintextBackup: boolean
    autoRotatePeriod: number
  },
  nowMs: number,
): TransitKey {
  return {
    name,
    ...opts,
    deletionAllowed: false,
    minDecryptionVersion: 1,
    minEncryptionVersion: 0,
    latestVersion: 1,
    versions: new Map([[1, newKeyVersion(opts.type, nowMs)]]),
  }
}

/**
 * `Policy.DeriveKey`: the version key itself, or HKDF-SHA256(version key, no salt, context)
 * for derived keys.
 */
function versionKey(
  k: TransitKey,
  version: number,
  context: Buffer | undefined,
  numBytes: number,
): Buffer | CryptoFailure {
  const entry = k.versions.get(version)
  if (!entry) return { error: 'invalid key version' }
  if (!k.derived) return entry.key
  if (!context || context.length === 0) return { error: ERR_MISSING_CONTEXT }
  return Buffer.from(hkdfSync('sha256', entry.key, Buffer.alloc(0), context, numBytes))
}

/**
 * `Policy.EncryptWithFactory` for AEAD types: `vault:vN:` + base64(nonce12 || ct || tag16).
 * Convergent keys take the nonce from HMAC-SHA256(derived HMAC key, plaintext).
 */
export function encryptValue(
  k: TransitKey,
  requestedVersion: number,
  context: Buffer | undefined,
  plaintextB64: string,
  aad: Buffer | undefined,
): { ciphertext: string; version: number } | CryptoFailure {
  const plaintext = goBase64Decode(plaintextB64)
  if (typeof plaintext === 'string') return { error: plaintext }
  let version = requestedVersion
  if (version === 0) version = k.latestVersion
  else if (version < 0) return { error: 'requested version for encryption is negative' }
  else if (version > k.latestVersion) {
    return { error: 'requested version for encryption is higher than the latest key version' }
  } else if (version < k.minEncryptionVersion) {
    return {
      error: 'requested version for encryption is less than the minimum encryption key version',
    }
  }
  const encBytes = ciphers[k.type].keyBytes
  const hmacBytes = k.convergent ? 32 : 0
  const key = versionKey(k, version, context, encBytes + hmacBytes)
  if (isFailure(key)) return key
  const encKey = key.subarray(0, encBytes)
  const nonce = k.convergent
    ? createHmac('sha256', key.subarray(encBytes)).update(plaintext).digest().subarray(0, 12)
    : randomBytes(12)
  const cipher = createCipheriv(ciphers[k.type].algorithm, encKey, nonce, {
    authTagLength: 16,
  } as object) as CipherGCM
  if (aad) cipher.setAAD(aad)
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
  return {
    ciphertext: `vault:v${version}:${Buffer.concat([nonce, sealed]).toString('base64')}`,
    version,
  }
}

/** Splits `vault:vN:<base64>` like `Policy.DecryptWithFactory`, applying the version rules. */
export function parseCiphertext(
  k: TransitKey,
  value: string,
  what: 'ciphertext' | 'HMAC' = 'ciphertext',
): { version: number; body: string } | CryptoFailure {
  if (!value.startsWith('vault:v')) return { error: `invalid ${what}: no prefix` }
  const rest = value.slice('vault:v'.length)
  const colon = rest.indexOf(':')
  if (colon < 0) return { error: `invalid ${what}: wrong number of fields` }
  const verText = rest.slice(0, colon)
  if (!/^[+-]?\d+$/.test(verText)) {
    return { error: `invalid ${what}: version number could not be decoded` }
  }
  let version = Number(verText)
  if (version === 0) version = 1
  if (version > k.latestVersion) return { error: `invalid ${what}: version is too new` }
  return { version, body: rest.slice(colon + 1) }
}

/** `Policy.DecryptWithFactory` for AEAD types; returns the plaintext as base64. */
export function decryptValue(
  k: TransitKey,
  value: string,
  context: Buffer | undefined,
  aad: Buffer | undefined,
): string | CryptoFailure {
  const parsed = parseCiphertext(k, value)
  if (isFailure(parsed)) return parsed
  if (k.minDecryptionVersion > 0 && parsed.version < k.minDecryptionVersion) {
    return { error: ERR_TOO_OLD }
  }
  const decoded = goBase64Decode(parsed.body)
  if (typeof decoded === 'string') return { error: 'invalid ciphertext: could not decode base64' }
  const encBytes = ciphers[k.type].keyBytes
  const key = versionKey(k, parsed.version, context, encBytes + (k.convergent ? 32 : 0))
  if (isFailure(key)) return key
  if (decoded.length < 12) return { error: 'invalid ciphertext length' }
  const authFailed = { error: 'cipher: message authentication failed' }
  if (decoded.length < 12 + 16) return authFailed
  const nonce = decoded.subarray(0, 12)
  const tag = decoded.subarray(decoded.length - 16)
  const ct = decoded.subarray(12, decoded.length - 16)
  try {
    const decipher = createDecipheriv(ciphers[k.type].algorithm, key.subarray(0, encBytes), nonce, {
      authTagLength: 16,
    } as object) as DecipherGCM
    decipher.setAuthTag(tag)
    if (aad) decipher.setAAD(aad)
    return Buffer.concat([decipher.update(ct), decipher.final()]).toString('base64')
  } catch {
    return authFailed
  }
}

/** HMAC of `input` with the version's HMAC key (never the encryption key), Node digest name. */
export function hmacValue(key: Buffer, digest: string, input: Buffer): Buffer {
  return createHmac(digest, key).update(input).digest()
}
