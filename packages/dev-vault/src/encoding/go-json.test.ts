/** @module dev-vault/encoding/go-json.test: Go encoding/json compatibility and Go time formats. */
import { describe, expect, it } from 'vitest'
import { goJson, struct } from './go-json.js'
import { formatDuration, parseDurationSeconds, timestampString } from './go-time.js'

describe('goJson', () => {
  it('sorts map keys, keeps struct order, escapes <>& and appends a newline', () => {
    const s = struct({ z: 1, a: { y: '<a&b>', b: null } })
    expect(goJson(s)).toBe('{"z":1,"a":{"b":null,"y":"\\u003ca\\u0026b\\u003e"}}\n')
    expect(goJson({ b: 1, a: 2 }, false)).toBe('{"a":2,"b":1}')
  })

  it('omits undefined fields (omitempty) and keeps null', () => {
    expect(goJson(struct({ a: undefined, b: null }), false)).toBe('{"b":null}')
  })
})

describe('go-time', () => {
  it('formats durations like time.Duration.String()', () => {
    expect(formatDuration(0)).toBe('0s')
    expect(formatDuration(45)).toBe('45s')
    expect(formatDuration(90)).toBe('1m30s')
    expect(formatDuration(3600)).toBe('1h0m0s')
    expect(formatDuration(12319)).toBe('3h25m19s')
    expect(formatDuration(-3600)).toBe('-1h0m0s')
  })

  it('parses seconds and Go durations', () => {
    expect(parseDurationSeconds(30, 'ttl')).toBe(30)
    expect(parseDurationSeconds('30', 'ttl')).toBe(30)
    expect(parseDurationSeconds('1h30m', 'ttl')).toBe(5400)
    expect(parseDurationSeconds('-1h', 'ttl')).toBe(-3600)
    expect(() => parseDurationSeconds('soon', 'ttl')).toThrow()
  })

  it('renders timestamps as RFC 3339 UTC with trimmed fractions', () => {
    expect(timestampString(Date.UTC(2024, 0, 2, 3, 4, 5, 0))).toBe('2024-01-02T03:04:05Z')
    expect(timestampString(Date.UTC(2024, 0, 2, 3, 4, 5, 120))).toBe('2024-01-02T03:04:05.12Z')
  })
})
