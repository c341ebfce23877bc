/** @module http/www-authenticate: the RFC 6750 / RFC 9728 challenge on 401 and 403 answers. */
import type { AppError } from '../core/errors.js'
import type { Config } from '../config/schema.js'

type OAuthConfig = Config['auth']['oauth']

/**
 * The URL of this resource's RFC 9728 metadata: the well-known path inserted between the host
 * and the path of OAUTH_RESOURCE (`https://h/mcp` gives
 * `https://h/.well-known/oauth-protected-resource/mcp`). Undefined without
 * OAUTH_AUTHORIZATION_SERVERS or OAUTH_RESOURCE, since there is then no document to point at.
 */
export function resourceMetadataUrl(oauth: OAuthConfig): string | undefined {
  if (oauth.authorizationServers.length === 0 || !oauth.resource) return undefined
  const url = new URL(oauth.resource)
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '')
  return `${url.origin}/.well-known/oauth-protected-resource${path}`
}

const quoted = (v: string) => `"${v.replace(/["\\]/g, '\\$&')}"`

/**
 * The `WWW-Authenticate` value for an error, or undefined when the error needs none.
 *
 * - UNAUTHENTICATED: `Bearer`, with `error="invalid_token"` when a credential was sent.
 * - FORBIDDEN with `details.requiredScope`: `Bearer error="insufficient_scope", scope="<scope>"`.
 *
 * Both carry `resource_metadata="<url>"` when OAUTH_AUTHORIZATION_SERVERS is set, so that MCP
 * clients can discover the authorization server (MCP authorization spec).
 */
export function wwwAuthenticate(error: AppError, oauth: OAuthConfig): string | undefined {
  const params: string[] = []
  if (error.code === 'UNAUTHENTICATED') {
    if (error.details.tokenPresented) params.push('error="invalid_token"')
  } else if (error.code === 'FORBIDDEN' && error.details.requiredScope) {
    params.push('error="insufficient_scope"', `scope=${quoted(error.details.requiredScope)}`)
  } else {
    return undefined
  }
  const metadata = resourceMetadataUrl(oauth)
  if (metadata) params.push(`resource_metadata=${quoted(metadata)}`)
  return params.length ? `Bearer ${params.join(', ')}` : 'Bearer'
}
