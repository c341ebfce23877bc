/** @module http/auth-middleware: authenticates every request that reaches it (REST and /mcp). */
import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context, MiddlewareHandler } from 'hono'
import type { Authenticator } from '../auth/index.js'
import type { AppEnv } from './context.js'

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
 * Sets `c.var.principal` and binds the agent to the request logger.
 *
 * @throws UNAUTHENTICATED or FORBIDDEN (from the authenticator); the app's error handler
 *   renders them with their `WWW-Authenticate` challenge.
 */
export function authMiddleware(authenticator: Authenticator): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = await authenticator.authenticate(c.req.raw, peerAddress(c))
    c.set('principal', principal)
    const log = c.get('log') as AppEnv['Variables']['log'] | undefined
    if (log) c.set('log', log.child({ agent: principal.agent, authMethod: principal.method }))
    await next()
  }
}
