/**
 * @module http/transport-guard: checks that run before authentication on every route that needs
 * a principal (REST and /mcp), so that a hostile page learns nothing (not even that a credential
 * is missing): Origin and Sec-Fetch-Site (CSRF), Host (DNS rebinding), credentials in the query
 * string, and the body's media type. The checks throw AppErrors; each adapter renders them.
 */
import type { MiddlewareHandler } from 'hono'
import { AppError } from '../core/errors.js'
import type { AppEnv } from './context.js'
import type { RecordRefusal } from './refusal-audit.js'

export interface TransportGuardOptions {
  /**
   * Origins a browser may call from (ALLOWED_ORIGINS); clients outside a browser send none.
   * While bound to loopback, loopback Origins (any port) may call too.
   */
  allowedOrigins: readonly string[]
  /**
   * Host names the server answers to besides loopback names (ALLOWED_HOSTS). Empty: loopback
   * names only while bound to loopback, any name otherwise.
   */
  allowedHosts: readonly string[]
  /** The address the server listens on (`HOST`). */
  host: string
  /** Told about each refusal before it is thrown (the audit trail). */
  recordRefusal?: RecordRefusal
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

const NO_PARAMS = new URLSearchParams()

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]'])

/** True for addresses that only this machine can reach. */
export const isLoopbackHost = (host: string): boolean => {
  const h = host.toLowerCase()
  return LOOPBACK_NAMES.has(h) || /^127(\.\d{1,3}){3}$/.test(h) || h.endsWith('.localhost')
}

/**
 * The startup warning for a bridge that listens beyond loopback (HOST) without ALLOWED_HOSTS: it
 * then answers to any Host name, so a web page can reach it through DNS rebinding. Undefined when
 * HOST is loopback or ALLOWED_HOSTS lists names.
 */
