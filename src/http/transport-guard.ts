/**
 * @module http/transport-guard: checks that run before authentication, so that a hostile page
 * learns nothing from a guarded path (not even that a credential is missing): Origin, Host
 * (DNS rebinding) and credentials in the query string. The composition root mounts it on /mcp.
 */
import type { MiddlewareHandler } from 'hono'
import { AppError } from '../core/errors.js'
import type { AppEnv } from './context.js'

export interface TransportGuardOptions {
  /**
   * Origins a browser may call from; any other Origin is refused (but see `host`). Clients
   * outside a browser send none.
   */
  allowedOrigins: readonly string[]
  /** The variable that lists them, named in the refusal so the operator knows what to change. */
  allowedOriginsSetting: string
  /**
   * The address the server listens on (`HOST`). Loopback turns on the Host check, and lets pages
   * served from this machine (a loopback Origin, any port) call as well.
   */
  host: string
}

// Security: query parameters that carry credentials in other APIs. The MCP authorization spec
// forbids access tokens in the URI (they end up in logs and browser history), so a request
// that tries is refused outright rather than silently ignored.
const CREDENTIAL_PARAMS = new Set([
  'access_token',
  'token',
  'api_key',
  'apikey',
  'api-key',
  'x-api-key',
  'key',
  'jwt',
  'authorization',
])

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]'])

/** True for addresses that only this machine can reach. */
export const isLoopbackHost = (host: string): boolean => {
  const h = host.toLowerCase()
  return LOOPBACK_NAMES.has(h) || /^127(\.\d{1,3}){3}$/.test(h) || h.endsWith('.localhost')
}

/** The host name of a `Host` header, without the port; IPv6 keeps its brackets. */
const hostName = (header: string): string => {
  const h = header.trim().toLowerCase()
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1)
  return h.split(':')[0] ?? ''
}

/** True for an `http(s)://` Origin whose host only this machine can reach. */
const isLoopbackOrigin = (origin: string): boolean => {
  const m = /^https?:\/\/(\[[0-9a-f:.]+\]|[^/:[\]]+)(:\d{1,5})?$/i.exec(origin)
  return m !== null && isLoopbackHost(m[1] ?? '')
}

/**
 * The guard. Mount it among the public routes, before the auth middleware.
 *
 * @throws FORBIDDEN for an Origin neither in `allowedOrigins` nor, while bound to loopback, a
 *   loopback one; or a non-loopback Host while bound to loopback. INVALID_INPUT for a
 *   credential in the query string.
 */
export function createTransportGuard(options: TransportGuardOptions): MiddlewareHandler<AppEnv> {
  const allowed = new Set(options.allowedOrigins.map((o) => o.toLowerCase().replace(/\/+$/, '')))
  const loopbackOnly = isLoopbackHost(options.host)
  return async (c, next) => {
    const origin = c.req.header('origin')
    // Security: browsers send Origin on cross-site requests; a page from anywhere not listed
    // must not drive the agent's tools. Clients outside a browser send no Origin. A server
    // bound to loopback is reachable from this machine only, so a page that this machine
    // serves itself (a loopback Origin) is no more foreign than any other local client; the
    // MCP spec's DNS-rebinding rule is about a foreign page reaching a loopback server, which
    // the Host check below refuses.
    const allowedOrigin =
      origin === undefined ||
      allowed.has(origin.toLowerCase()) ||
      (loopbackOnly && isLoopbackOrigin(origin))
    if (!allowedOrigin) {
      throw new AppError(
        'FORBIDDEN',
        `This Origin may not call ${c.req.path.slice(0, 100)}; the operator can allow it in ` +
          `${options.allowedOriginsSetting}.`,
      )
    }
    // Security: bound to loopback, a Host naming anything else means a browser was pointed at
    // us through a DNS name that resolves to 127.0.0.1 (DNS rebinding).
    if (loopbackOnly && !isLoopbackHost(hostName(c.req.header('host') ?? ''))) {
      throw new AppError(
        'FORBIDDEN',
        'This server listens on loopback and answers only to localhost, 127.0.0.1 or [::1].',
      )
    }
    const params = new URL(c.req.url).searchParams
    for (const name of params.keys()) {
      if (CREDENTIAL_PARAMS.has(name.toLowerCase())) {
        throw new AppError(
          'INVALID_INPUT',
          'Credentials in the URL are refused; send Authorization: Bearer or X-API-Key headers.',
        )
      }
    }
    await next()
  }
}
