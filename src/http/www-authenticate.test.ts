/** @module http/www-authenticate tests: the exact challenge for each 401/403. */
import { describe, expect, it } from 'vitest'
import { AppError } from '../core/errors.js'
import { loadConfig } from '../config/load.js'
import { resourceMetadataUrl, wwwAuthenticate } from './www-authenticate.js'

const oauthOf = (env: Record<string, string>) => loadConfig(env).auth.oauth
const withAs = oauthOf({
  OAUTH_RESOURCE: 'https://bridge.example.com/mcp',
  OAUTH_AUTHORIZATION_SERVERS: 'https://idp.example.com/realms/mcp',
})
const withoutAs = oauthOf({ OAUTH_RESOURCE: 'https://bridge.example.com/mcp' })
const META = 'https://bridge.example.com/.well-known/oauth-protected-resource/mcp'

const unauth = (tokenPresented: boolean) =>
  new AppError('UNAUTHENTICATED', 'x', { details: { tokenPresented } })

describe('wwwAuthenticate', () => {
  it.each([
    [unauth(false), withAs, `Bearer resource_metadata="${META}"`],
    [unauth(true), withAs, `Bearer error="invalid_token", resource_metadata="${META}"`],
    [unauth(false), withoutAs, 'Bearer'],
    [unauth(true), withoutAs, 'Bearer error="invalid_token"'],
    [
      new AppError('FORBIDDEN', 'x', { details: { requiredScope: 'write' } }),
      withAs,
      `Bearer error="insufficient_scope", scope="write", resource_metadata="${META}"`,
    ],
    [
      new AppError('FORBIDDEN', 'x', { details: { requiredScope: 'list' } }),
      withoutAs,
      'Bearer error="insufficient_scope", scope="list"',
    ],
  ])('%#', (error, oauth, expected) => {
    expect(wwwAuthenticate(error, oauth)).toBe(expected)
  })

  it.each([
    new AppError('FORBIDDEN', 'another agent'),
    new AppError('SECRET_NOT_FOUND', 'x'),
    new AppError('INTERNAL', 'x'),
  ])('has no challenge for $code without a required scope', (error) => {
    expect(wwwAuthenticate(error, withAs)).toBeUndefined()
  })
})

describe('resourceMetadataUrl', () => {
  it.each([
    ['https://h.example/mcp', 'https://h.example/.well-known/oauth-protected-resource/mcp'],
    ['https://h.example/', 'https://h.example/.well-known/oauth-protected-resource'],
    ['https://h.example', 'https://h.example/.well-known/oauth-protected-resource'],
    [
      'http://h.example:8089/a/b/',
      'http://h.example:8089/.well-known/oauth-protected-resource/a/b',
    ],
  ])('%s -> %s', (resource, url) => {
    const oauth = { ...withAs, resource }
    expect(resourceMetadataUrl(oauth)).toBe(url)
  })

  it('is undefined without authorization servers', () => {
    expect(resourceMetadataUrl(withoutAs)).toBeUndefined()
  })
})

describe('configuration the challenge relies on', () => {
  it('refuses OAUTH_AUTHORIZATION_SERVERS without OAUTH_RESOURCE, or with a non-URL', () => {
    expect(() => loadConfig({ OAUTH_AUTHORIZATION_SERVERS: 'https://idp.example' })).toThrow(
      /OAUTH_RESOURCE/,
    )
    expect(() =>
      loadConfig({ OAUTH_RESOURCE: 'https://b.example/mcp', OAUTH_AUTHORIZATION_SERVERS: 'idp' }),
    ).toThrow(/OAUTH_AUTHORIZATION_SERVERS/)
  })
})
