/**
 * @module dev-vault/engines/transit/transit-crypto: transit key material, the keysutil AEAD byte
 * layout, and Ed25519 / ECDSA P-256 signatures.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  type CipherGCM,
  type DecipherGCM,
  type KeyObject,
} from 'node:crypto'
import { goBase64Decode } from '../field-schema.js'

/** Symmetric AEAD key types (encryption). */
export type SymmetricKeyType = 'aes256-gcm96' | 'aes128-gcm96' | 'chacha20-poly1305'
/** Asymmetric key types (signing). */
export type SigningKeyType = 'ed25519' | 'ecdsa-p256'
/** Key types the dev vault implements. */
export type TransitKeyType = SymmetricKeyType | SigningKeyType

const ciphers: Record<SymmetricKeyType, { algorithm: string; keyBytes: number }> = {
  'aes256-gcm96': { algorithm: 'aes-256-gcm', keyBytes: 32 },
  'aes128-gcm96': { algorithm: 'aes-128-gcm', keyBytes: 16 },
  'chacha20-poly1305': { algorithm: 'chacha20-poly1305', keyBytes: 32 },
}

export const isSymmetric = (t: string): t is SymmetricKeyType => t in ciphers
export const isSigning = (t: string): t is SigningKeyType => t === 'ed25519' || t === 'ecdsa-p256'
export const isTransitKeyType = (t: string): t is TransitKeyType => isSymmetric(t) || isSigning(t)

/**
 * One key version: its key (symmetric types) or key pair (signing types), its distinct HMAC key
 * (every type has one) and its creation time.
 */
