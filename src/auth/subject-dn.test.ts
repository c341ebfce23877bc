/** @module auth/subject-dn tests: both DN formats, their escapes, and that no value becomes an attribute. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { agentFromDn, parseSubjectDn, type DnAttribute, type DnFormat } from './subject-dn.js'

const agent = (dn: string, format: DnFormat, prefix = 'CN=') =>
  agentFromDn(parseSubjectDn(dn, format) ?? [], prefix)

describe('parseSubjectDn + agentFromDn', () => {
  it.each([
    ['CN=agent_mtls,O=Example', 'agent_mtls'],
    ['O=Example,CN=agent_mtls', 'agent_mtls'],
    ['CN=agent_mtls, O=Example Corp, C=US', 'agent_mtls'],
    ['cn=agent_mtls,o=Example', 'agent_mtls'],
    ['CN=agent_mtls+UID=42,O=Example', 'agent_mtls'],
    ['O=Doe\\, John,CN=agent_mtls', 'agent_mtls'],
    ['O=Doe\\2C John,CN=agent_mtls', 'agent_mtls'],
    ['O="Doe, John",CN=agent_mtls', 'agent_mtls'],
  ])('rfc4514: %s names %s', (dn, name) => {
    expect(agent(dn, 'rfc4514')).toBe(name)
  })

  it.each([
    ['/O=Example/CN=agent_mtls', 'agent_mtls'],
    ['/CN=agent_mtls/emailAddress=a@b.c', 'agent_mtls'],
    ['/C=US/O=Example/OU=a\\/b/CN=agent_mtls', 'agent_mtls'],
    ['/O=Caf\\xC3\\xA9/CN=agent_mtls', 'agent_mtls'],
  ])('openssl: %s names %s', (dn, name) => {
    expect(agent(dn, 'openssl')).toBe(name)
  })

  it('openssl: an escaped "\\/" stays inside its value and never starts an attribute', () => {
    expect(parseSubjectDn('/O=x/OU=a\\/CN=b', 'openssl')).toEqual([
      { type: 'O', value: 'x' },
      { type: 'OU', value: 'a/CN=b' },
    ])
    expect(agent('/O=x/OU=a\\/CN=b', 'openssl')).toBeUndefined()
    // With its own CN, the certificate is that agent, not the one its OU names.
    expect(agent('/O=x/OU=a\\/CN=b/CN=attacker', 'openssl')).toBe('attacker')
    expect(parseSubjectDn('/O=a\\\\/CN=b', 'openssl')).toEqual([
      { type: 'O', value: 'a\\' },
      { type: 'CN', value: 'b' },
    ])
  })

  it('refuses a DN in the other format than the one configured', () => {
    expect(parseSubjectDn('/O=x/OU=a/CN=b', 'rfc4514')).toBeUndefined()
    expect(parseSubjectDn('CN=b,O=x', 'openssl')).toBeUndefined()
  })

  it('keeps escaped commas inside the CN value', () => {
    expect(agent('CN=a\\,b,O=x', 'rfc4514')).toBe('a,b')
  })

  it('keeps escaped trailing spaces, drops unescaped ones', () => {
    expect(parseSubjectDn('CN=a\\20,O=x', 'rfc4514')?.[0]?.value).toBe('a ')
    expect(parseSubjectDn('CN=a\\ ,O=x', 'rfc4514')?.[0]?.value).toBe('a ')
    expect(parseSubjectDn('CN=a  ,O=x', 'rfc4514')?.[0]?.value).toBe('a')
  })

  it.each([
    ['no CN', 'O=Example,C=US', 'rfc4514'],
    ['OpenSSL form without CN', '/O=Example/C=US', 'openssl'],
    ['two different CNs', 'CN=agent_a,CN=agent_b', 'rfc4514'],
  ] as const)('finds no agent with %s', (_, dn, format) => {
    expect(agent(dn, format)).toBeUndefined()
  })

  it.each([
    ['', 'rfc4514'],
    ['garbage', 'rfc4514'],
    ['CN=a,', 'rfc4514'],
    ['CN=a\\', 'rfc4514'],
    ['/', 'openssl'],
    ['/CN=a/', 'openssl'],
    ['/CN=a\\', 'openssl'],
    ['/C=US/OU=a/b/CN=x', 'openssl'],
  ] as const)('does not parse %j (%s)', (dn, format) => {
    expect(parseSubjectDn(dn, format)).toBeUndefined()
  })

  it('strips a value prefix given in MTLS_SUBJECT_CN_PREFIX', () => {
    expect(agent('CN=svc-agent_mtls,O=x', 'rfc4514', 'CN=svc-')).toBe('agent_mtls')
    expect(agent('CN=agent_mtls', 'rfc4514', 'CN=svc-')).toBeUndefined()
  })
})

// ---------------------------------------------------------------------------------------------
// Properties: whatever a certificate's attribute values hold, writing the DN the way a careful
// proxy does and parsing it gives back exactly those attributes, so the agent id is the CN the
// certificate really has, and a CN-looking text inside another value names nobody.

const TYPES = ['CN', 'O', 'OU', 'C', 'L', 'ST', 'emailAddress', 'DC', 'UID']
/** Characters that matter to one format or the other, and text that looks like an attribute. */
const TRICKY = ['/', '\\', ',', '+', '"', '<', '>', ';', '=', '#', ' ', 'CN=', '/CN=', ',CN=', 'é']

