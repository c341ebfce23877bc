/**
 * @module dev-vault/encoding/request-fields: Vault framework field decoding (weakly typed, like mapstructure).
 * Every decoder returns undefined for an absent or null field and throws VaultHttpError 400
 * when the value cannot be converted.
 */
import { numberLiteral } from './go-number.js'
import { errorResponse } from '../routing/error-responses.js'
import { parseDurationSeconds } from './go-time.js'

function convertError(field: string, value: unknown): Error {
  return errorResponse(`error converting input ${JSON.stringify(value)} for field "${field}"`)
}

/** A string field; numbers and booleans are converted as Vault's weak decoding does. */
export function stringField(data: Record<string, unknown>, name: string): string | undefined {
  const v = data[name]
  if (v === undefined || v === null) return undefined
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  const literal = numberLiteral(v)
  if (literal !== undefined) return literal
  throw convertError(name, v)
}

/** A bool field; accepts Go `ParseBool` strings and 0/1. */
export function boolField(data: Record<string, unknown>, name: string): boolean | undefined {
  const v = data[name]
  if (v === undefined || v === null) return undefined
  if (typeof v === 'boolean') return v
  if (typeof v === 'number') return v !== 0
  if (typeof v === 'string') {
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true
    if (['0', 'f', 'F', 'FALSE', 'false', 'False', ''].includes(v)) return false
  }
  throw convertError(name, v)
}

/** An integer field; numeric strings accepted. */
export function intField(data: Record<string, unknown>, name: string): number | undefined {
  const v = data[name]
  if (v === undefined || v === null) return undefined
  if (typeof v === 'number' && Number.isInteger(v)) return v
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim())
  throw convertError(name, v)
}

/** A duration field in seconds (`"1h"`, `"90s"`, `3600`). */
export function durationField(data: Record<string, unknown>, name: string): number | undefined {
  const v = data[name]
  if (v === undefined || v === null) return undefined
  try {
    return parseDurationSeconds(v, name)
  } catch {
    throw convertError(name, v)
  }
}

/** A comma-separated-string-or-list field (Vault `TypeCommaStringSlice`), trimmed, no empties. */
export function stringListField(data: Record<string, unknown>, name: string): string[] | undefined {
  const v = data[name]
  if (v === undefined || v === null) return undefined
  const items = typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v : undefined
  if (!items || items.some((x) => typeof x !== 'string' && typeof x !== 'number')) {
    throw convertError(name, v)
  }
  return items.map((x) => String(x).trim()).filter((x) => x !== '')
}

/** A map of strings (Vault `TypeKVPairs`). */
export function stringMapField(
  data: Record<string, unknown>,
  name: string,
): Record<string, string> | undefined {
  const v = data[name]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'object' || Array.isArray(v) || numberLiteral(v) !== undefined) {
    throw convertError(name, v)
  }
  const out: Record<string, string> = {}
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x === 'string') out[k] = x
    else if (typeof x === 'number' || typeof x === 'boolean') out[k] = String(x)
    else if (numberLiteral(x) !== undefined) out[k] = numberLiteral(x) as string
    else throw convertError(name, v)
  }
  return out
}
