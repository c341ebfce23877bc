/** @module dev-vault/encoding/go-number.test: JSON number literals kept as written (Go `UseNumber`). */
import { describe, expect, it } from 'vitest'
import { goJson } from './go-json.js'
import { cloneJson, isJsonObject, numberLiteral, parseJsonKeepingNumbers } from './go-number.js'
import { mergePatch } from './merge-patch.js'

describe('parseJsonKeepingNumbers', () => {
  it('returns plain numbers when every literal round-trips', () => {
    expect(parseJsonKeepingNumbers('{"a":1,"b":[2.5,-3],"c":"1.50"}')).toEqual({
      a: 1,
      b: [2.5, -3],
      c: '1.50',
    })
  })

  it('keeps literals that JavaScript numbers would change', () => {
    const v = parseJsonKeepingNumbers(
      '{"a":1.50,"big":12345678901234567890,"e":1e3,"s":"x\\"1.50"}',
    ) as Record<string, unknown>
    expect(numberLiteral(v.a)).toBe('1.50')
    expect(numberLiteral(v.big)).toBe('12345678901234567890')
    expect(v.s).toBe('x"1.50')
    expect(goJson(v, false)).toBe('{"a":1.50,"big":12345678901234567890,"e":1e3,"s":"x\\"1.50"}')
  })

  it('still refuses invalid JSON such as leading zeros', () => {
    expect(() => parseJsonKeepingNumbers('{"a":01}')).toThrow(SyntaxError)
    expect(() => parseJsonKeepingNumbers('{"a":1.50')).toThrow(SyntaxError)
  })

  it('treats kept numbers as leaves in clones and merge patches', () => {
    const v = parseJsonKeepingNumbers('{"a":1.50,"o":{"x":1.0}}') as Record<string, unknown>
    expect(isJsonObject(v.a)).toBe(false)
    expect(goJson(cloneJson(v), false)).toBe('{"a":1.50,"o":{"x":1.0}}')
    const patched = mergePatch(v, parseJsonKeepingNumbers('{"o":{"y":2.0}}'))
    expect(goJson(patched, false)).toBe('{"a":1.50,"o":{"x":1.0,"y":2.0}}')
  })
})
