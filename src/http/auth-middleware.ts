/** @module http/auth-middleware: authenticates every request that reaches it (REST and /mcp). */
import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context, MiddlewareHandler } from 'hono'
import type { Authenticator } from '../auth/index.js'
import type { ClientCertificate, ConnectionFacts } from '../auth/strategy.js'
import { AppError } from '../core/errors.js'
import type { Principal } from '../core/identity.js'
import type { Config } from '../config/schema.js'
import type { AppEnv } from './context.js'
import type { AuthLimitHooks } from './limit-middleware.js'
import type { RecordRefusal } from './refusal-audit.js'

/** The TCP peer's address, or undefined when the request did not come over a socket. */
export function peerAddress(c: Context<AppEnv>): string | undefined {
  try {
    return getConnInfo(c).remote.address
  } catch {
    // app.request() in tests and other in-process calls carry no socket.
    return undefined
  }
}

/**
 * The certificate the client presented on the bridge's own TLS listener, or undefined (plain
 * HTTP, no certificate, or no socket). The subject comes from Node's TLS layer, one entry per
 * attribute (repeated types as arrays), never from a DN string.
 */
export function clientCertificate(c: Context<AppEnv>): ClientCertificate | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
  const socket = incoming?.socket as Partial<TLSSocket> | undefined
  if (typeof socket?.getPeerCertificate !== 'function') return undefined
  const cert = socket.getPeerCertificate()
  if (!cert || Object.keys(cert).length === 0) return undefined
  const subject = Object.entries(cert.subject ?? {}).flatMap(([type, value]) =>
    (Array.isArray(value) ? value : [value]).map((v) => ({ type, value: String(v) })),
  )
  return { verified: socket.authorized === true, subject }
}

/**
 * Which kind of credential a request carried, for metrics labels and the audit trail (a fixed,
 * small set; never the credential): `api_key`, `jwt`, `mtls` (MTLS_IDENTITY_HEADER, or a client
 * certificate on the TLS listener) or `none`.
 */
export const attemptedMethod = (c: Context<AppEnv>, mtlsHeader: string): string => {
  if (c.req.header('x-api-key') !== undefined) return 'api_key'
  if (/^bearer\s/i.test(c.req.header('authorization') ?? '')) return 'jwt'
  if (c.req.header(mtlsHeader) !== undefined || clientCertificate(c)) return 'mtls'
  return 'none'
}

/** The headers besides `X-API-Key` and `Authorization` that carry credentials (mTLS by proxy). */
export type CredentialHeaders = Pick<
  Config['auth']['mtls'],
  'identityHeader' | 'verifyHeader' | 'proxySecretHeader'
>

/**
 * Everything a request can authenticate with, as one string, so that the auth-failure limit can
 * tell a credential that verified from an address before from a new one. Any change in any of
 * them makes another credential (which only ever refuses more). Security: a secret; the limiter
 * keeps only an HMAC of it, and it must never be logged.
 */
export const presentedCredentials = (c: Context<AppEnv>, headers: CredentialHeaders): string =>
  JSON.stringify([
    c.req.header('x-api-key') ?? null,
    c.req.header('authorization') ?? null,
    c.req.header(headers.identityHeader) ?? null,
    c.req.header(headers.verifyHeader) ?? null,
    c.req.header(headers.proxySecretHeader) ?? null,
    clientCertificate(c) ?? null,
  ])

/** What the authenticator may know about the connection a request came on. */
export const connectionFacts = (c: Context<AppEnv>): ConnectionFacts => ({
  peerAddress: peerAddress(c),
  clientCertificate: clientCertificate(c),
})

/**
 * Sets `c.var.principal` and binds the agent to the request logger. A refusal goes through
 * `onRefused` first (the auth-failure limit), which may turn it into another error; a verified
 * principal goes through `onVerified` (the same limit), which may still refuse it.
 *
 * @throws UNAUTHENTICATED or FORBIDDEN (from the authenticator), RATE_LIMITED (from the hooks);
 *   the app's error handler renders them with their `WWW-Authenticate` challenge.
 */
export function authMiddleware(
  authenticator: Authenticator,
  options: Partial<AuthLimitHooks> & { recordRefusal?: RecordRefusal } = {},
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let principal: Principal
    try {
      principal = await authenticator.authenticate(c.req.raw, connectionFacts(c))
    } catch (err) {
      const refusal = options.onRefused ? await options.onRefused(c, err) : err
      if (refusal instanceof AppError) options.recordRefusal?.(c, refusal)
      throw refusal
    }
    const held = await options.onVerified?.(c)
    if (held) {
      options.recordRefusal?.(c, held)
      throw held
    }
    c.set('principal', principal)
    const log = c.get('log') as AppEnv['Variables']['log'] | undefined
    if (log) c.set('log', log.child({ agent: principal.agent, authMethod: principal.method }))
    await next()
  }
}