const valueArb = fc
  .array(
    fc.oneof(
      fc.constantFrom(...TRICKY),
      fc.string({ minLength: 1, maxLength: 6 }),
      fc.string({ minLength: 1, maxLength: 3, unit: 'grapheme' }),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => parts.join(''))

const attributesArb = fc.array(fc.record({ type: fc.constantFrom(...TYPES), value: valueArb }), {
  minLength: 1,
  maxLength: 6,
})

/** RFC 4514 section 2.4, as nginx writes `$ssl_client_s_dn` (non-ASCII as raw UTF-8 or `\XX`). */
function rfc4514(attrs: DnAttribute[], hexUtf8: boolean): string {
  const escape = (v: string) => {
    let out = ''
    Array.from(v).forEach((ch, i, all) => {
      const code = ch.codePointAt(0) as number
      if (code < 0x20 || code === 0x7f || (hexUtf8 && code > 0x7f)) {
        for (const b of Buffer.from(ch, 'utf8')) out += `\\${b.toString(16).padStart(2, '0')}`
      } else if ('\\,+"<>;'.includes(ch)) out += `\\${ch}`
      else if ((i === 0 && (ch === ' ' || ch === '#')) || (i === all.length - 1 && ch === ' ')) {
        out += `\\${ch}`
      } else out += ch
    })
    return out
  }
  return attrs.map((a) => `${a.type}=${escape(a.value)}`).join(',')
}

/** OpenSSL's one-line form from a proxy that escapes: `\/`, `\\`, and `\xHH` for other bytes. */
function openssl(attrs: DnAttribute[]): string {
  const escape = (v: string) =>
    Array.from(v)
      .map((ch) => {
        const code = ch.codePointAt(0) as number
        if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`
        return ch === '/' || ch === '\\' ? `\\${ch}` : ch
      })
      .join('')
  return attrs.map((a) => `/${a.type}=${escape(a.value)}`).join('')
}

/** The agent id a certificate with these attributes really names (one distinct CN), if any. */
const trueAgent = (attrs: DnAttribute[]) => {
  const cns = new Set(attrs.filter((a) => a.type === 'CN').map((a) => a.value))
  return cns.size === 1 ? [...cns][0] : undefined
}

// Whole DNs are trimmed of blanks (HTTP trims header values), so the last value ends in a letter.
const lastFixed = (attrs: DnAttribute[]) => [...attrs, { type: 'C', value: 'US' }]

describe('parseSubjectDn (properties)', () => {
  it('rfc4514: any attributes written with escapes come back exactly', () => {
    fc.assert(
      fc.property(attributesArb, fc.boolean(), (attrs, hex) => {
        const all = lastFixed(attrs)
        expect(parseSubjectDn(rfc4514(all, hex), 'rfc4514')).toEqual(all)
        expect(agentFromDn(parseSubjectDn(rfc4514(all, hex), 'rfc4514') ?? [], 'CN=')).toBe(
          trueAgent(all),
        )
      }),
      { numRuns: 500 },
    )
  })

  it('openssl: any attributes written with escapes come back exactly', () => {
    fc.assert(
      fc.property(attributesArb, (attrs) => {
        const all = lastFixed(attrs)
        expect(parseSubjectDn(openssl(all), 'openssl')).toEqual(all)
        expect(agentFromDn(parseSubjectDn(openssl(all), 'openssl') ?? [], 'CN=')).toBe(
          trueAgent(all),
        )
      }),
      { numRuns: 500 },
    )
  })

  it('a value that spells another attribute never names an agent, in either format', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('O', 'OU', 'L', 'emailAddress'),
        fc.string({ maxLength: 8 }),
        fc.constantFrom('agent_b', 'root', 'admin'),
        (type, before, victim) => {
          const attrs = [
            { type: 'O', value: 'Example' },
            { type, value: `${before}/CN=${victim}` },
            { type: 'C', value: 'US' },
          ]
          expect(agent(openssl(attrs), 'openssl')).toBeUndefined()
          expect(agent(rfc4514(attrs, false), 'rfc4514')).toBeUndefined()
          const comma = [attrs[0]!, { type, value: `${before},CN=${victim}` }, attrs[2]!]
          expect(agent(rfc4514(comma, false), 'rfc4514')).toBeUndefined()
        },
      ),
    )
  })
})
