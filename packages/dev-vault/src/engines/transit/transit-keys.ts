/** @module dev-vault/engines/transit/transit-keys: transit key management paths (keys, config, rotate). */
import { VaultHttpError, type EngineResponse } from '../../routing/backend.js'
import {
  isSigning,
  isSymmetric,
  isTransitKeyType,
  newKeyVersion,
  newTransitKey,
  type TransitKey,
  type TransitKeyType,
} from './transit-crypto.js'
import { localTimeString } from '../../encoding/go-time.js'
import { decodeFields, ignoredParamsWarning, type FieldSchema } from '../field-schema.js'
import { errorResponse } from '../../routing/error-responses.js'

/** The key store of one transit mount. */
export type KeyStore = Map<string, TransitKey>

/** Vault accepts these types; the dev vault does not implement them (a known difference). */
const UNIMPLEMENTED_TYPES = new Set([
  'ecdsa-p384',
  'ecdsa-p521',
  'rsa-2048',
  'rsa-3072',
  'rsa-4096',
  'hmac',
  'managed_key',
  'aes128-cmac',
  'aes256-cmac',
])

/** `formatKeyPolicy`: the body of `GET keys/:name` (a Go map, so keys sort on the wire). */
export function keyBody(k: TransitKey): Record<string, unknown> {
  const keys: Record<string, unknown> = {}
  // Versions below min_decryption_version are archived out of the policy's key map.
  for (const [v, entry] of k.versions) {
    if (v < k.minDecryptionVersion) continue
    // Symmetric keys show their creation time only; signing keys their public key (never
    // the private one), as `asymKey` does.
    keys[String(v)] = isSymmetric(k.type)
      ? entry.createdAt
      : {
          name: k.type === 'ed25519' ? 'ed25519' : 'P-256',
          public_key: entry.publicKey ?? '',
          certificate_chain: '',
          creation_time: localTimeString(entry.createdAtMs),
        }
  }
  const signing = isSigning(k.type)
  const body: Record<string, unknown> = {
    name: k.name,
    type: k.type,
    derived: k.derived,
    deletion_allowed: k.deletionAllowed,
    min_available_version: 0,
    min_decryption_version: k.minDecryptionVersion,
    min_encryption_version: k.minEncryptionVersion,
    latest_version: k.latestVersion,
    exportable: k.exportable,
    allow_plaintext_backup: k.allowPlaintextBackup,
    supports_encryption: !signing,
    supports_decryption: !signing,
    supports_signing: signing,
    supports_derivation: k.type !== 'ecdsa-p256',
    auto_rotate_period: k.autoRotatePeriod,
    imported_key: false,
    keys,
  }
  if (k.derived) {
    body.kdf = 'hkdf_sha256'
    body.convergent_encryption = k.convergent
    if (k.convergent) body.convergent_encryption_version = 3
  }
  return body
}

const writeSchema: FieldSchema = {
  name: 'string',
  type: 'string',
  derived: 'bool',
  convergent_encryption: 'bool',
  exportable: 'bool',
  allow_plaintext_backup: 'bool',
  auto_rotate_period: 'durationSecond',
  key_size: 'int',
  managed_key_name: 'string',
  managed_key_id: 'string',
  context: 'string',
  parameter_set: 'string',
  hybrid_key_type_pqc: 'string',
  hybrid_key_type_ec: 'string',
}

/** The error for a key type Vault knows; `null` when the type is implemented here. */
export function keyTypeError(type: string): string | null {
  if (isTransitKeyType(type)) return null
  if (UNIMPLEMENTED_TYPES.has(type)) return `key type ${type} is not supported by the dev vault`
  return `unknown key type ${type}`
}

/** `POST keys/:name`: creates the key, or returns it with a warning when it already exists. */
export function writeKey(
  store: KeyStore,
  name: string,
  data: Record<string, unknown>,
  nowMs: number,
): EngineResponse {
  const f = decodeFields(data, writeSchema)
  const autoRotatePeriod = f.int('auto_rotate_period')
  if (autoRotatePeriod !== 0 && autoRotatePeriod < 3600) {
    throw errorResponse('auto rotate period must be 0 to disable or at least an hour')
  }
  const derived = f.bool('derived')
  const convergent = f.bool('convergent_encryption')
  if (!derived && convergent) {
    throw errorResponse('convergent encryption requires derivation to be enabled')
  }
  const type = f.str('type', 'aes256-gcm96')
  const typeError = keyTypeError(type)
  if (typeError) throw errorResponse(typeError)
  if (f.int('key_size') !== 0) throw errorResponse(`key_size is not valid for algorithm ${type}`)
  if (derived && type === 'ecdsa-p256') {
    throw errorResponse(
      `key derivation and convergent encryption not supported for keys of type ${type}`,
    )
  }
  if (derived && type === 'ed25519') {
    throw errorResponse('derived ed25519 keys are not supported by the dev vault')
  }
  const warnings = ignoredParamsWarning(f.unknown)
  const existing = store.get(name)
  if (existing) {
    return {
      kind: 'envelope',
      data: keyBody(existing),
      warnings: [`key ${name} already existed`, ...warnings],
    }
  }
  const key = newTransitKey(
    name,
    {
      type: type as TransitKeyType,
      derived,
      convergent,
      exportable: f.bool('exportable'),
      allowPlaintextBackup: f.bool('allow_plaintext_backup'),
      autoRotatePeriod,
    },
    nowMs,
  )
  store.set(name, key)
  return { kind: 'envelope', data: keyBody(key), ...(warnings.length ? { warnings } : {}) }
}

