/** @module auth/mtls-header: client-certificate identity passed by a trusted TLS-terminating proxy. */
import { BlockList, isIP } from 'node:net'
import { AppError } from '../core/errors.js'
import { parseCidr } from '../config/cidr.js'
import type { Config } from '../config/schema.js'
import type { Logger } from '../observability/logger.js'
import type { AuthStrategy } from './strategy.js'

type MtlsConfig = Omit<Config['auth']['mtls'], 'enabled'>

/** One attribute of a subject DN, in the order the proxy sent it. */
export interface DnAttribute {
  type: string
  value: string
}

/**
 * Parses a subject DN in RFC 2253/4514 form (`CN=agent,O=Example`, with `\,` `\+` `\"` `\\` and
 * `\2C` escapes, `+` for multi-valued RDNs, quoted values) or OpenSSL's one-line form
 * (`/O=Example/CN=agent`).
 *
 * @returns the attributes, or undefined when the text is not a DN.
 */
export function parseSubjectDn(text: string): DnAttribute[] | undefined {
  const dn = text.trim()
  if (dn.length === 0) return undefined
  return dn.startsWith('/') ? parseOpenSslDn(dn) : parseRfc2253Dn(dn)
}

function parseOpenSslDn(dn: string): DnAttribute[] | undefined {
  // OpenSSL does not escape "/" inside values, so a new attribute starts only at "/type=".
  const parts = dn.slice(1).split(/\/(?=[A-Za-z][A-Za-z0-9.-]*=)/)
  const out: DnAttribute[] = []
  for (const part of parts) {
    const eq = part.indexOf('=')
    if (eq <= 0) return undefined
    out.push({ type: part.slice(0, eq).trim(), value: part.slice(eq + 1) })
  }
  return out
}

function parseRfc2253Dn(dn: string): DnAttribute[] | undefined {
  const out: DnAttribute[] = []
  let i = 0
  while (i < dn.length) {
    const eq = dn.indexOf('=', i)
    if (eq < 0) return undefined
    const type = dn.slice(i, eq).trim()
    if (!/^[A-Za-z][A-Za-z0-9-]*$|^\d+(\.\d+)*$/.test(type)) return undefined
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

/**
 * Builds a matcher for a list of CIDRs (`10.0.0.0/8`, `::1/128`, or a bare address). IPv4 peers
 * written as IPv4-mapped IPv6 (`::ffff:127.0.0.1`, as dual-stack sockets report them) match the
 * IPv4 ranges.
 *
 * @throws Error when an entry is not a CIDR (a configuration mistake, found at startup).
 */
export function createCidrMatcher(
  cidrs: readonly string[],
): (address: string | undefined) => boolean {
  const list = new BlockList()
  for (const text of cidrs) {
    const cidr = parseCidr(text)
    if (!cidr) {
      throw new Error(`MTLS_TRUSTED_PROXIES: "${text}" is not a CIDR such as 10.0.0.0/8 or ::1/128`)
    }
    list.addSubnet(cidr.address, cidr.prefix, cidr.family)
  }
  return (address) => {
    if (!address) return false
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]
    const plain = mapped ?? address.replace(/%.*$/, '')
    const family = isIP(plain)
    if (family === 0) return false
    return list.check(plain, family === 4 ? 'ipv4' : 'ipv6')
  }
}

/**
 * Creates the mTLS-by-proxy strategy: the proxy verified the client certificate and passes its
 * subject DN (MTLS_IDENTITY_HEADER) and the verification result (MTLS_VERIFY_HEADER).
 *
 * Security: any client can send these headers, so they are believed only when the TCP peer is a
 * proxy listed in MTLS_TRUSTED_PROXIES (which must overwrite client copies of both headers) and
 * the verify header is exactly `SUCCESS`. Otherwise they are ignored, as if absent, and a warning
 * is logged; the request then needs another credential.
 *
 * @throws UNAUTHENTICATED (from `authenticate`) when a trusted proxy vouches for a certificate
 *   whose DN has no usable CN.
 */
export function createMtlsHeaderStrategy(cfg: MtlsConfig, logger: Logger): AuthStrategy {
  const trusted = createCidrMatcher(cfg.trustedProxies)
  return {
    method: 'mtls',
    async authenticate(req, conn) {
      const dn = req.headers.get(cfg.identityHeader) ?? ''
      const verify = req.headers.get(cfg.verifyHeader) ?? ''
      // nginx sends both headers empty (or verify NONE) when the client showed no certificate.
      if (dn === '' && (verify === '' || verify === 'NONE')) return null
      if (!trusted(conn.peerAddress)) {
        logger.warn(
          { peer: conn.peerAddress ?? null, header: cfg.identityHeader },
          'mTLS identity headers from a peer not in MTLS_TRUSTED_PROXIES were ignored',
        )
        return null
      }
      if (verify !== 'SUCCESS') {
        logger.warn(
          { peer: conn.peerAddress, verify: verify.slice(0, 32) },
          'mTLS identity headers ignored: the proxy did not report a verified certificate (SUCCESS)',
        )
        return null
      }
      const attrs = parseSubjectDn(dn)
      const agent = attrs && agentFromDn(attrs, cfg.cnPrefix)
      if (!agent) {
        throw new AppError(
          'UNAUTHENTICATED',
          `The client certificate's subject has no single ${cfg.cnPrefix}<agent> attribute to take the agent id from.`,
          { details: { tokenPresented: true } },
        )
      }
      return { agent, scopes: [...cfg.scopes], method: 'mtls' }
    },
  }
}
