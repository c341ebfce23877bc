/** @module http/well-known: RFC 9728 OAuth protected-resource metadata (MCP authorization spec). */
import type { Hono } from 'hono'
import { AppError } from '../core/errors.js'
import type { Config } from '../config/schema.js'
import type { AppEnv } from './context.js'

/** The two paths MCP clients try: the path-aware one for `/mcp`, and the root one. */
export const PROTECTED_RESOURCE_PATHS = [
  '/.well-known/oauth-protected-resource',
  '/.well-known/oauth-protected-resource/mcp',
] as const

/**
 * Registers the metadata documents. They are public (mount them before authentication) and
 * identical: `resource` is OAUTH_RESOURCE, as the MCP gateways our users run publish it.
 * Without OAUTH_AUTHORIZATION_SERVERS there is no authorization server to advertise, and both
 * answer 404.
 *
 * @throws NOT_FOUND (from the routes) when OAUTH_AUTHORIZATION_SERVERS is not set.
 */
export function registerWellKnownRoutes(app: Hono<AppEnv>, oauth: Config['auth']['oauth']): void {
  const document = {
    resource: oauth.resource,
    resource_name: oauth.resourceName,
    authorization_servers: oauth.authorizationServers,
    bearer_methods_supported: oauth.bearerMethodsSupported,
    scopes_supported: oauth.scopesSupported,
  }
  for (const path of PROTECTED_RESOURCE_PATHS) {
    app.get(path, (c) => {
      if (oauth.authorizationServers.length === 0) {
        throw new AppError(
          'NOT_FOUND',
          'This server publishes no OAuth metadata (OAUTH_AUTHORIZATION_SERVERS is not set).',
        )
      }
      // Public metadata: browser-based MCP clients fetch it cross-origin.
      c.header('Access-Control-Allow-Origin', '*')
      c.header('Cache-Control', 'public, max-age=300')
      return c.json(document)
    })
  }
}
