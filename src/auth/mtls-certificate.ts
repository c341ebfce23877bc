/**
 * @module auth/mtls-certificate: client-certificate identity from the bridge's own TLS listener
 * (MTLS_MODE=tls), the preferred mTLS setup: no header is believed at all.
 */
import { AppError } from '../core/errors.js'
import type { Config } from '../config/schema.js'
import type { AuthStrategy } from './strategy.js'
import { agentFromDn } from './subject-dn.js'

/**
 * Creates the native mTLS strategy. The agent id is the CN (MTLS_SUBJECT_CN_PREFIX) of the
 * certificate the client presented in the TLS handshake, verified by Node's TLS against
 * TLS_CLIENT_CA_FILE. The listener asks for a certificate but does not require one, so clients
 * that authenticate otherwise (API key, JWT) still connect.
 *
 * Security: the identity comes from the handshake, decoded attribute by attribute by the TLS
 * layer, never from a header or a DN string; a certificate that did not verify is a refused
 * credential (401), not an absent one, so it cannot fall through to another method.
 *
 * @throws UNAUTHENTICATED (from `authenticate`) for a certificate that did not verify or has no
 *   single CN to take the agent id from.
 */
export function createMtlsCertificateStrategy(
  cfg: Pick<Config['auth']['mtls'], 'cnPrefix' | 'scopes'>,
): AuthStrategy {
  const refused = (message: string) =>
    new AppError('UNAUTHENTICATED', message, {
      details: { tokenPresented: true, reason: 'invalid_credential' },
    })
  return {
    method: 'mtls',
    async authenticate(_req, conn) {
      const cert = conn.clientCertificate
      if (!cert) return null
      if (!cert.verified) {
        throw refused(
          'The client certificate is not trusted: it must be issued by the CA in TLS_CLIENT_CA_FILE and be valid now.',
        )
      }
      const agent = agentFromDn(cert.subject, cfg.cnPrefix)
      if (!agent) {
        throw refused(
          `The client certificate's subject has no single ${cfg.cnPrefix}<agent> attribute to take the agent id from.`,
        )
      }
      return { agent, scopes: [...cfg.scopes], method: 'mtls' }
    },
  }
}
