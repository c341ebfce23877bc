/**
 * @module core/list-pages tests: paging over generated folder trees returns every key exactly
 * once, in order, for any page size and folder budget; cursors are bound to their list.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AppError } from './errors.js'
import { decodeCursor, encodeCursor, listPage, type Position } from './list-pages.js'

/** The direct children of `rel` in a KV-like tree of `keys` (a key and a folder may share a name). */
function lister(keys: readonly string[]) {
  let calls = 0
  const list = async (rel: string) => {
    calls += 1
    const out = new Set<string>()
    for (const k of keys) {
      if (!k.startsWith(rel)) continue
      const rest = k.slice(rel.length)
      const slash = rest.indexOf('/')
      out.add(slash < 0 ? rest : rest.slice(0, slash + 1))
    }
    // Vault answers in its own order; the pager must not rely on it.
    return [...out].reverse()
  }
  return { list, calls: () => calls }
}

// Segments from characters that sort around "/" ("-" and "." before it, digits and letters
// after), so that keys such as "a-b", "a/b" and "a0" interleave.
const segment = fc.stringMatching(/^[a-c0.\-_]{1,3}$/).filter((s) => s !== '.' && s !== '..')
const tree = fc.uniqueArray(
  fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/')),
  { minLength: 0, maxLength: 40 },
)

/** Every page of a listing, following the cursors until the last page. */
async function allPages(
  keys: readonly string[],
  options: { recursive: boolean; limit: number; folderBudget: number },
) {
  const { list, calls } = lister(keys)
  const pages: string[][] = []
  let after: Position | undefined
  for (let i = 0; i < 10_000; i++) {
    const before = calls()
    const page = await listPage(list, { ...options, after })
    expect(calls() - before).toBeLessThanOrEqual(options.recursive ? options.folderBudget : 1)
    expect(page.keys.length).toBeLessThanOrEqual(options.limit)
    pages.push(page.keys)
    if (!page.next) return pages
    // Every page moves on: the next one never starts where this one did.
    expect(page.next).not.toEqual(after)
    after = page.next
  }
  throw new Error('paging did not end')
}

const entriesOf = (keys: readonly string[]) =>
  [...new Set(keys.map((k) => (k.includes('/') ? `${k.split('/')[0]}/` : k)))].sort()

describe('listPage', () => {
  it('returns every key of a recursive list exactly once, in order, for any page size and budget', async () => {
    await fc.assert(
      fc.asyncProperty(
        tree,
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 6 }),
        async (keys, limit, folderBudget) => {
          const pages = await allPages(keys, { recursive: true, limit, folderBudget })
          expect(pages.flat()).toEqual([...keys].sort())
        },
      ),
      { numRuns: 300 },
    )
  })

  it('returns every entry of a plain list exactly once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(tree, fc.integer({ min: 1, max: 7 }), async (keys, limit) => {
        const pages = await allPages(keys, { recursive: false, limit, folderBudget: 1 })
        expect(pages.flat()).toEqual(entriesOf(keys))
        // Only the last page is short.
        pages.slice(0, -1).forEach((p) => expect(p).toHaveLength(limit))
      }),
      { numRuns: 200 },
    )
  })

  it('fills whole pages when the folder budget allows it', async () => {
    const keys = ['a/x', 'a/y', 'a-b', 'a0', 'b', 'c/d/e', 'c/d/f']
    const pages = await allPages(keys, { recursive: true, limit: 3, folderBudget: 100 })
    expect(pages).toEqual([['a-b', 'a/x', 'a/y'], ['a0', 'b', 'c/d/e'], ['c/d/f']])
  })

  it('makes progress through folders nested deeper than the budget', async () => {
    const deep = `${Array.from({ length: 12 }, (_, i) => `d${i}`).join('/')}/key`
    const pages = await allPages([deep, 'z'], { recursive: true, limit: 5, folderBudget: 1 })
    expect(pages.flat()).toEqual([deep, 'z'])
    expect(pages.length).toBeGreaterThan(12)
  })

  it('has no next page for an empty folder', async () => {
    expect(await listPage(lister([]).list, { recursive: true, limit: 5, folderBudget: 5 })).toEqual(
      {
        keys: [],
      },
    )
  })
})

describe('cursors', () => {
  const scope = { kind: 'secrets', prefix: 'app/', recursive: true } as const

  it('round-trip a position and stay opaque (base64url)', () => {
    const at = { path: 'a b/ü?#', open: true }
    const cursor = encodeCursor(scope, at)
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(decodeCursor(cursor, scope)).toEqual(at)
    expect(decodeCursor(encodeCursor({ kind: 'keys' }, { path: 'k' }), { kind: 'keys' })).toEqual({
      path: 'k',
    })
  })

  it.each([
    ['another prefix', { ...scope, prefix: 'other/' }],
    ['another recursive', { ...scope, recursive: false }],
    ['the key list', { kind: 'keys' }],
  ] as const)('refuses a cursor used with %s (INVALID_INPUT)', (_what, other) => {
    const cursor = encodeCursor(scope, { path: 'x' })
    const err = (() => {
      try {
        decodeCursor(cursor, other)
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).code).toBe('INVALID_INPUT')
  })

  it.each([
    'not base64!',
    Buffer.from('{"v":2,"k":"s","p":"app/","r":true,"a":"x"}').toString('base64url'),
    Buffer.from('{"v":1,"k":"s","p":"app/","r":true,"a":""}').toString('base64url'),
    Buffer.from('{"v":1,"k":"s","p":"app/","r":true,"a":"x","o":2}').toString('base64url'),
    Buffer.from('[1]').toString('base64url'),
    Buffer.from('null').toString('base64url'),
    'A'.repeat(5000),
  ])('refuses a cursor the bridge did not issue: %s', (cursor) => {
    expect(() => decodeCursor(cursor, scope)).toThrow(AppError)
  })
})
