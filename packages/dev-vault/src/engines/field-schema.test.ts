/** @module dev-vault/engines/field-schema.test: framework field decoding and Go base64 rules. */
import { describe, expect, it } from 'vitest'
import { VaultHttpError } from '../routing/backend.js'
import { decodeFields, goBase64Decode, ignoredParamsWarning } from './field-schema.js'
import { goError } from '../routing/error-responses.js'

describe('decodeFields', () => {
  const schema = {
    s: 'string',
    b: 'bool',
    i: 'int',
    d: 'durationSecond',
    list: 'commaStringSlice',
    kv: 'kvPairs',
  } as const

  it('decodes weakly like mapstructure and reports unknown keys sorted', () => {
    const f = decodeFields(
      { s: 5, b: 'true', i: '42', d: '1h30m', list: ' a, b ,,c', kv: ['x=1', 'y=2'], zz: 1, aa: 2 },
      schema,
    )
    expect([f.str('s'), f.bool('b'), f.int('i'), f.int('d')]).toEqual(['5', true, 42, 5400])
    expect(f.strings('list')).toEqual(['a', 'b', 'c'])
    expect(f.stringMap('kv')).toEqual({ x: '1', y: '2' })
    expect(f.unknown).toEqual(['aa', 'zz'])
    expect(ignoredParamsWarning(f.unknown)).toEqual([
      'Endpoint ignored these unrecognized parameters: [aa zz]',
    ])
  })

  it('treats null as absent and applies defaults', () => {
    const f = decodeFields({ s: null }, schema)
    expect(f.has('s')).toBe(false)
    expect(f.str('s', 'dflt')).toBe('dflt')
    expect(f.int('i', 7)).toBe(7)
  })

  it('fails with a 400 "Field validation failed" on a wrong type', () => {
    for (const data of [{ b: 'maybe' }, { i: 1.5 }, { i: 'ten' }, { d: 'soon' }, { s: {} }]) {
      let caught: unknown
      try {
        decodeFields(data, schema)
      } catch (e) {
        caught = e
      }
      expect(caught).toBeInstanceOf(VaultHttpError)
      expect((caught as VaultHttpError).status).toBe(400)
      expect((caught as VaultHttpError).errors[0]).toMatch(/^Field validation failed: /)
    }
  })
})

describe('goBase64Decode', () => {
  it('decodes padded standard base64 and ignores line breaks', () => {
    expect(goBase64Decode('aGVsbG8=')).toEqual(Buffer.from('hello'))
    expect(goBase64Decode('aGVs\nbG8=')).toEqual(Buffer.from('hello'))
    expect(goBase64Decode('')).toEqual(Buffer.alloc(0))
  })

  it('returns Go’s error text for invalid input', () => {
    expect(goBase64Decode('aGVsbG8')).toBe('illegal base64 data at input byte 4')
    expect(goBase64Decode('ab!d')).toBe('illegal base64 data at input byte 2')
    expect(goBase64Decode('a=bc')).toBe('illegal base64 data at input byte 1')
    expect(goBase64Decode('aGVsbG8_')).toBe('illegal base64 data at input byte 7')
  })
})

describe('goError', () => {
  it('formats like go-multierror with one error', () => {
    const e = goError('unsupported path', 404)
    expect([e.status, e.errors]).toEqual([404, ['1 error occurred:\n\t* unsupported path\n\n']])
  })
})
