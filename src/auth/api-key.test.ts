/** @module auth/api-key tests: lookup, scopes, refusal of near misses, nothing leaked. */
import { describe, expect, it } from 'vitest'
import { AppError } from '../core/errors.js'
import { loadConfig } from '../config/load.js'
import { createApiKeyStrategy } from './api-key.js'

const KEY = 'k-abcdefghijklmnop-0123456789'
const cfg = loadConfig({
  API_KEYS_JSON: JSON.stringify({
    [KEY]: 'agent_api',
    'k-readonly-0123456789': { agent: 'agent_ro', scopes: ['read', 'list'] },
  }),
}).auth.apiKey
const strategy = createApiKeyStrategy(cfg)
const conn = { peerAddress: undefined }
const req = (headers: Record<string, string>) => new Request('http://x/whoami', { headers })

async function refusal(headers: Record<string, string>): Promise<AppError> {
  const err = await strategy.authenticate(req(headers), conn).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(AppError)
  return err as AppError
}

describe('createApiKeyStrategy', () => {
  it('has nothing to say without X-API-Key, or with an empty one', async () => {
    expect(await strategy.authenticate(req({ authorization: 'Bearer x' }), conn)).toBeNull()
    expect(await strategy.authenticate(req({ 'x-api-key': '' }), conn)).toBeNull()
  })

  it('maps a plain entry to its agent with all four scopes', async () => {
    expect(await strategy.authenticate(req({ 'x-api-key': KEY }), conn)).toEqual({
      agent: 'agent_api',
      scopes: ['read', 'write', 'delete', 'list'],
      method: 'api_key',
    })
  })

  it('keeps the scopes of an object entry', async () => {
    const p = await strategy.authenticate(req({ 'x-api-key': 'k-readonly-0123456789' }), conn)
    expect(p?.agent).toBe('agent_ro')
    expect(p?.scopes).toEqual(['read', 'list'])
  })

  it.each([
    ['one character off', KEY.slice(0, -1) + '8'],
    ['a prefix', KEY.slice(0, -1)],
    ['one character more', KEY + '0'],
    ['different case', KEY.toUpperCase()],
    ['huge', 'k'.repeat(10_000)],
  ])('refuses a near miss (%s) with UNAUTHENTICATED and tokenPresented', async (_, key) => {
    const err = await refusal({ 'x-api-key': key })
    expect(err.code).toBe('UNAUTHENTICATED')
    expect(err.details.tokenPresented).toBe(true)
    expect(err.message).not.toContain(KEY.slice(0, 8))
    expect(JSON.stringify(err)).not.toContain(KEY)
  })

  it('refuses every key when none is configured', async () => {
    const none = createApiKeyStrategy({ keys: [] })
    const err = await none.authenticate(req({ 'x-api-key': KEY }), conn).catch((e: unknown) => e)
    expect((err as AppError).code).toBe('UNAUTHENTICATED')
  })
})
