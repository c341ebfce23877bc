/**
 * @module dev-vault/encoding/go-number: JSON numbers that keep their literal text, as Vault's decoder
 * (`UseNumber`) does, so `1.50` or `12345678901234567890` read back exactly as written.
 */
import { randomBytes } from 'node:crypto'

const literals = new WeakMap<object, string>()

/** A number whose literal text JavaScript numbers cannot reproduce (a frozen opaque leaf). */
export function goNumber(literal: string): object {
  const n = Object.freeze({})
  literals.set(n, literal)
  return n
}

/** The literal of a value made by `goNumber`, else undefined. */
export function numberLiteral(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null ? literals.get(value) : undefined
}

// Security: the sentinel carries a per-process random part, so a client string cannot pose as
// a number literal.
const NONCE = randomBytes(8).toString('hex')
const SENTINEL = `\u0000${NONCE}:`
/** The sentinel as JSON text (a raw NUL is not allowed inside a JSON string). */
const SENTINEL_JSON = `\\u0000${NONCE}:`
const TOKENS = /"(?:[^"\\]|\\.)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/g

/**
 * `JSON.parse` that keeps the literal of every number whose text does not round-trip through a
 * JavaScript number (those become `goNumber` leaves). Throws SyntaxError like JSON.parse.
 */
export function parseJsonKeepingNumbers(text: string): unknown {
  let exotic = false
  const marked = text.replace(TOKENS, (tok) => {
    if (tok.startsWith('"') || String(Number(tok)) === tok) return tok
    exotic = true
    return `"${SENTINEL_JSON}${tok}"`
  })
  if (!exotic) return JSON.parse(text)
  return JSON.parse(marked, (_k, v: unknown) =>
    typeof v === 'string' && v.startsWith(SENTINEL) ? goNumber(v.slice(SENTINEL.length)) : v,
  )
}

/** Deep copy of parsed JSON that keeps `goNumber` leaves (structuredClone would drop them). */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneJson) as T
  if (typeof value === 'object' && value !== null && numberLiteral(value) === undefined) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = cloneJson(v)
    return out as T
  }
  return value
}

/** True for a JSON object (not an array, not a number leaf). */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && numberLiteral(v) === undefined
}

/**
 * The value as Go's `json.Unmarshal` into `interface{}` gives it back: every number a float64.
 * KV v2 stores the literal it was sent but decodes stored data this way on read and patch
 * (vault-plugin-secrets-kv `pathDataRead`/`pathDataPatch`), so `1.50` reads back as `1.5` and
 * integers above 2^53 lose precision, exactly as an agent sees them on real Vault.
 */
export function asGoFloats<T>(value: T): T {
  const literal = numberLiteral(value)
  if (literal !== undefined) return Number(literal) as T
  if (Array.isArray(value)) return value.map(asGoFloats) as T
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = asGoFloats(v)
    return out as T
  }
  return value
}
