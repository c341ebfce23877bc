/** @module http/debug-routes: `GET /echo-headers`, only when DEBUG_ENDPOINTS=true. */
import type { Hono } from 'hono'
import type { Config } from '../config/schema.js'
import { REDACTED } from '../observability/logger.js'
import type { AppEnv } from './context.js'

/** Headers that always carry credentials or identity. */
const ALWAYS_REDACTED = [
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'cookie',
  'set-cookie',
  'x-vault-token',
]

/** Names that look like they carry credentials, whatever the deployment calls them. */
const LOOKS_SECRET = /token|secret|passw|cookie|auth|api-?key|session|cert|ssl-client/i

/**
 * The request headers with every credential replaced by {@link REDACTED}: Authorization,
 * X-API-Key, cookies, the mTLS identity and verify headers, and anything whose name looks like
 * a credential.
 */
export function redactHeaders(
  headers: Headers,
  mtls: Pick<Config['auth']['mtls'], 'identityHeader' | 'verifyHeader'>,
): Record<string, string> {
  const secret = new Set([...ALWAYS_REDACTED, mtls.identityHeader, mtls.verifyHeader])
  const out: Record<string, string> = {}
  headers.forEach((value, name) => {
    out[name] = secret.has(name) || LOOKS_SECRET.test(name) ? REDACTED : value
  })
  return out
}

/**
 * Registers the debug routes when DEBUG_ENDPOINTS is true, and nothing otherwise (so they answer
 * 404). Mount them behind authentication: they are not public.
 */
export function registerDebugRoutes(
  app: Hono<AppEnv>,
  config: Pick<Config, 'debugEndpoints'> & { auth: Pick<Config['auth'], 'mtls'> },
): void {
  if (!config.debugEndpoints) return
  app.get('/echo-headers', (c) =>
    c.json({ method: c.req.method, headers: redactHeaders(c.req.raw.headers, config.auth.mtls) }),
  )
}
