/** @module auth/index tests: how the enabled methods combine into one principal or one refusal. */
import { describe, expect, it } from 'vitest'
import { SignJWT } from 'jose'
import { AppError } from '../core/errors.js'
import { loadConfig } from '../config/load.js'
import { createLogger } from '../observability/logger.js'
import { createAuthenticator } from './index.js'

const SECRET = 'index-test-secret-that-is-32-bytes-long'
const logger = createLogger({ level: 'silent' })
const KEYS = JSON.stringify({
  'key-agent-a-123456': 'agent_a',
  'key-agent-b-123456': { agent: 'agent_b', scopes: ['read', 'write'] },
  'key-bad-agent-1234': 'agent_a',
})

const PROXY_SECRET = 'index-test-proxy-secret-0123456789abcdef'
const authenticator = (env: Record<string, string> = {}) =>
  createAuthenticator(
    loadConfig({
      API_KEYS_JSON: KEYS,
      JWT_HS256_SECRET: SECRET,
      AUTH_MTLS_ENABLED: 'true',
      MTLS_MODE: 'header',
      MTLS_TRUSTED_PROXIES: '127.0.0.1,::1',
      MTLS_PROXY_SECRET: PROXY_SECRET,
      ...env,
    }).auth,
    logger,
  )
const at = (peerAddress: string | undefined) => ({ peerAddress })

const jwt = (sub: string, scopes?: string[]) =>
  new SignJWT({ sub, ...(scopes ? { scopes } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET))

const req = (headers: Record<string, string>) => new Request('http://x/', { headers })

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.catch((e: unknown) => e)
  expect(err).toBeInstanceOf(AppError)
  return err as AppError
}

describe('createAuthenticator', () => {
  it('is 401 without any credential, tokenPresented false', async () => {
    const err = await refusal(authenticator().authenticate(req({}), at('127.0.0.1')))
    expect(err.code).toBe('UNAUTHENTICATED')
    expect(err.details.tokenPresented).toBe(false)
  })

  it('ignores the credentials of a disabled method', async () => {
    const a = authenticator({ AUTH_API_KEY_ENABLED: 'false' })
    const err = await refusal(
      a.authenticate(req({ 'x-api-key': 'key-agent-a-123456' }), at(undefined)),
    )
    expect(err.code).toBe('UNAUTHENTICATED')
    expect(err.details.tokenPresented).toBe(false)
  })

  it('is 401 when two credentials name different agents', async () => {
    const headers = {
      'x-api-key': 'key-agent-a-123456',
      authorization: `Bearer ${await jwt('agent_b')}`,
    }
    const err = await refusal(authenticator().authenticate(req(headers), at(undefined)))
    expect(err.code).toBe('UNAUTHENTICATED')
    expect(err.details.tokenPresented).toBe(true)
  })

  it('is 401 when one credential is invalid even if another is valid', async () => {
    const headers = { 'x-api-key': 'key-agent-a-123456', authorization: 'Bearer not-a-jwt' }
    const err = await refusal(authenticator().authenticate(req(headers), at(undefined)))
    expect(err.code).toBe('UNAUTHENTICATED')
  })

  it('is 403 when a valid credential names an invalid agent id', async () => {
    const headers = { authorization: `Bearer ${await jwt('../agent_a')}` }
    const err = await refusal(authenticator().authenticate(req(headers), at(undefined)))
    expect(err.code).toBe('FORBIDDEN')
    expect(err.details.requiredScope).toBeUndefined()
  })

  it('grants the scopes all credentials for the same agent share, reporting the strongest method', async () => {
    const headers = {
      'x-api-key': 'key-agent-b-123456',
      authorization: `Bearer ${await jwt('agent_b', ['write', 'list'])}`,
      'x-ssl-client-s-dn': 'CN=agent_b',
      'x-ssl-client-verify': 'SUCCESS',
      'x-mtls-proxy-secret': PROXY_SECRET,
    }
    const p = await authenticator().authenticate(req(headers), at('::1'))
    expect(p).toEqual({ agent: 'agent_b', scopes: ['write'], method: 'mtls' })
  })

  it('returns the single principal of one credential', async () => {
    const p = await authenticator().authenticate(
      req({ 'x-api-key': 'key-agent-a-123456' }),
      at(undefined),
    )
    expect(p).toEqual({
      agent: 'agent_a',
      scopes: ['read', 'write', 'delete', 'list'],
      method: 'api_key',
    })
  })

  it('refuses a bad MTLS_TRUSTED_PROXIES entry at build time', () => {
    const auth = loadConfig({}).auth
    const mtls = {
      ...auth.mtls,
      enabled: true,
      mode: 'header' as const,
      trustedProxies: ['nope/8'],
    }
    const bad = { ...auth, mtls }
    expect(() => createAuthenticator(bad, logger)).toThrow(/MTLS_TRUSTED_PROXIES/)
  })
})
