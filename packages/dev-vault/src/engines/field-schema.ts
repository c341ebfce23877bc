/** @module dev-vault/engines/field-schema: Vault framework field decoding (`framework.FieldSchema`). */
// Shared by the transit, AppRole and JWT engines.
import { errorResponse } from '../routing/error-responses.js'
import { parseDurationSeconds } from '../encoding/go-time.js'

/** Field types of Vault's `framework.FieldSchema` that our engines use. */
export type FieldType =
  'string' | 'bool' | 'int' | 'durationSecond' | 'commaStringSlice' | 'slice' | 'map' | 'kvPairs'

export type FieldSchema = Record<string, FieldType>

/** What `framework.FieldData` offers a handler: typed values and whether each was sent. */
export interface Fields {
  /** True when the request carried the field with a non-null value (Go `GetOk`). */
  has(name: string): boolean
  str(name: string, dflt?: string): string
  bool(name: string, dflt?: boolean): boolean
  int(name: string, dflt?: number): number
  strings(name: string): string[]
  map(name: string): Record<string, unknown>
  stringMap(name: string): Record<string, string>
  raw(name: string): unknown
  /** Request keys the schema does not know, sorted (Vault warns about them). */
  unknown: string[]
}

function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>'
  if (typeof v === 'string') return 'string'
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'number') return 'json.Number'
  if (Array.isArray(v)) return '[]interface {}'
  return 'map[string]interface {}'
}

const trueWords = new Set(['1', 't', 'T', 'TRUE', 'true', 'True'])
const falseWords = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False'])

/** mapstructure's weak decoding of one value, as `FieldData.getPrimitive` does it. */
function decode(type: FieldType, v: unknown): unknown {
  const bad = (why: string): never => {
    throw new Error(why)
  }
  switch (type) {
    case 'string':
      if (typeof v === 'string') return v
      if (typeof v === 'number') return String(v)
      if (typeof v === 'boolean') return v ? '1' : '0'
      return bad(`'' expected type 'string', got unconvertible type '${goTypeName(v)}'`)
    case 'bool':
      if (typeof v === 'boolean') return v
      if (typeof v === 'number') return v !== 0
      if (typeof v === 'string') {
        if (v === '') return false
        if (trueWords.has(v)) return true
        if (falseWords.has(v)) return false
        return bad(
          `cannot parse '' as bool: strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`,
        )
      }
      return bad(`'' expected type 'bool', got unconvertible type '${goTypeName(v)}'`)
    case 'int':
      if (typeof v === 'number' && Number.isInteger(v)) return v
      if (typeof v === 'boolean') return v ? 1 : 0
      if (typeof v === 'string' && /^[+-]?\d+$/.test(v.trim())) return Number(v.trim())
      if (typeof v === 'string' && v === '') return 0
      return bad(
        `cannot parse '' as int: strconv.ParseInt: parsing ${JSON.stringify(String(v))}: invalid syntax`,
      )
    case 'durationSecond':
      try {
        return parseDurationSeconds(v, 'duration')
      } catch {
        return bad(`time: invalid duration ${JSON.stringify(String(v))}`)
      }
    case 'commaStringSlice': {
      const parts: unknown[] =
        typeof v === 'string'
          ? v.split(',')
          : Array.isArray(v)
            ? v
            : bad(`'' expected type 'string', got unconvertible type '${goTypeName(v)}'`)
      return parts
        .map((p) => decode('string', p) as string)
        .map((s) => s.trim())
        .filter((s) => s !== '')
    }
    case 'slice':
      if (Array.isArray(v)) return v
      return bad(`'' expected a map or slice, got '${goTypeName(v)}'`)
    case 'map':
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v
      return bad(`'' expected a map, got '${goTypeName(v)}'`)
    case 'kvPairs': {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const out: Record<string, string> = {}
        for (const [k, val] of Object.entries(v)) out[k] = decode('string', val) as string
        return out
      }
      if (Array.isArray(v) || typeof v === 'string') {
        const out: Record<string, string> = {}
        for (const item of decode('commaStringSlice', v) as string[]) {
          const eq = item.indexOf('=')
          if (eq < 1) return bad(`invalid key value pair ${JSON.stringify(item)}`)
          out[item.slice(0, eq)] = item.slice(eq + 1)
        }
        return out
      }
      return bad(`'' expected a map, got '${goTypeName(v)}'`)
    }
  }
}

/**
 * Decodes `data` against `schema` like `framework.FieldData.Validate` + `Get`: every present
 * field is converted up front, so a wrong type fails before the handler changes anything.
 * @throws VaultHttpError 400 `Field validation failed: ...` on a value of the wrong type.
 */
export function decodeFields(data: Record<string, unknown>, schema: FieldSchema): Fields {
  const values = new Map<string, unknown>()
  for (const [name, type] of Object.entries(schema)) {
    const v = data[name]
    if (v === undefined || v === null) continue
    try {
      values.set(name, decode(type, v))
    } catch (e) {
      throw errorResponse(
        `Field validation failed: error converting input for field ${JSON.stringify(name)}: ${(e as Error).message}`,
      )
    }
  }
  const unknown = Object.keys(data)
    .filter((k) => !(k in schema))
    .sort()
  return {
    has: (name) => values.has(name),
    str: (name, dflt = '') => (values.get(name) as string | undefined) ?? dflt,
    bool: (name, dflt = false) => (values.get(name) as boolean | undefined) ?? dflt,
    int: (name, dflt = 0) => (values.get(name) as number | undefined) ?? dflt,
    strings: (name) => [...((values.get(name) as string[] | undefined) ?? [])],
    map: (name) => ({ ...((values.get(name) as Record<string, unknown> | undefined) ?? {}) }),
    stringMap: (name) => ({ ...((values.get(name) as Record<string, string> | undefined) ?? {}) }),
    raw: (name) => data[name],
    unknown,
  }
}

/** The warning the framework adds to non-empty responses when the request had unknown keys. */
export function ignoredParamsWarning(unknown: string[]): string[] {
  return unknown.length === 0
    ? []
    : [`Endpoint ignored these unrecognized parameters: [${unknown.join(' ')}]`]
}

const b64Alphabet = /^[A-Za-z0-9+/]$/

/**
 * Go's `base64.StdEncoding.DecodeString`: padded standard alphabet, CR/LF ignored.
 * Returns the bytes or Go's error text (`illegal base64 data at input byte N`).
 */
export function goBase64Decode(input: string): Buffer | string {
  const s = input.replace(/[\r\n]/g, '')
  const err = (i: number): string => `illegal base64 data at input byte ${i}`
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string
    if (c === '=') {
      const rest = s.slice(i)
      const valid = s.length % 4 === 0 && (rest === '=' || rest === '==') && i % 4 >= 2
      return valid ? Buffer.from(s, 'base64') : err(i)
    }
    if (!b64Alphabet.test(c)) return err(i)
  }
  if (s.length % 4 !== 0) return err(s.length - (s.length % 4))
  return Buffer.from(s, 'base64')
}
