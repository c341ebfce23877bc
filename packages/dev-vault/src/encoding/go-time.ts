/** @module dev-vault/encoding/go-time: Go duration and timestamp formats as Vault renders them. */
import { VaultHttpError } from '../routing/backend.js'

/** Go `time.Duration.String()` for whole seconds: `0s`, `45s`, `1m30s`, `1h0m0s`, `-3h0m0s`. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s'
  const sign = seconds < 0 ? '-' : ''
  let s = Math.abs(Math.trunc(seconds))
  const h = Math.floor(s / 3600)
  s -= h * 3600
  const m = Math.floor(s / 60)
  s -= m * 60
  if (h > 0) return `${sign}${h}h${m}m${s}s`
  if (m > 0) return `${sign}${m}m${s}s`
  return `${sign}${s}s`
}

const unitSeconds: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
}

/**
 * Vault's `parseutil.ParseDurationSecond`: a number (or numeric string) is seconds, otherwise a
 * Go duration (`1h30m`, `90s`, `-1h`, plus Vault's `d`). Returns whole seconds.
 * @throws VaultHttpError 400 when the value is not a duration.
 */
export function parseDurationSeconds(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value)
  if (typeof value === 'string') {
    const v = value.trim()
    if (v === '') return 0
    if (/^-?\d+$/.test(v)) return Number(v)
    const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h|d))+$/.test(v)
    if (m) {
      const sign = v.startsWith('-') ? -1 : 1
      let total = 0
      for (const part of v.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)/g)) {
        total += Number(part[1]) * (unitSeconds[part[2] as string] ?? 0)
      }
      return sign * Math.trunc(total)
    }
  }
  throw new VaultHttpError(400, [`error parsing ${field}: invalid duration`])
}

/** Go `ptypes.TimestampString`: RFC 3339 in UTC with the fraction's trailing zeros trimmed. */
export function timestampString(ms: number): string {
  const iso = new Date(ms).toISOString()
  return iso.replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'))
}

/** Go `time.Time` JSON in the server's local zone (`Z` when local is UTC), fraction trimmed. */
export function localTimeString(ms: number): string {
  const d = new Date(ms)
  const offsetMin = -d.getTimezoneOffset()
  const local = new Date(ms + offsetMin * 60_000).toISOString().replace(/Z$/, '')
  const trimmed = local.replace(/\.(\d*?)0*$/, (_m, frac: string) => (frac ? `.${frac}` : ''))
  if (offsetMin === 0) return `${trimmed}Z`
  const sign = offsetMin > 0 ? '+' : '-'
  const abs = Math.abs(offsetMin)
  const hh = String(Math.floor(abs / 60)).padStart(2, '0')
  const mm = String(abs % 60).padStart(2, '0')
  return `${trimmed}${sign}${hh}:${mm}`
}
