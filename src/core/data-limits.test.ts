/** @module core/data-limits tests: depth, entries and value size, each refused with its setting named. */
import { describe, expect, it } from 'vitest'
import { checkDataLimits, type DataLimits } from './data-limits.js'
import { AppError } from './errors.js'

const limits: DataLimits = { maxDepth: 4, maxKeys: 10, maxValueBytes: 48 }

const refusal = (data: Record<string, unknown>, l = limits): AppError => {
  try {
    checkDataLimits(data, l)
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).code).toBe('DATA_LIMIT_EXCEEDED')
    return err as AppError
  }
  throw new Error('not refused')
}

/** `{"a": {"a": ... }}` `levels` deep, built without recursion. */
const nested = (levels: number, leaf: unknown = 'x'): Record<string, unknown> => {
  let v: unknown = leaf
  for (let i = 0; i < levels; i++) v = { a: v }
  return v as Record<string, unknown>
}

describe('checkDataLimits', () => {
  it('accepts data within every limit', () => {
    expect(() =>
      checkDataLimits({ user: 'u', conf: { db: { port: 5432, hosts: ['a', 'b'] } } }, limits),
    ).not.toThrow()
    expect(() => checkDataLimits(nested(4), limits)).not.toThrow()
  })

  it('refuses data nested deeper than DATA_MAX_DEPTH, arrays counting as levels', () => {
    expect(refusal(nested(5)).message).toContain('DATA_MAX_DEPTH')
    expect(refusal({ a: [[[['x']]]] }).message).toContain('DATA_MAX_DEPTH')
  })

  it('walks a value nested 200,000 levels deep without overflowing the stack', () => {
    expect(
      refusal(nested(200_000), { ...limits, maxDepth: 1000, maxKeys: 1_000_000 }).message,
    ).toContain('DATA_MAX_DEPTH')
  })

  it('refuses more keys and array items than DATA_MAX_KEYS, at all levels together', () => {
    const wide = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, i]))
    expect(refusal(wide).message).toContain('DATA_MAX_KEYS')
    expect(refusal({ a: { b: [1, 2, 3, 4, 5, 6, 7, 8] }, c: 1 }).message).toContain('DATA_MAX_KEYS')
  })

  it('refuses one value larger than DATA_MAX_VALUE_BYTES, naming its field, never its value', () => {
    const err = refusal({ small: 'x', big: 'é'.repeat(30) })
    expect(err.message).toContain('"big"')
    expect(err.message).toContain('DATA_MAX_VALUE_BYTES')
    expect(err.message).not.toContain('éé')
    expect(refusal({ obj: { a: 'x'.repeat(50) } }).message).toContain('"obj"')
  })
})
