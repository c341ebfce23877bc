/**
 * @module Errors that say what happened, over REST and MCP: a missing version of an existing
 * secret, a missing Transit mount, validation messages that name the field and what it takes
 * (never a value), and the colon rule of `/secrets/...` in both directions.
 */
import { describe, expect, it } from 'vitest'
import { uniqueName } from '@vault-mcp-bridge/dev-vault/testing'
import { ADAPTERS, useAdapters } from '../helpers/both-adapters.js'
import { principal, startVaultStack } from '../helpers/vault-stack.js'

const both = useAdapters(startVaultStack)
// TRANSIT_MOUNT names a path where nothing is mounted.
const unmounted = useAdapters(() =>
  startVaultStack({ transitMount: uniqueName('nomount'), mountTransit: false }),
)

const b64 = (s: string) => Buffer.from(s).toString('base64')

describe.each(ADAPTERS)('errors over %s', (adapter) => {
  it('answers VERSION_NOT_FOUND for a version an existing secret does not have', async () => {
    const agent = both.stack.agent('ver')
    const caller = both.as(adapter, agent)
    for (const n of [1, 2]) {
      expect((await caller.call('write_secret', { path: 'c/1', data: { n } })).ok).toBe(true)
    }
    const missing = await caller.call('read_secret', { path: 'c/1', version: 7 })
    expect(missing).toMatchObject({ ok: false, code: 'VERSION_NOT_FOUND' })
    expect(!missing.ok && missing.message).toMatch(/version 7 .*1 to 2/)
    if (adapter === 'rest') expect(missing.status).toBe(404)
    const one = await caller.call('read_secret', { path: 'c/1', version: 1 })
    expect(one.ok && one.body.data).toEqual({ n: 1 })
    // A missing secret stays SECRET_NOT_FOUND, with or without a version.
    for (const input of [{ path: 'c/2', version: 7 }, { path: 'c/2' }]) {
      expect(await caller.call('read_secret', input)).toMatchObject({
        ok: false,
        code: 'SECRET_NOT_FOUND',
      })
    }
  })

  it.each([
    ['encrypt', { key: 'k', plaintext: b64('x') }],
    ['decrypt', { key: 'k', ciphertext: 'vault:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
    ['rewrap', { key: 'k', ciphertext: 'vault:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
  ])(
    'answers %s without a Transit mount with TRANSIT_NOT_MOUNTED naming the mount',
    async (op, input) => {
      const r = await unmounted.as(adapter, unmounted.stack.agent('tm')).call(op, input)
      expect(r).toMatchObject({ ok: false, code: 'TRANSIT_NOT_MOUNTED' })
      expect(!r.ok && r.message).toContain(`"${unmounted.stack.config.vault.transitMount}/"`)
      if (adapter === 'rest') expect(r.status).toBe(503)
    },
  )

  it.each([
    ['generate_data_key', { key: 'k', bits: 100 }, 'bits', '128, 256 or 512'],
    ['generate_data_key', { key: 'k', type: 'clear' }, 'type', '"plaintext"|"wrapped"'],
    ['read_secret', { path: 'a', version: 'abc' }, 'version', 'whole number from 1'],
    ['read_secret', { path: 'a', version: 0 }, 'version', 'whole number from 1'],
    ['list_secrets', { recursive: 'yes' }, 'recursive', 'true or false'],
    ['encrypt', { key: 'a/b', plaintext: '' }, 'key', 'A-Za-z0-9'],
  ])('%s with %j names the field %s and what it takes', async (op, input, field, allowed) => {
    const r = await both.as(adapter, both.stack.agent('val')).call(op, input)
    expect(r).toMatchObject({ ok: false, code: 'INVALID_INPUT' })
    const message = r.ok ? '' : r.message
    expect(message).toContain(`${field}: `)
    expect(message).toContain(allowed)
    expect(message).not.toMatch(/NaN|Invalid input\.\s*\w+: Invalid input/)
  })

  it('names an unknown field and lists the fields the operation takes', async () => {
    const r = await both
      .as(adapter, both.stack.agent('unk'))
      .call('encrypt', { key: 'k', plaintext: b64('x'), plain_text: 'x' })
    expect(r).toMatchObject({ ok: false, code: 'INVALID_INPUT' })
    expect(!r.ok && r.message).toContain(
      'unknown field "plain_text"; the fields are key, plaintext, context, batch',
    )
  })

  it('never repeats a value it refuses', async () => {
    const secret = 'hunter2-do-not-echo'
    const caller = both.as(adapter, both.stack.agent('echo'))
    for (const [op, input] of [
      ['write_secret', { path: 'x', data: secret }],
      ['write_secret', { path: 'x', data: { a: 1 }, cas: secret }],
      ['encrypt', { key: 'k', plaintext: secret }],
      ['generate_data_key', { key: 'k', bits: secret }],
    ] as const) {
      const r = await caller.call(op, input)
      expect(r).toMatchObject({ ok: false, code: 'INVALID_INPUT' })
      expect(!r.ok && r.message).not.toContain(secret)
    }
  })
})

describe('the colon rule of /secrets/...', () => {
  const call = (method: string, path: string, agent: string, body?: unknown) =>
    both.rest().call(method, path, { agent, ...(body === undefined ? {} : { body }) })

  it('refuses an unknown action on every method with 404 NOT_FOUND, writing nothing', async () => {
    const agent = both.stack.agent('colon')
    for (const method of ['GET', 'PUT', 'POST', 'PATCH', 'DELETE']) {
      for (const path of ['/secrets/v/s:frobnicate', '/secrets/v/s:', '/secrets/v/s:meta:data']) {
        const res = await call(
          method,
          path,
          agent,
          ['PUT', 'POST', 'PATCH'].includes(method) ? { data: { a: 1 } } : undefined,
        )
        expect([method, path, res.status, res.json?.error?.code]).toEqual([
          method,
          path,
          404,
          'NOT_FOUND',
        ])
      }
    }
    const ctx = { principal: principal(agent), requestId: 'colon' }
    expect(
      (await both.stack.service.listSecrets(ctx, { prefix: '', recursive: true })).keys,
    ).toEqual([])
  })

  it('keeps a ":" written as %3A in the name, also before an action', async () => {
    const agent = both.stack.agent('named')
    const put = await call('PUT', '/secrets/v/s%3Afrobnicate', agent, { data: { a: 1 } })
    expect(put.status).toBe(200)
    expect(put.json.path).toBe('v/s:frobnicate')
    expect((await call('GET', '/secrets/v/s%3Afrobnicate', agent)).json.data).toEqual({ a: 1 })
    const meta = await call('GET', '/secrets/v/s%3Afrobnicate:metadata', agent)
    expect(meta.status).toBe(200)
    expect(meta.json.path).toBe('v/s:frobnicate')
    // The list names it as it is; a client encodes it again to use it.
    expect((await call('GET', '/secrets?prefix=v/', agent)).json.keys).toEqual(['s:frobnicate'])
    // A ":" in an earlier segment cannot start an action, so it is part of the name.
    const inner = await call('PUT', '/secrets/a:b/c', agent, { data: { b: 2 } })
    expect(inner.status).toBe(200)
    expect(inner.json.path).toBe('a:b/c')
  })

  it('gives MCP the same names without any encoding', async () => {
    const agent = both.stack.agent('mcpcolon')
    const w = await both.as('mcp', agent).call('write_secret', { path: 'v/s:x', data: { a: 1 } })
    expect(w.ok && w.body.path).toBe('v/s:x')
    const r = await call('GET', '/secrets/v/s%3Ax', agent)
    expect([r.status, r.json.data]).toEqual([200, { a: 1 }])
  })
})
