/** @module vault/session-runner tests: which token a session for a caller reaches Vault through. */
import { describe, expect, it } from 'vitest'
import { withCredential, type CallContext, type Principal } from '../core/identity.js'
import type { VaultIdentity } from '../core/ports.js'
import { sessionIdentity, type SessionRunnerDeps } from './session-runner.js'

const caller = (source?: 'hs256' | 'jwks'): CallContext => {
  const principal: Principal = {
    agent: 'alice',
    scopes: ['read'],
    method: source ? 'jwt' : 'api_key',
  }
  return {
    requestId: 'r1',
    principal: source
      ? withCredential(principal, { kind: 'jwt', token: 'a.b.c', source, claims: {} })
      : principal,
  }
}
const exchange = (only: boolean) =>
  ({ only }) as unknown as NonNullable<SessionRunnerDeps['exchange']>

describe('sessionIdentity', () => {
  it.each<
    [string, Pick<SessionRunnerDeps, 'childTokens' | 'exchange'>, CallContext, VaultIdentity]
  >([
    ['API key, no child tokens', { childTokens: false }, caller(), 'bridge_token'],
    ['API key, child tokens', { childTokens: true }, caller(), 'child_token'],
    ['JWKS JWT, no exchange', { childTokens: true }, caller('jwks'), 'child_token'],
    [
      'JWKS JWT, exchange',
      { childTokens: true, exchange: exchange(false) },
      caller('jwks'),
      'own_login',
    ],
    // HS256 tokens are the bridge's own: Vault's JWT method cannot verify them.
    [
      'HS256 JWT, exchange',
      { childTokens: false, exchange: exchange(false) },
      caller('hs256'),
      'bridge_token',
    ],
    [
      'API key, exchange',
      { childTokens: true, exchange: exchange(false) },
      caller(),
      'child_token',
    ],
    ['API key, exchange only', { childTokens: true, exchange: exchange(true) }, caller(), 'none'],
    [
      'JWKS JWT, exchange only',
      { childTokens: false, exchange: exchange(true) },
      caller('jwks'),
      'own_login',
    ],
  ])('%s', (_name, deps, ctx, expected) => {
    expect(sessionIdentity(deps, ctx)).toBe(expected)
  })
})