/** Creates a key on behalf of `encrypt` (upsert). */
export function upsertKey(
  store: KeyStore,
  name: string,
  type: string,
  derived: boolean,
  convergent: boolean,
  nowMs: number,
): TransitKey {
  const existing = store.get(name)
  if (existing) return existing
  if (!isTransitKeyType(type)) throw errorResponse(`unknown key type ${type}`)
  const key = newTransitKey(
    name,
    {
      type,
      derived,
      convergent,
      exportable: false,
      allowPlaintextBackup: false,
      autoRotatePeriod: 0,
    },
    nowMs,
  )
  store.set(name, key)
  return key
}

const configSchema: FieldSchema = {
  name: 'string',
  min_decryption_version: 'int',
  min_encryption_version: 'int',
  deletion_allowed: 'bool',
  exportable: 'bool',
  allow_plaintext_backup: 'bool',
  auto_rotate_period: 'durationSecond',
}

/**
 * `POST keys/:name/config`. Validates on a copy and commits only on success, so a rejected
 * request changes nothing (Vault restores the originals on error too).
 */
export function configureKey(
  store: KeyStore,
  name: string,
  data: Record<string, unknown>,
): EngineResponse {
  const f = decodeFields(data, configSchema)
  const k = store.get(name)
  if (!k) throw errorResponse(`no existing key named ${name} could be found`)
  const next = { ...k }
  const warnings: string[] = []
  if (f.has('min_decryption_version')) {
    let v = f.int('min_decryption_version')
    if (v < 0) throw errorResponse('min decryption version cannot be negative')
    if (v === 0) {
      v = 1
      warnings.push('since Vault 0.3, transit key numbering starts at 1; forcing minimum to 1')
    }
    if (v !== next.minDecryptionVersion) {
      if (v > next.latestVersion) {
        throw errorResponse(
          `cannot set min decryption version of ${v}, latest key version is ${next.latestVersion}`,
        )
      }
      next.minDecryptionVersion = v
    }
  }
  if (f.has('min_encryption_version')) {
    const v = f.int('min_encryption_version')
    if (v < 0) throw errorResponse('min encryption version cannot be negative')
    if (v !== next.minEncryptionVersion) {
      if (v > next.latestVersion) {
        throw errorResponse(
          `cannot set min encryption version of ${v}, latest key version is ${next.latestVersion}`,
        )
      }
      next.minEncryptionVersion = v
    }
  }
  if (next.minEncryptionVersion > 0 && next.minEncryptionVersion < next.minDecryptionVersion) {
    throw errorResponse(
      `cannot set min encryption/decryption values; min encryption version of ${next.minEncryptionVersion} must be greater than or equal to min decryption version of ${next.minDecryptionVersion}`,
    )
  }
  if (f.has('deletion_allowed')) next.deletionAllowed = f.bool('deletion_allowed')
  // exportable and allow_plaintext_backup are one-way switches: false never unsets them.
  if (f.bool('exportable')) next.exportable = true
  if (f.bool('allow_plaintext_backup')) next.allowPlaintextBackup = true
  if (f.has('auto_rotate_period')) {
    const p = f.int('auto_rotate_period')
    if (p !== 0 && p < 3600) {
      throw errorResponse('auto rotate period must be 0 to disable or at least an hour')
    }
    next.autoRotatePeriod = p
  }
  store.set(name, next)
  // With a warning Vault answers with the warning only, not the key body.
  if (warnings.length > 0) return { kind: 'envelope', warnings }
  const ignored = ignoredParamsWarning(f.unknown)
  return { kind: 'envelope', data: keyBody(next), ...(ignored.length ? { warnings: ignored } : {}) }
}

/** `POST keys/:name/rotate`: a new version with fresh material. */
export function rotateKey(store: KeyStore, name: string, nowMs: number): EngineResponse {
  const k = store.get(name)
  if (!k) throw errorResponse('key not found')
  k.latestVersion += 1
  k.versions.set(k.latestVersion, newKeyVersion(k.type, nowMs))
  return { kind: 'envelope', data: keyBody(k) }
}

/** `DELETE keys/:name`: only when `deletion_allowed`. */
export function deleteKey(store: KeyStore, name: string): EngineResponse {
  const k = store.get(name)
  if (!k) throw errorResponse(`error deleting policy ${name}: could not delete key; not found`)
  if (!k.deletionAllowed) {
    throw errorResponse(`error deleting policy ${name}: deletion is not allowed for this key`)
  }
  store.delete(name)
  return { kind: 'envelope' }
}

/** `LIST keys`: names in lexicographic (storage) order; none → 404 (reference §1.8). */
export function listKeys(store: KeyStore): EngineResponse {
  if (store.size === 0) throw new VaultHttpError(404, [])
  return { kind: 'envelope', data: { keys: [...store.keys()].sort() } }
}
