/** @module auth/index: the one authentication pipeline REST and MCP share. */
import { AppError } from '../core/errors.js'
import { isValidAgentId, withCredential, type Principal } from '../core/identity.js'
import type { Config } from '../config/schema.js'
import type { Logger } from '../observability/logger.js'
import { createApiKeyStrategy } from './api-key.js'
import { createJwtStrategy, type JwtStrategyOptions } from './jwt.js'
import { createMtlsCertificateStrategy } from './mtls-certificate.js'
import { createMtlsHeaderStrategy } from './mtls-header.js'
import type { AuthStrategy, ConnectionFacts } from './strategy.js'

/** Turns a request into the principal that made it. */
export interface Authenticator {
  /**
   * @param conn the TCP peer (for the mTLS proxy check) and the TLS client certificate, if any.
   * @throws UNAUTHENTICATED when there is no credential, a presented credential is invalid, or
   *   two credentials name different agents (`details.tokenPresented` says whether one was sent).
   * @throws FORBIDDEN when a valid credential names an identity that is not a valid agent id.
   */
  authenticate(req: Request, conn: ConnectionFacts): Promise<Principal>
}

/** Knobs for tests and tuning that are not configuration variables. */
export type AuthenticatorOptions = Pick<
  JwtStrategyOptions,
  | 'jwksCooldownSeconds'
  | 'jwksMaxAgeSeconds'
  | 'jwksRetrySeconds'
  | 'fetchTimeoutSeconds'
  | 'keepCredential'
>

const HOW_TO: Record<AuthStrategy['method'], string> = {
  api_key: 'X-API-Key: <key>',
  jwt: 'Authorization: Bearer <JWT>',
  mtls: 'a client certificate',
}

/**
 * Builds the strategies of the enabled methods (AUTH_API_KEY_ENABLED, AUTH_JWT_ENABLED,
 * AUTH_MTLS_ENABLED) and combines them.
 *
 * Every enabled method looks at every request. Security: an invalid credential is a 401 even
 * when another credential on the same request is valid (no falling through to a weaker method),
 * and credentials that name different agents are a 401 rather than a choice between them. When
 * several name the same agent, the principal gets only the scopes all of them grant.
 *
 * @throws Error at build time when MTLS_TRUSTED_PROXIES holds something that is not a CIDR.
 */
export function createAuthenticator(
  auth: Config['auth'],
  logger: Logger,
  options: AuthenticatorOptions = {},
): Authenticator {
  const strategies: AuthStrategy[] = []
  // Order decides which method a combined principal reports: the strongest proof first.
  if (auth.mtls.enabled) {
    strategies.push(
      auth.mtls.mode === 'tls'
        ? createMtlsCertificateStrategy(auth.mtls)
        : createMtlsHeaderStrategy(auth.mtls, logger),
    )
  }
  if (auth.jwt.enabled) {
    strategies.push(
      createJwtStrategy(auth.jwt, { ...options, logger, resource: auth.oauth.resource }),
    )
  }
  if (auth.apiKey.enabled) strategies.push(createApiKeyStrategy(auth.apiKey))
  const howTo = strategies.map((s) => HOW_TO[s.method]).join(', or ')

  return {
    async authenticate(req, conn) {
      const outcomes = await Promise.allSettled(strategies.map((s) => s.authenticate(req, conn)))
      const principals: Principal[] = []
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') throw outcome.reason
        if (outcome.value) principals.push(outcome.value)
      }
      const [first] = principals
      if (!first) {
        throw new AppError('UNAUTHENTICATED', `Authentication required: send ${howTo}.`, {
          details: { tokenPresented: false },
        })
      }
      if (principals.some((p) => p.agent !== first.agent)) {
        throw new AppError(
          'UNAUTHENTICATED',
          'The credentials on this request name different agents; send the credential of one agent only.',
          { details: { tokenPresented: true, reason: 'conflicting_credentials' } },
        )
      }
      if (!isValidAgentId(first.agent)) {
        throw new AppError(
          'FORBIDDEN',
          'The authenticated identity is not a valid agent id (1-64 letters, digits, "_", "." or "-"); ask the operator for a credential that names a valid agent.',
          { details: { reason: 'invalid_agent_id' } },
        )
      }
      const scopes = first.scopes.filter((s) => principals.every((p) => p.scopes.includes(s)))
      const principal: Principal = { agent: first.agent, scopes, method: first.method }
      const credential = principals.find((p) => p.credential)?.credential
      return credential ? withCredential(principal, credential) : principal
    },
  }
}