export function allowedHostsWarning(
  host: string,
  allowedHosts: readonly string[],
): string | undefined {
  if (isLoopbackHost(host) || allowedHosts.length > 0) return undefined
  return `HOST=${host} is reachable beyond this machine and ALLOWED_HOSTS is unset, so the bridge answers to any Host name and a web page can reach it through DNS rebinding: list the host names clients use in ALLOWED_HOSTS`
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

/** An origin or host name as configured, compared case-insensitively, without trailing `/` or `.`. */
const normalise = (value: string): string =>
  value
    .trim()
    .toLowerCase()
    .replace(/[/.]+$/, '')

const forbidden = (message: string, reason: string) =>
  new AppError('FORBIDDEN', message, { details: { reason } })

/** Whether the request carries a body: a non-zero Content-Length, or chunked transfer. */
const hasBody = (headers: { get(name: string): string | null }): boolean => {
  const length = headers.get('content-length')
  if (length !== null && length.trim() !== '0') return true
  return headers.get('transfer-encoding') !== null
}

/** Whether a Content-Type is `application/json` (parameters such as charset allowed). */
export const isJsonMediaType = (contentType: string | undefined): boolean =>
  (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'application/json'

/**
 * Whether a `Host` header names what the server answers to: a loopback name, one of
 * ALLOWED_HOSTS, or (no ALLOWED_HOSTS, not bound to loopback) any name. The guard's DNS-rebinding
 * check, also used by the routes mounted before it.
 */
export function createHostCheck(
  options: Pick<TransportGuardOptions, 'allowedHosts' | 'host'>,
): (hostHeader: string) => boolean {
  const hosts = new Set(options.allowedHosts.map(normalise))
  const loopbackOnly = isLoopbackHost(options.host)
  return (hostHeader) => {
    const name = normalise(hostName(hostHeader))
    return isLoopbackHost(name) || hosts.has(name) || (hosts.size === 0 && !loopbackOnly)
  }
}

/**
 * The guard. Mount it after the public routes and before the auth middleware, on every path.
 *
 * @throws FORBIDDEN (`details.reason`: `origin_not_allowed`, `cross_site`, `host_not_allowed`)
 *   for an Origin not in `allowedOrigins` (nor, while bound to loopback, a loopback one), a
 *   cross-site request (`Sec-Fetch-Site`) from no
 *   allowed Origin, or a Host the server does not answer to; INVALID_INPUT for a credential in
 *   the query string; UNSUPPORTED_MEDIA_TYPE for a body that is not `application/json`.
 */
export function createTransportGuard(options: TransportGuardOptions): MiddlewareHandler<AppEnv> {
  const origins = new Set(options.allowedOrigins.map(normalise))
  const hosts = new Set(options.allowedHosts.map(normalise))
  const loopbackOnly = isLoopbackHost(options.host)
  const hostAllowed = createHostCheck(options)
  return async (c, next) => {
    const refuse = (e: AppError) => {
      options.recordRefusal?.(c, e)
      return e
    }
    const origin = c.req.header('origin')
    const listedOrigin = origin !== undefined && origins.has(normalise(origin))
    // Security: browsers send Origin on cross-site requests; a page from anywhere not listed
    // must not drive the agent's tools or routes. Clients outside a browser send no Origin. A
    // server bound to loopback is reachable from this machine only, so an Origin on this machine
    // (a loopback one) is no more foreign than any other local client; a foreign page reaching
    // it through DNS rebinding is refused by the Host check below. Such an Origin is still not
    // "listed": a browser's cross-site request from it is refused just below.
    const localOrigin = origin !== undefined && loopbackOnly && isLoopbackOrigin(origin)
    if (origin !== undefined && !listedOrigin && !localOrigin) {
      throw refuse(
        forbidden(
          `This Origin may not call ${c.req.path.slice(0, 100)}; the operator can allow it in ALLOWED_ORIGINS.`,
          'origin_not_allowed',
        ),
      )
    }
    // Security: a browser marks requests another site made it send (a form, a link, a script),
    // also those that carry no Origin; only an allowed Origin may do that.
    if (c.req.header('sec-fetch-site')?.toLowerCase() === 'cross-site' && !listedOrigin) {
      throw refuse(
        forbidden(
          'Cross-site requests are refused; call the bridge from your own client, or the operator can allow your Origin in ALLOWED_ORIGINS.',
          'cross_site',
        ),
      )
    }
    // Security: a Host naming anything else than what the server answers to means a browser was
    // pointed at us through a DNS name that resolves to our address (DNS rebinding).
    // In-process requests (app.request) carry the host in the URL only.
    const host = c.req.header('host') ?? new URL(c.req.url).host
    if (!hostAllowed(host)) {
      throw refuse(
        forbidden(
          loopbackOnly && hosts.size === 0
            ? 'This server listens on loopback and answers only to localhost, 127.0.0.1 or [::1]; the operator can add host names in ALLOWED_HOSTS.'
            : 'This server does not answer to this host name; the operator lists the names it answers to in ALLOWED_HOSTS.',
          'host_not_allowed',
        ),
      )
    }
    // Most requests have no query string: no URL to parse for them.
    const params = c.req.url.includes('?') ? new URL(c.req.url).searchParams : NO_PARAMS
    for (const name of params.keys()) {
      if (CREDENTIAL_PARAMS.has(name.toLowerCase())) {
        throw refuse(
          new AppError(
            'INVALID_INPUT',
            'Credentials in the URL are refused; send Authorization: Bearer or X-API-Key headers.',
          ),
        )
      }
    }
    // Security: a browser sends text/plain, form and multipart bodies cross-site without asking
    // first (no CORS preflight); a JSON-only API refuses them all, so such a request never acts.
    if (hasBody(c.req.raw.headers) && !isJsonMediaType(c.req.header('content-type'))) {
      throw refuse(
        new AppError(
          'UNSUPPORTED_MEDIA_TYPE',
          'Send the request body as JSON with Content-Type: application/json.',
          { details: { reason: 'content_type' } },
        ),
      )
    }
    await next()
  }
}
