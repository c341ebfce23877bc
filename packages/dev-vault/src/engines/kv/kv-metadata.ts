/** @module dev-vault/engines/kv/kv-metadata: KV v2 `metadata/` field handling (§2.8). */
import { VaultHttpError } from '../../routing/backend.js'
import { isJsonObject } from '../../encoding/go-number.js'
import { boolField, durationField, intField } from '../../encoding/request-fields.js'
import type { KvKey } from './kv-state.js'
import { errorResponse } from '../../routing/error-responses.js'

/** The writable metadata fields a request provided (undefined = not provided). */
export interface MetadataFields {
  maxVersions?: number
  casRequired?: boolean
  deleteVersionAfter?: number
  customMetadata?: Record<string, string> | null
}

/** Parses `max_versions`, `cas_required`, `delete_version_after`, `custom_metadata`. */
export function metadataFields(
  data: Record<string, unknown>,
  allowNullValues: boolean,
): MetadataFields {
  const out: MetadataFields = {}
  const mv = intField(data, 'max_versions')
  if (mv !== undefined) {
    if (mv < 0) throw errorResponse('max_versions must be greater than or equal to 0')
    out.maxVersions = mv
  }
  const cas = boolField(data, 'cas_required')
  if (cas !== undefined) out.casRequired = cas
  const dva = durationField(data, 'delete_version_after')
  if (dva !== undefined) out.deleteVersionAfter = dva
  if (data.custom_metadata !== undefined && data.custom_metadata !== null) {
    out.customMetadata = customMetadata(data.custom_metadata, allowNullValues)
  }
  return out
}

function customMetadata(raw: unknown, allowNull: boolean): Record<string, string> {
  if (!isJsonObject(raw)) {
    throw errorResponse('error converting input for field "custom_metadata"')
  }
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (v === null && allowNull) continue
    if (typeof v !== 'string')
      throw errorResponse('error converting input for field "custom_metadata"')
    out[k] = v
  }
  const errs: string[] = []
  const keys = Object.keys(out)
  if (keys.length > 64) errs.push(`payload must contain at most 64 keys, provided ${keys.length}`)
  const printable = (s: string) => [...s].every((c) => c.charCodeAt(0) >= 0x20 && c !== '\u007f')
  for (const [k, v] of Object.entries(out)) {
    const kl = Buffer.byteLength(k)
    const vl = Buffer.byteLength(v)
    if (kl === 0 || kl > 128)
      errs.push(`length of key ${JSON.stringify(k)} is ${kl} but must be 0 < len(key) <= 128`)
    if (vl === 0 || vl > 512) {
      errs.push(
        `length of value for key ${JSON.stringify(k)} is ${vl} but must be 0 < len(value) <= 512`,
      )
    }
    if (!printable(k)) errs.push(`key ${JSON.stringify(k)} contains unprintable characters`)
    if (!printable(v))
      errs.push(`value for key ${JSON.stringify(k)} contains unprintable characters`)
  }
  if (errs.length > 0)
    throw new VaultHttpError(400, [`custom_metadata validation failed: ${errs.join('; ')}`])
  return out
}

/** Applies the provided fields to a key. */
export function applyMetadata(key: KvKey, f: MetadataFields, now: number): void {
  if (f.maxVersions !== undefined) key.maxVersions = f.maxVersions
  if (f.casRequired !== undefined) key.casRequired = f.casRequired
  if (f.deleteVersionAfter !== undefined) key.deleteVersionAfter = f.deleteVersionAfter
  if (f.customMetadata !== undefined) key.customMetadata = f.customMetadata
  key.updatedTime = now
}

/** True when none of the four fields were provided (a no-op write). */
export function isEmpty(f: MetadataFields): boolean {
  return Object.keys(f).length === 0
}
