/** @module vault/vault-errors tests: mapping node-vault failures by status, never by text. */
import { describe, expect, it } from 'vitest'
import { AppError } from '../core/errors.js'
import { VaultCallError, casMismatch, fromVaultError, isVaultUnavailable } from './vault-errors.js'

/** A rejection shaped like node-vault 0.12's ApiResponseError. */
const rejection = (statusCode: number, body: unknown, message = 'permission denied') =>
  Object.assign(new Error(message), { response: { statusCode, body } })

const call = { method: 'GET', path: 'secret/data/mcp/alice/x' }

describe('fromVaultError', () => {
  it.each([
    [404, { errors: [] }, 'SECRET_NOT_FOUND'],
    [400, { errors: ['no data provided'] }, 'INVALID_INPUT'],
    [403, { errors: ['1 error occurred:\n\t* permission denied\n\n'] }, 'FORBIDDEN'],
    [413, { errors: ['http: request body too large'] }, 'PAYLOAD_TOO_LARGE'],
    [429, { errors: ['request path "x": rate limit quota exceeded'] }, 'RATE_LIMITED'],
    [500, { errors: ['internal error'] }, 'INTERNAL'],
    [501, { errors: [] }, 'INTERNAL'],
    [502, '', 'VAULT_UNAVAILABLE'],
    [503, { errors: ['Vault is sealed'] }, 'VAULT_UNAVAILABLE'],
    [504, '', 'VAULT_UNAVAILABLE'],
    [405, { errors: ['1 error occurred:\n\t* unsupported operation\n\n'] }, 'INTERNAL'],
    [415, { errors: [] }, 'INTERNAL'],
  ])('maps status %i to its code', (status, body, code) => {
    const e = fromVaultError(rejection(status, body), 'secret', call)
    expect(e).toBeInstanceOf(AppError)
    expect(e.code).toBe(code)
  })

  it('decides by status, not by message text', () => {
    // A 404 whose text says "permission denied" is still a 404, and the other way round.
    expect(fromVaultError(rejection(404, {}, 'permission denied'), 'secret', call).code).toBe(
      'SECRET_NOT_FOUND',
    )
    expect(fromVaultError(rejection(403, {}, 'not found'), 'secret', call).code).toBe('FORBIDDEN')
    expect(
      fromVaultError(
        rejection(400, { errors: ['check-and-set parameter did not match the current version'] }),
        'secret',
        call,
      ).code,
    ).toBe('INVALID_INPUT')
  })

  it('reads deleted and destroyed versions from the 404 body (read: nested metadata)', () => {
    const meta = (deletion_time: string, destroyed: boolean) => ({
      request_id: 'r',
      data: {
        data: null,
        metadata: {
          version: 2,
          created_time: 't',
          deletion_time,
          destroyed,
          custom_metadata: null,
        },
      },
    })
    const deleted = rejection(404, meta('2026-10-03T21:22:01.2Z', false), 'Status 404')
    const destroyed = rejection(404, meta('', true), 'Status 404')
    const both = rejection(404, meta('2026-10-03T21:22:01.2Z', true), 'Status 404')
    expect(fromVaultError(deleted, 'secret', call).code).toBe('VERSION_DELETED')
    expect(fromVaultError(destroyed, 'secret', call).code).toBe('VERSION_DESTROYED')
    expect(fromVaultError(both, 'secret', call).code).toBe('VERSION_DESTROYED')
  })

  it('reads deleted versions from the flat 404 body of a patch', () => {
    const flat = {
      data: {
        version: 3,
        created_time: 't',
        deletion_time: '2026-01-01T00:00:00Z',
        destroyed: false,
      },
    }
    expect(fromVaultError(rejection(404, flat), 'secret', call).code).toBe('VERSION_DELETED')
    // An empty 404 body (patch of an absent key) is plain not-found.
    expect(fromVaultError(rejection(404, ''), 'secret', call).code).toBe('SECRET_NOT_FOUND')
  })

  it('maps network errors, timeouts and TLS failures to VAULT_UNAVAILABLE with a retry hint', () => {
    for (const code of [
      'ECONNREFUSED',
      'ECONNABORTED',
      'ETIMEDOUT',
      'ECONNRESET',
      'ENOTFOUND',
      'EAI_AGAIN',
      'EHOSTUNREACH',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'CERT_HAS_EXPIRED',
    ]) {
      const err = Object.assign(new Error(`connect ${code} 127.0.0.1:8200`), { code })
      const e = fromVaultError(err, 'secret', call)
      expect(e.code, code).toBe('VAULT_UNAVAILABLE')
      expect(e.details.retryAfterSeconds).toBeGreaterThan(0)
    }
  })

  it('maps a failure without a response that is not a network one to INTERNAL, never to Vault being down', () => {
    // What a request body nested thousands of levels deep makes the client's JSON.stringify throw.
    const overflow = new RangeError('Maximum call stack size exceeded')
    const other = Object.assign(new Error('socket hang up in a parser'), {
      code: 'ERR_INVALID_ARG_TYPE',
    })
    for (const err of [overflow, other, new TypeError('x is not a function'), 'a string']) {
      const e = fromVaultError(err, 'secret', call)
      expect(e.code).toBe('INTERNAL')
      expect(isVaultUnavailable(err)).toBe(false)
    }
  })

  it('never lets Vault text or the request config reach the message or the cause', () => {
    const token = 'hvs.SECRETTOKEN1234567890'
    const err = Object.assign(rejection(400, { errors: ['illegal base64 data at input byte 4'] }), {
      config: { headers: { 'X-Vault-Token': token }, data: '{"data":{"pw":"hunter2"}}' },
    })
    const e = fromVaultError(err, 'transit', { method: 'POST', path: 'transit/encrypt/k' })
    expect(e.message).not.toContain('base64 data')
    expect(e.message).not.toContain(token)
    expect(e.cause).toBeInstanceOf(VaultCallError)
    expect(JSON.stringify(e.cause)).not.toContain(token)
    expect(JSON.stringify(e.cause)).not.toContain('hunter2')
    expect((e.cause as VaultCallError).status).toBe(400)
  })

  it('passes AppErrors through unchanged', () => {
    const original = new AppError('CAS_MISMATCH', 'x')
    expect(fromVaultError(original, 'secret', call)).toBe(original)
  })

  it('casMismatch gives CAS_MISMATCH (409)', () => {
    expect(casMismatch(undefined).code).toBe('CAS_MISMATCH')
  })
})
