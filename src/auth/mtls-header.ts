/** @module auth/mtls-header: client-certificate identity passed by a trusted TLS-terminating proxy. */
import { createHash, timingSafeEqual } from 'node:crypto'
import { BlockList, isIP } from 'node:net'
import { AppError } from '../core/errors.js'
import { parseCidr } from '../config/cidr.js'
import type { Config } from '../config/schema.js'
import type { Logger } from '../observability/logger.js'
import type { AuthStrategy } from './strategy.js'
import { agentFromDn, parseSubjectDn } from './subject-dn.js'

type MtlsConfig = Omit<Config['auth']['mtls'], 'enabled' | 'mode'>

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

/** A constant-time check of a presented secret (SHA-256 first, so lengths never differ). */
export function createSecretCheck(expected: string | undefined): (presented: string) => boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest()
  const want = expected ? digest(expected) : undefined
  return (presented) => want !== undefined && timingSafeEqual(digest(presented), want)
}

/**
 * Creates the mTLS-by-proxy strategy (MTLS_MODE=header): the proxy verified the client
 * certificate and passes its subject DN (MTLS_IDENTITY_HEADER, in MTLS_DN_FORMAT) and the
 * verification result (MTLS_VERIFY_HEADER).
 *
 * Security: any client can send these headers, so they are believed only when the TCP peer is a
 * proxy listed in MTLS_TRUSTED_PROXIES AND the request carries MTLS_PROXY_SECRET in
 * MTLS_PROXY_SECRET_HEADER (compared in constant time): an address alone proves nothing where
 * several processes, pods or containers share it. The proxy must overwrite client copies of all
 * three headers. The verify header must be exactly `SUCCESS`. Otherwise the headers are ignored,
 * as if absent, and a warning is logged; the request then needs another credential.
 *
 * @throws UNAUTHENTICATED (from `authenticate`) when the proxy vouches for a certificate whose
 *   DN has no usable CN.
 */
export function createMtlsHeaderStrategy(cfg: MtlsConfig, logger: Logger): AuthStrategy {
  const trusted = createCidrMatcher(cfg.trustedProxies)
  const fromProxy = createSecretCheck(cfg.proxySecret)
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
      if (!fromProxy(req.headers.get(cfg.proxySecretHeader) ?? '')) {
        logger.warn(
          { peer: conn.peerAddress ?? null, header: cfg.proxySecretHeader },
          'mTLS identity headers without the proxy secret (MTLS_PROXY_SECRET) were ignored',
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
      const attrs = parseSubjectDn(dn, cfg.dnFormat)
      const agent = attrs && agentFromDn(attrs, cfg.cnPrefix)
      if (!agent) {
        throw new AppError(
          'UNAUTHENTICATED',
          `The client certificate's subject has no single ${cfg.cnPrefix}<agent> attribute to take the agent id from.`,
          { details: { tokenPresented: true, reason: 'invalid_credential' } },
        )
      }
      return { agent, scopes: [...cfg.scopes], method: 'mtls' }
    },
  }
}
