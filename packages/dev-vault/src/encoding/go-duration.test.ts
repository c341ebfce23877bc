/** @module dev-vault/encoding/go-duration.test: Go's duration parsing and Vault's ParseDurationSecond. */
import { describe, expect, it } from 'vitest'
import { GoDurationError, parseDurationSecond, parseGoDuration } from './go-duration.js'

const goError = (f: () => unknown): string => {
  try {
    f()
  } catch (e) {
    if (e instanceof GoDurationError) return e.message
    throw e
  }
  throw new Error('expected a GoDurationError')
}

describe('parseGoDuration', () => {
  it('reads Go durations in nanoseconds', () => {
    expect(parseGoDuration('1h30m')).toBe(5400e9)
    expect(parseGoDuration('1.5h')).toBe(5400e9)
    expect(parseGoDuration('500ms')).toBe(5e8)
    expect(parseGoDuration('-2m')).toBe(-120e9)
    expect(parseGoDuration('+3s')).toBe(3e9)
    expect(parseGoDuration('0')).toBe(0)
    expect(parseGoDuration('.5s')).toBe(5e8)
    expect(parseGoDuration('1µs')).toBe(1e3)
  })

  it('refuses what Go refuses, with its messages', () => {
    expect(goError(() => parseGoDuration('abc'))).toBe('time: invalid duration "abc"')
    expect(goError(() => parseGoDuration(''))).toBe('time: invalid duration ""')
    expect(goError(() => parseGoDuration('5'))).toBe('time: missing unit in duration "5"')
    expect(goError(() => parseGoDuration('5x'))).toBe('time: unknown unit "x" in duration "5x"')
    expect(goError(() => parseGoDuration('.s'))).toBe('time: invalid duration ".s"')
    expect(goError(() => parseGoDuration('9999999999h'))).toBe(
      'time: invalid duration "9999999999h"',
    )
    expect(goError(() => parseGoDuration('1\u00e9s'))).toBe(
      'time: unknown unit "\\xc3\\xa9s" in duration "1\\xc3\\xa9s"',
    )
  })
})

describe('parseDurationSecond', () => {
  it('reads integers as seconds, <n>d as days, else Go durations', () => {
    expect(parseDurationSecond('300')).toBe(300)
    expect(parseDurationSecond(300)).toBe(300)
    expect(parseDurationSecond('-30')).toBe(-30)
    expect(parseDurationSecond('2d')).toBe(172800)
    expect(parseDurationSecond('1500ms')).toBe(1.5)
    expect(parseDurationSecond('')).toBe(0)
  })

  it('passes the Go errors on', () => {
    expect(goError(() => parseDurationSecond('1.5d'))).toBe(
      'strconv.ParseInt: parsing "1.5": invalid syntax',
    )
    expect(goError(() => parseDurationSecond('soon'))).toBe('time: invalid duration "soon"')
  })
})
