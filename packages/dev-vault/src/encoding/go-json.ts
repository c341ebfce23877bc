/** @module dev-vault/encoding/go-json: JSON encoding that matches Go's encoding/json byte for byte. */

import { numberLiteral } from './go-number.js'

/**
 * Objects marked as Go structs keep their insertion order; every other plain object is a Go
 * map and is encoded with its keys sorted, as `encoding/json` does.
 */
const structs = new WeakSet<object>()

/** Marks `value` as a Go struct (field order = insertion order) and returns it. */
export function struct<T extends object>(value: T): T {
  structs.add(value)
  return value
}

const escapes: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026' }

function encodeString(s: string): string {
  // Go escapes <, > and & (HTML-safe) and U+2028/U+2029; JSON.stringify handles the rest.
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) =>
    c in escapes ? (escapes[c] as string) : c === '\u2028' ? '\\u2028' : '\\u2029',
  )
}

function encode(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'string') return encodeString(value)
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null'
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'bigint') return value.toString()
  if (Array.isArray(value)) return `[${value.map(encode).join(',')}]`
  if (typeof value === 'object') {
    const literal = numberLiteral(value)
    if (literal !== undefined) return literal
    const obj = value as Record<string, unknown>
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined)
    if (!structs.has(obj)) keys.sort()
    return `{${keys.map((k) => `${encodeString(k)}:${encode(obj[k])}`).join(',')}}`
  }
  return 'null'
}

/**
 * Encodes like Go: maps sorted, structs in field order, `<>&` escaped, `undefined` fields left
 * out (Go's `omitempty`). `newline` adds the `\n` that `json.Encoder` writes (not `json.Marshal`).
 */
export function goJson(value: unknown, newline = true): string {
  return encode(value) + (newline ? '\n' : '')
}
