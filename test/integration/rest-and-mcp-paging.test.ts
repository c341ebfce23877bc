/**
 * @module Paged lists over REST and MCP: `limit`, `cursor` and `next_cursor` on plain and
 * recursive lists, every key exactly once across the pages of generated trees (fast-check),
 * cursors bound to their list, and clear refusals of bad paging input.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { principal, startVaultStack } from '../helpers/vault-stack.js'
import { ADAPTERS, useAdapters, type Caller } from '../helpers/both-adapters.js'

// LIST_MAX_KEYS=5, as in the issue: one page holds at most five keys.
const both = useAdapters(() => startVaultStack({ listMaxKeys: 5 }))

async function writeAll(agent: string, paths: readonly string[]) {
  const ctx = { principal: principal(agent), requestId: 'seed' }
  for (const path of paths) await both.stack.service.writeSecret(ctx, { path, data: { p: path } })
}

/** Every page, following next_cursor; checks the page invariants on the way. */
async function pages(caller: Caller, input: Record<string, unknown>, max = 5) {
  const out: string[][] = []
  let cursor: string | undefined
  for (let i = 0; i < 200; i++) {
    const r = await caller.call('list_secrets', { ...input, ...(cursor ? { cursor } : {}) })
    if (!r.ok) throw new Error(`list_secrets failed: ${r.code} ${r.message}`)
    expect(r.body.keys.length).toBeLessThanOrEqual(max)
    expect(r.body.truncated).toBe(r.body.next_cursor !== undefined)
    out.push(r.body.keys)
    if (!r.body.next_cursor) return out
    cursor = r.body.next_cursor
  }
  throw new Error('paging did not end')
}

describe.each(ADAPTERS)('paged lists over %s', (adapter) => {
  it('answers five of eight keys with a next_cursor that fetches the other three', async () => {
    const agent = both.stack.agent('many')
    const names = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8']
    await writeAll(
      agent,
      names.map((n) => `many/${n}`),
    )
    const caller = both.as(adapter, agent)
    const first = await caller.call('list_secrets', { prefix: 'many/' })
    expect(first).toMatchObject({
      ok: true,
      body: { prefix: 'many/', keys: names.slice(0, 5), truncated: true },
    })
    const cursor = first.ok ? first.body.next_cursor : undefined
    expect(typeof cursor).toBe('string')
    const second = await caller.call('list_secrets', { prefix: 'many/', cursor })
    expect(second).toEqual({
      ok: true,
      body: { prefix: 'many/', keys: names.slice(5), truncated: false },
      ...(adapter === 'rest' ? { status: 200 } : {}),
    })
    // The same folder written without its trailing "/" takes the same cursor.
    const same = await caller.call('list_secrets', { prefix: 'many', cursor })
    expect(same.ok && same.body.keys).toEqual(names.slice(5))
    expect(await pages(caller, { prefix: 'many/', limit: 3 }, 3)).toEqual([
      ['k1', 'k2', 'k3'],
      ['k4', 'k5', 'k6'],
      ['k7', 'k8'],
    ])
  })

  it('pages recursive lists in key order, folders interleaved where their keys sort', async () => {
    const agent = both.stack.agent('rec')
    const keys = ['a/x', 'a-b', 'a0', 'a/y/z', 'b', 'c/d/e/f', 'c/d/g', 'c.h']
    await writeAll(agent, keys)
    const caller = both.as(adapter, agent)
    expect(await pages(caller, { recursive: true, limit: 3 }, 3)).toEqual([
      ['a-b', 'a/x', 'a/y/z'],
      ['a0', 'b', 'c.h'],
      ['c/d/e/f', 'c/d/g'],
    ])
  })

  it('returns every key exactly once across pages of generated trees, plain and recursive', async () => {
    const segment = fc.stringMatching(/^[a-c0.\-_]{1,2}$/).filter((s) => s !== '.' && s !== '..')
    const tree = fc.uniqueArray(
      fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/')),
      { minLength: 1, maxLength: 14 },
    )
    await fc.assert(
      fc.asyncProperty(tree, fc.integer({ min: 1, max: 5 }), async (keys, limit) => {
        const agent = both.stack.agent('prop')
        await writeAll(agent, keys)
        const caller = both.as(adapter, agent)
        const recursive = await pages(caller, { recursive: true, limit }, limit)
        expect(recursive.flat()).toEqual([...keys].sort())
        const entries = [...new Set(keys.map((k) => k.replace(/\/.*$/s, '/')))].sort()
        expect((await pages(caller, { limit }, limit)).flat()).toEqual(entries)
      }),
      { numRuns: 12 },
    )
  })

  it('refuses a cursor used with another prefix or recursive, or one it did not issue', async () => {
    const agent = both.stack.agent('cur')
    await writeAll(agent, ['f/1', 'f/2', 'f/3', 'f/4', 'f/5', 'f/6', 'g/1'])
    const caller = both.as(adapter, agent)
    const first = await caller.call('list_secrets', { prefix: 'f/', recursive: true })
    const cursor = first.ok ? first.body.next_cursor : ''
    for (const input of [
      { prefix: 'g/', recursive: true, cursor },
      { prefix: 'f/', cursor },
      { prefix: 'f/', recursive: true, cursor: 'bm90LWEtY3Vyc29y' },
      { prefix: 'f/', recursive: true, cursor: 'not a cursor!' },
    ]) {
      expect(await caller.call('list_secrets', input)).toMatchObject({
        ok: false,
        code: 'INVALID_INPUT',
        message: expect.stringContaining('cursor'),
      })
    }
  })

  it('refuses a cursor that would walk out of the namespace', async () => {
    const agent = both.stack.agent('esc')
    await writeAll(agent, ['x/1'])
    const caller = both.as(adapter, agent)
    const forge = (doc: object) => Buffer.from(JSON.stringify(doc)).toString('base64url')
    for (const a of ['../other/', '../../', 'x/../../y/z', 'x//y']) {
      const cursor = forge({ v: 1, k: 's', p: '', r: true, a, o: 1 })
      expect(await caller.call('list_secrets', { recursive: true, cursor })).toMatchObject({
        ok: false,
        code: 'INVALID_INPUT',
      })
    }
  })

  it.each([
    [{ limit: 0 }, 'limit'],
    [{ limit: -1 }, 'limit'],
    [{ limit: 2.5 }, 'limit'],
    [{ limit: 'many' }, 'limit'],
    [{ recursive: 'yes' }, 'recursive'],
    [{ cursor: '' }, 'cursor'],
  ])('refuses bad paging input %j with INVALID_INPUT naming the field', async (input, field) => {
    const r = await both.as(adapter, both.stack.agent('bad')).call('list_secrets', input)
    expect(r).toMatchObject({ ok: false, code: 'INVALID_INPUT' })
    expect(!r.ok && r.message).toContain(field)
    if (adapter === 'rest') expect(r.status).toBe(400)
  })

  it('needs the list scope', async () => {
    const r = await both.as(adapter, both.stack.agent('nolist'), ['read']).call('list_secrets', {})
    expect(r).toMatchObject({ ok: false, code: 'FORBIDDEN' })
  })
})
