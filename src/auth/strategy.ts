/** @module auth/strategy: the one interface every authentication method implements. */
import type { AuthMethod, Principal } from '../core/identity.js'
import type { DnAttribute } from './subject-dn.js'

/** A client certificate presented on the bridge's own TLS listener (MTLS_MODE=tls). */
export interface ClientCertificate {
  /** Whether TLS verified it against TLS_CLIENT_CA_FILE (chain and validity dates). */
  verified: boolean
  /** Its subject, attribute by attribute, as the TLS layer decoded it (no text to parse). */
  subject: DnAttribute[]
}

/** Who is on the other end of the TCP connection. */
export interface ConnectionFacts {
  /** The TCP peer's address; undefined when there is no socket (in-process requests). */
  peerAddress: string | undefined
  /** The certificate the client presented in the TLS handshake, if any. */
  clientCertificate?: ClientCertificate
}

/**
 * One authentication method. `authenticate` resolves to `null` when the request carries no
 * credential of this kind, and to a principal when it carries a valid one. The principal's
 * agent id is not validated here: the authenticator does that once for every method.
 *
 * @throws UNAUTHENTICATED (with `details.tokenPresented`) when a credential of this kind is
 *   present but invalid. Callers must not fall through to another method in that case.
 */
export interface AuthStrategy {
  readonly method: Exclude<AuthMethod, 'stdio'>
  authenticate(req: Request, conn: ConnectionFacts): Promise<Principal | null>
}