export interface KeyVersion {
  key?: Buffer
  privateKey?: KeyObject
  /** Vault's `FormattedPublicKey`: base64 of the raw key (Ed25519) or a PEM SPKI block (ECDSA). */
  publicKey?: string
  hmacKey: Buffer
  /** Unix seconds. */
  createdAt: number
  /** Milliseconds, for `creation_time` of signing keys. */
  createdAtMs: number
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
  const times = {
    hmacKey: randomBytes(32),
    createdAt: Math.floor(nowMs / 1000),
    createdAtMs: nowMs,
  }
  if (isSymmetric(type)) return { key: randomBytes(ciphers[type].keyBytes), ...times }
  if (type === 'ed25519') {
    const pair = generateKeyPairSync('ed25519')
    const raw = Buffer.from(pair.publicKey.export({ format: 'jwk' }).x as string, 'base64url')
    return { privateKey: pair.privateKey, publicKey: raw.toString('base64'), ...times }
  }
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }) as string
  return { privateKey: pair.privateKey, publicKey: pem, ...times }
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
  if (!entry?.key) return { error: 'invalid key version' }
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
  if (!isSymmetric(k.type)) {
    return { error: `message encryption not supported for key type ${k.type}` }
  }
  const type = k.type
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
  const encBytes = ciphers[type].keyBytes
  const hmacBytes = k.convergent ? 32 : 0
  const key = versionKey(k, version, context, encBytes + hmacBytes)
  if (isFailure(key)) return key
  const encKey = key.subarray(0, encBytes)
  const nonce = k.convergent
    ? createHmac('sha256', key.subarray(encBytes)).update(plaintext).digest().subarray(0, 12)
    : randomBytes(12)
  const cipher = createCipheriv(ciphers[type].algorithm, encKey, nonce, {
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
  if (!isSymmetric(k.type)) {
    return { error: `message decryption not supported for key type ${k.type}` }
  }
  const type = k.type
  const parsed = parseCiphertext(k, value)
  if (isFailure(parsed)) return parsed
  if (k.minDecryptionVersion > 0 && parsed.version < k.minDecryptionVersion) {
    return { error: ERR_TOO_OLD }
  }
  const decoded = goBase64Decode(parsed.body)
  if (typeof decoded === 'string') return { error: 'invalid ciphertext: could not decode base64' }
  const encBytes = ciphers[type].keyBytes
  const key = versionKey(k, parsed.version, context, encBytes + (k.convergent ? 32 : 0))
  if (isFailure(key)) return key
  if (decoded.length < 12) return { error: 'invalid ciphertext length' }
  const authFailed = { error: 'cipher: message authentication failed' }
  if (decoded.length < 12 + 16) return authFailed
  const nonce = decoded.subarray(0, 12)
  const tag = decoded.subarray(decoded.length - 16)
  const ct = decoded.subarray(12, decoded.length - 16)
  try {
    const decipher = createDecipheriv(ciphers[type].algorithm, key.subarray(0, encBytes), nonce, {
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

// ---------------------------------------------------------------------------------------------
// Signatures (`Policy.SignWithOptions`, `VerifySignatureWithOptions`)

/** Vault's `HashTypeMap` names of the hashes a signature may use → Node digest names. */
export const SIGNATURE_HASHES: Record<string, string> = {
  sha1: 'sha1',
  'sha2-224': 'sha224',
  'sha2-256': 'sha256',
  'sha2-384': 'sha384',
  'sha2-512': 'sha512',
  'sha3-224': 'sha3-224',
  'sha3-256': 'sha3-256',
  'sha3-384': 'sha3-384',
  'sha3-512': 'sha3-512',
}

export type Marshaling = 'asn1' | 'jws'

/**
 * Signs `input` with a version of a signing key: ECDSA over the `hash` of the input (Vault hashes
 * first, then signs the digest; Node does both in one step), Ed25519 over the input itself.
 * ASN.1 signatures are standard base64, JWS ones (r||s for ECDSA) unpadded base64url.
 */
export function signValue(
  k: TransitKey,
  requestedVersion: number,
  input: Buffer,
  options: { hash: string; marshaling: Marshaling },
): { signature: string; version: number } | CryptoFailure {
  let version = requestedVersion
  if (version === 0) version = k.latestVersion
  else if (version < 0) return { error: 'requested version for signing is negative' }
  else if (version > k.latestVersion) {
    return { error: 'requested version for signing is higher than the latest key version' }
  } else if (k.minEncryptionVersion > 0 && version < k.minEncryptionVersion) {
    return {
      error: 'requested version for signing is less than the minimum encryption key version',
    }
  }
  const entry = k.versions.get(version)
  if (!entry?.privateKey) return { error: `version ${version} not found`, internal: true }
  const sig =
    k.type === 'ed25519'
      ? nodeSign(null, input, entry.privateKey)
      : nodeSign(options.hash, input, {
          key: entry.privateKey,
          dsaEncoding: options.marshaling === 'jws' ? 'ieee-p1363' : 'der',
        })
  const encoded = sig.toString(options.marshaling === 'jws' ? 'base64url' : 'base64')
  return { signature: `vault:v${version}:${encoded}`, version }
}

/** Checks a `vault:vN:` signature of `input`; a well-formed signature that does not match is `false`. */
export function verifySignatureValue(
  k: TransitKey,
  input: Buffer,
  signature: string,
  options: { hash: string; marshaling: Marshaling },
): boolean | CryptoFailure {
  if (!signature.startsWith('vault:v')) return { error: 'invalid signature: no prefix' }
  const rest = signature.slice('vault:v'.length)
  const colon = rest.indexOf(':')
  if (colon < 0) return { error: 'invalid signature: wrong number of fields' }
  const verText = rest.slice(0, colon)
  if (!/^[+-]?\d+$/.test(verText)) {
    return { error: 'invalid signature: version number could not be decoded' }
  }
  const version = Number(verText)
  if (version > k.latestVersion) return { error: 'invalid signature: version is too new' }
  if (k.minDecryptionVersion > 0 && version < k.minDecryptionVersion) return { error: ERR_TOO_OLD }
  const body = rest.slice(colon + 1)
  const sig =
    options.marshaling === 'jws'
      ? /^[A-Za-z0-9_-]*$/.test(body) && body.length % 4 !== 1
        ? Buffer.from(body, 'base64url')
        : undefined
      : goBase64Decode(body)
  if (sig === undefined || typeof sig === 'string') {
    return { error: 'invalid base64 signature value' }
  }
  const entry = k.versions.get(version)
  if (!entry?.privateKey) return { error: `version ${version} not found`, internal: true }
  if (k.type === 'ecdsa-p256' && options.marshaling === 'asn1') {
    const der = derSignatureCheck(sig)
    if (der) return { error: der }
  }
  try {
    if (k.type === 'ed25519') return nodeVerify(null, input, entry.privateKey, sig)
    if (options.marshaling === 'jws' && sig.length !== 64) return false
    return nodeVerify(
      options.hash,
      input,
      {
        key: entry.privateKey,
        dsaEncoding: options.marshaling === 'jws' ? 'ieee-p1363' : 'der',
      },
      sig,
    )
  } catch {
    return false
  }
}

/**
 * Go's `asn1.Unmarshal` of an ECDSA signature: a DER SEQUENCE of two INTEGERs, and nothing
 * after it. Returns Vault's error text, or undefined when the shape is right.
 */
function derSignatureCheck(sig: Buffer): string | undefined {
  const tlv = (at: number): { tag: number; start: number; end: number } | undefined => {
    if (at + 2 > sig.length) return undefined
    const tag = sig[at]!
    let len = sig[at + 1]!
    let start = at + 2
    if (len & 0x80) {
      const n = len & 0x7f
      if (n === 0 || n > 2 || start + n > sig.length) return undefined
      len = 0
      for (let i = 0; i < n; i++) len = (len << 8) | sig[start + i]!
      start += n
    }
    return start + len <= sig.length ? { tag, start, end: start + len } : undefined
  }
  const seq = tlv(0)
  if (!seq || seq.tag !== 0x30) return 'supplied signature is invalid'
  const r = tlv(seq.start)
  const s = r && tlv(r.end)
  if (!r || !s || r.tag !== 0x02 || s.tag !== 0x02 || s.end > seq.end) {
    return 'supplied signature is invalid'
  }
  if (seq.end !== sig.length) return 'supplied signature contains extra data'
  return undefined
}
