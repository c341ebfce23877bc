/**
 * @module dev-vault/encoding/go-duration: Go's `time.ParseDuration` and Vault's
 * `parseutil.ParseDurationSecond`, with Go's exact error texts (the `X-Vault-Wrap-TTL` header and
 * policies' `min_wrapping_ttl`/`max_wrapping_ttl` answer with them).
 */

/** A duration Go refuses; the message is Go's error text. */
export class GoDurationError extends Error {
  override name = 'GoDurationError'
}

const NS_PER_UNIT: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3, // U+00B5
  μs: 1e3, // U+03BC
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
}

const MAX_NS = 2 ** 63

/** The time package's `quote`: ASCII kept (with `"` and `\` escaped), anything else as \x bytes. */
function timeQuote(s: string): string {
  let out = '"'
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number
    if (cp >= 0x80 || cp < 0x20) {
      for (const b of Buffer.from(ch, 'utf8')) out += `\\x${b.toString(16).padStart(2, '0')}`
    } else {
      out += ch === '"' || ch === '\\' ? `\\${ch}` : ch
    }
  }
  return `${out}"`
}

/**
 * Go `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or `0`.
 * @returns nanoseconds (a float, exact to well below a second).
 * @throws GoDurationError with Go's text, e.g. `time: invalid duration "abc"`.
 */
export function parseGoDuration(orig: string): number {
  const invalid = () => new GoDurationError(`time: invalid duration ${timeQuote(orig)}`)
  let s = orig
  let neg = false
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-'
    s = s.slice(1)
  }
  if (s === '0') return 0
  if (s === '') throw invalid()
  let total = 0
  while (s !== '') {
    if (!(s[0] === '.' || ((s[0] as string) >= '0' && (s[0] as string) <= '9'))) throw invalid()
    const int = /^[0-9]*/.exec(s)?.[0] ?? ''
    s = s.slice(int.length)
    let frac = ''
    let hasDot = false
    if (s[0] === '.') {
      hasDot = true
      s = s.slice(1)
      frac = /^[0-9]*/.exec(s)?.[0] ?? ''
      s = s.slice(frac.length)
    }
    if (int === '' && frac === '') throw invalid()
    const unitMatch = /^[^0-9.]*/.exec(s)?.[0] ?? ''
    if (unitMatch === '')
      throw new GoDurationError(`time: missing unit in duration ${timeQuote(orig)}`)
    s = s.slice(unitMatch.length)
    const unit = NS_PER_UNIT[unitMatch]
    if (unit === undefined) {
      throw new GoDurationError(
        `time: unknown unit ${timeQuote(unitMatch)} in duration ${timeQuote(orig)}`,
      )
    }
    const v = int === '' ? 0 : Number(int)
    if (v > MAX_NS / unit) throw invalid()
    total += v * unit + (hasDot && frac !== '' ? Number(`0.${frac}`) * unit : 0)
    if (total > MAX_NS) throw invalid()
  }
  if (!neg && total > MAX_NS - 1) throw invalid()
  return neg ? -total : total
}

/** `strconv.ParseInt(s, 10, 64)`: a value, or Go's NumError reason. */
function parseGoInt(s: string): number | 'syntax' | 'range' {
  if (!/^[+-]?[0-9]+$/.test(s)) return 'syntax'
  const n = BigInt(s)
  if (n > 9223372036854775807n || n < -9223372036854775808n) return 'range'
  return Number(n)
}

/** Whole seconds of `time.Second` multiplied without overflowing an int64 of nanoseconds. */
function secondsWithoutOverflow(v: number, unitSeconds: number): number {
  if (Math.abs(v * unitSeconds) * 1e9 >= MAX_NS)
    throw new GoDurationError('multiplication overflow')
  return v * unitSeconds
}

/**
 * Vault's `parseutil.ParseDurationSecond` for a string or a JSON number: an integer is seconds,
 * `<n>d` is days, anything else a Go duration. `""` is 0.
 * @returns seconds (fractional for sub-second Go durations such as `500ms`).
 * @throws GoDurationError with the Go error text.
 */
export function parseDurationSecond(value: unknown): number {
  if (value === undefined || value === null) return 0
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return Math.trunc(value)
    return secondsWithoutOverflow(value, 1)
  }
  if (typeof value !== 'string') throw new GoDurationError('could not parse duration from input')
  if (value === '') return 0
  const asInt = parseGoInt(value)
  if (typeof asInt === 'number') return secondsWithoutOverflow(asInt, 1)
  if (value.endsWith('d')) {
    const days = value.slice(0, -1)
    const n = parseGoInt(days)
    if (typeof n === 'number') return secondsWithoutOverflow(n, 86400)
    const reason = n === 'syntax' ? 'invalid syntax' : 'value out of range'
    throw new GoDurationError(`strconv.ParseInt: parsing ${JSON.stringify(days)}: ${reason}`)
  }
  return parseGoDuration(value) / 1e9
}
