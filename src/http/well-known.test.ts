/** @module http/well-known tests: the RFC 9728 documents, and 404 without authorization servers. */
import { describe, expect, it } from 'vitest'
import { Hono } from 'hono'
import { ERROR_SPEC, asAppError } from '../core/errors.js'
import { loadConfig } from '../config/load.js'
import type { AppEnv } from './context.js'
import { PROTECTED_RESOURCE_PATHS, registerWellKnownRoutes } from './well-known.js'

function appFor(env: Record<string, string>) {
  const app = new Hono<AppEnv>()
  app.onError((err, c) => {
    const e = asAppError(err)
    return c.json({ error: { code: e.code } }, ERROR_SPEC[e.code].status as 404)
  })
  registerWellKnownRoutes(app, loadConfig(env).auth.oauth)
  return app
}

describe('registerWellKnownRoutes', () => {
  const app = appFor({
    OAUTH_RESOURCE: 'http://mcp.example:8001/mcp',
    OAUTH_RESOURCE_NAME: 'MCP Server',
    OAUTH_AUTHORIZATION_SERVERS: 'http://keycloak.example:8002/realms/mcp',
    OAUTH_BEARER_METHODS_SUPPORTED: 'header',
    OAUTH_SCOPES_SUPPORTED: 'read,list',
  })

  it.each(PROTECTED_RESOURCE_PATHS)('serves %s', async (path) => {
    const res = await app.request(path)
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(await res.json()).toEqual({
      resource: 'http://mcp.example:8001/mcp',
      resource_name: 'MCP Server',
      authorization_servers: ['http://keycloak.example:8002/realms/mcp'],
      bearer_methods_supported: ['header'],
      scopes_supported: ['read', 'list'],
    })
  })

  it.each(PROTECTED_RESOURCE_PATHS)('answers 404 NOT_FOUND at %s without servers', async (path) => {
    const res = await appFor({}).request(path)
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND' } })
  })
})
