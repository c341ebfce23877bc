/** @module auth/subject-dn: client-certificate subject DNs as proxies write them, and the agent id in one. */

/** One attribute of a subject DN, in the order it was written. */
export interface DnAttribute {
  type: string
  value: string
}

/** How a proxy writes a DN: RFC 4514 (`CN=agent,O=Example`) or OpenSSL's one line (`/O=Example/CN=agent`). */
export type DnFormat = 'rfc4514' | 'openssl'

/**
 * Parses a subject DN written in `format`.
 *
 * - `rfc4514` (RFC 2253/4514, nginx's `$ssl_client_s_dn`): `\,` `\+` `\"` `\\` and `\2C`
 *   escapes, `+` for multi-valued RDNs, quoted values.
 * - `openssl` (`/O=Example/CN=agent`): `\/` and `\\` escapes and `\xHH` bytes; a new attribute
 *   starts only at an unescaped `/`.
 *
 * Security: a value never turns into an attribute of its own. An OU of `x/CN=b` written as
 * `/OU=x\/CN=b` stays one OU; written without the escape (nginx's `$ssl_client_s_dn_legacy`,
 * HAProxy's default) it cannot be told from a real CN, which is why the format is configured
 * (MTLS_DN_FORMAT, RFC 4514 by default) instead of guessed from the text.
 *
 * @returns the attributes, or undefined when the text is not a DN in that format.
 */
export function parseSubjectDn(text: string, format: DnFormat): DnAttribute[] | undefined {
  // Only ASCII blanks: HTTP already trimmed the header, and other spaces may be data.
  const dn = text.replace(/^[ \t]+|[ \t]+$/g, '')
  if (dn.length === 0) return undefined
  if (format === 'openssl') return dn.startsWith('/') ? parseOpenSslDn(dn) : undefined
  return dn.startsWith('/') ? undefined : parseRfc4514Dn(dn)
}

const ATTRIBUTE_TYPE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)$/

function parseOpenSslDn(dn: string): DnAttribute[] | undefined {
  const out: DnAttribute[] = []
  let i = 1
  while (i <= dn.length) {
    const eq = dn.indexOf('=', i)
    if (eq < 0) return undefined
    const type = dn.slice(i, eq).trim()
    if (!ATTRIBUTE_TYPE.test(type)) return undefined
    i = eq + 1
    const bytes: number[] = []
    while (i < dn.length && dn[i] !== '/') {
      if (dn[i] === '\\') {
        const hex = /^x([0-9A-Fa-f]{2})/.exec(dn.slice(i + 1, i + 4))
        if (hex) {
          bytes.push(parseInt(hex[1] as string, 16))
          i += 4
          continue
        }
        if (i + 1 >= dn.length) return undefined
        i++
      }
      const ch = String.fromCodePoint(dn.codePointAt(i) as number)
      bytes.push(...Buffer.from(ch, 'utf8'))
      i += ch.length
    }
    out.push({ type, value: Buffer.from(bytes).toString('utf8') })
    if (i >= dn.length) break
    i++ // the "/" that starts the next attribute
  }
  return out
}

function parseRfc4514Dn(dn: string): DnAttribute[] | undefined {
  const out: DnAttribute[] = []
  let i = 0
  while (i < dn.length) {
    const eq = dn.indexOf('=', i)
    if (eq < 0) return undefined
    const type = dn.slice(i, eq).trim()
    if (!ATTRIBUTE_TYPE.test(type)) return undefined
    i = eq + 1
    while (dn[i] === ' ') i++
    let value = ''
    if (dn[i] === '"') {
      i++
      while (i < dn.length && dn[i] !== '"') {
        if (dn[i] === '\\' && i + 1 < dn.length) i++
        value += dn[i]
        i++
      }
      if (dn[i] !== '"') return undefined
      i++
      while (dn[i] === ' ') i++
    } else {
      const bytes: number[] = []
      // Length of the value up to its last escaped character: spaces before it are data.
      let kept = 0
      const flush = () => {
        if (bytes.length === 0) return
        value += Buffer.from(bytes).toString('utf8')
        kept = value.length
        bytes.length = 0
      }
      while (i < dn.length && dn[i] !== ',' && dn[i] !== '+' && dn[i] !== ';') {
        if (dn[i] === '\\') {
          const hex = /^[0-9A-Fa-f]{2}/.exec(dn.slice(i + 1, i + 3))
          if (hex) {
            bytes.push(parseInt(hex[0], 16))
            i += 3
            continue
          }
          if (i + 1 >= dn.length) return undefined
          flush()
          value += dn[i + 1]
          kept = value.length
          i += 2
          continue
        }
        flush()
        value += dn[i]
        i++
      }
      flush()
      value = value.slice(0, kept) + value.slice(kept).replace(/ +$/, '')
    }
    out.push({ type, value })
    if (i < dn.length) {
      if (![',', '+', ';'].includes(dn[i] ?? '')) return undefined
      i++
      while (dn[i] === ' ') i++
      if (i >= dn.length) return undefined
    }
  }
  return out
}

/**
 * The agent id in a DN: the value of the one attribute that matches MTLS_SUBJECT_CN_PREFIX
 * (`CN=` by default; `CN=svc-` would also strip `svc-` from the value). The attribute type is
 * compared case-insensitively.
 *
 * @returns the agent id, or undefined when no attribute matches or several different ones do.
 */
export function agentFromDn(attrs: readonly DnAttribute[], cnPrefix: string): string | undefined {
  const eq = cnPrefix.indexOf('=')
  const type = (eq < 0 ? cnPrefix : cnPrefix.slice(0, eq)).trim().toUpperCase() || 'CN'
  const valuePrefix = eq < 0 ? '' : cnPrefix.slice(eq + 1)
  const found = new Set(
    attrs
      .filter((a) => a.type.toUpperCase() === type && a.value.startsWith(valuePrefix))
      .map((a) => a.value.slice(valuePrefix.length)),
  )
  return found.size === 1 ? [...found][0] : undefined
}
