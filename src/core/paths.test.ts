/** @module core/paths tests: path confinement and transit key names, with property tests. */
import { posix } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AppError } from './errors.js'
import { isValidAgentId } from './identity.js'
import {
  MAX_PATH_BYTES,
  agentOf,
  resolveFolderPath,
  resolveSecretPath,
  transitKeyName,
  transitKeyPrefix,
} from './paths.js'

const PREFIX = 'mcp'

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
    return undefined
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    return (err as AppError).code
  }
}

/** Every percent-decoding of `s`, leniently, as Vault or a proxy might apply them. */
const decodings = (s: string): string[] => {
  const out = [s]
  for (let i = 0; i < 6; i++) {
    let next: string
    try {
      next = decodeURIComponent(out[out.length - 1]!)
    } catch {
      break
    }
    if (next === out[out.length - 1]) break
    out.push(next)
  }
  return out
}

/** Paths built from the pieces attackers use, so the property explores the dangerous corners. */
const craftedPath = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '.',
        '..',
        '',
        '/',
        '\\',
        '%2e',
        '%2E%2e',
        '%252e%252e',
        '%2f',
        '%2F',
        '%252f',
        '%5c',
        '%00',
        '\u0000',
        '\n',
        '\u007f',
        '\u0085',
        '%c0%ae',
        '..%2f',
        '%2e%2e%2f',
        '~',
        '*',
        '+',
        ':',
        '?',
        '#',
        '%',
        '%%',
        'bob',
        'alice',
        'mcp',
        'é',
        '\ud800',
        '😀',
        ' ',
      ),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 12 },
  )
  .chain((parts) => fc.constantFrom('/', '').map((sep) => parts.join(sep)))

const agentId = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/).filter(isValidAgentId)

describe('resolveSecretPath', () => {
  it('maps a plain path under the agent prefix, unchanged', () => {
    expect(resolveSecretPath(PREFIX, 'alice', 'app/db')).toBe('mcp/alice/app/db')
    expect(resolveSecretPath(PREFIX, 'alice', 'a b/ü/x:y')).toBe('mcp/alice/a b/ü/x:y')
    expect(resolveSecretPath('/mcp/', 'alice', 'x')).toBe('mcp/alice/x')
  })

  it.each([
    '',
    '/etc',
    '/',
    'a//b',
    'a/',
    '.',
    '..',
    'a/./b',
    'a/../b',
    '../bob/x',
    'a\\b',
    '..\\bob',
    'a\u0000b',
    'a\nb',
    'a\u007fb',
    '%2e%2e/bob',
    '%2E%2E%2Fbob',
    'a/%2e/b',
    '%252e%252e/bob',
    '%25252e%25252e/bob',
    'a%2fb',
    'a%5cb',
    'a%00b',
    'x\ud800',
    '%2525252525252e',
    'a'.repeat(MAX_PATH_BYTES + 1),
    'é'.repeat(MAX_PATH_BYTES / 2 + 1),
  ])('refuses %j with INVALID_PATH', (path) => {
    expect(codeOf(() => resolveSecretPath(PREFIX, 'alice', path))).toBe('INVALID_PATH')
  })

  it('accepts exactly 512 bytes', () => {
    const path = 'a'.repeat(MAX_PATH_BYTES)
    expect(resolveSecretPath(PREFIX, 'alice', path)).toBe(`mcp/alice/${path}`)
  })

  it('refuses an invalid agent id with FORBIDDEN', () => {
    for (const agent of ['', '..', '.', 'a--b', '-a', 'a-', 'a/b', 'a b', 'x'.repeat(65)]) {
      expect(codeOf(() => resolveSecretPath(PREFIX, agent, 'x'))).toBe('FORBIDDEN')
      expect(codeOf(() => agentOf({ agent }))).toBe('FORBIDDEN')
    }
    expect(agentOf({ agent: 'a.b_c-d' })).toBe('a.b_c-d')
  })

  const confined = (agent: string, path: string) => {
    let key: string
    try {
      key = resolveSecretPath(PREFIX, agent, path)
    } catch (err) {
      expect((err as AppError).code).toBe('INVALID_PATH')
      return
    }
    const base = `${PREFIX}/${agent}/`
    expect(key).toBe(base + path)
    expect(key.length).toBeGreaterThan(base.length)
    // Whatever decoding and normalisation happens downstream, the key stays strictly inside.
    for (const form of decodings(key)) {
      const normal = posix.normalize(form.replace(/\\/g, '/'))
      expect(normal.startsWith(base)).toBe(true)
      expect(normal.length).toBeGreaterThan(base.length)
      expect(normal).toBe(form)
    }
  }

  it('property: any input is refused or lands strictly inside the prefix (arbitrary strings)', () => {
    fc.assert(fc.property(agentId, fc.string({ unit: 'binary', maxLength: 80 }), confined), {
      numRuns: 5000,
    })
  })

  it('property: any input is refused or lands strictly inside the prefix (crafted paths)', () => {
    fc.assert(fc.property(agentId, craftedPath, confined), { numRuns: 5000 })
  })
})

describe('resolveFolderPath', () => {
  it('maps list prefixes to folder keys', () => {
    expect(resolveFolderPath(PREFIX, 'alice', '')).toBe('mcp/alice/')
    expect(resolveFolderPath(PREFIX, 'alice', 'app')).toBe('mcp/alice/app/')
    expect(resolveFolderPath(PREFIX, 'alice', 'app/')).toBe('mcp/alice/app/')
    expect(resolveFolderPath(PREFIX, 'alice', 'a/b/')).toBe('mcp/alice/a/b/')
  })

  it.each(['/', '//', '../', '../bob/', 'a//', '/a/', '%2e%2e/', 'a/../'])('refuses %j', (f) => {
    expect(codeOf(() => resolveFolderPath(PREFIX, 'alice', f))).toBe('INVALID_PATH')
  })

  it('property: any folder is refused or is a folder strictly inside the agent root', () => {
    fc.assert(
      fc.property(agentId, fc.oneof(craftedPath, fc.string({ maxLength: 40 })), (agent, f) => {
        let key: string
        try {
          key = resolveFolderPath(PREFIX, agent, f)
        } catch (err) {
          expect((err as AppError).code).toBe('INVALID_PATH')
          return
        }
        const base = `${PREFIX}/${agent}/`
        expect(key.startsWith(base)).toBe(true)
        expect(key.endsWith('/')).toBe(true)
        for (const form of decodings(key)) {
          expect(posix.normalize(form)).toBe(form)
        }
      }),
      { numRuns: 3000 },
    )
  })
})

describe('transitKeyName', () => {
  it('derives {prefix}--{agent}--{key}', () => {
    expect(transitKeyName(PREFIX, 'alice', 'app')).toBe('mcp--alice--app')
    expect(transitKeyPrefix(PREFIX, 'alice')).toBe('mcp--alice--')
  })

  it('refuses bad key names with INVALID_INPUT and bad agents with FORBIDDEN', () => {
    for (const key of ['', 'a/b', 'a-', 'a.', 'x'.repeat(65), 'a b', '../x']) {
      expect(codeOf(() => transitKeyName(PREFIX, 'alice', key))).toBe('INVALID_INPUT')
    }
    expect(codeOf(() => transitKeyName(PREFIX, 'a--b', 'k'))).toBe('FORBIDDEN')
  })

  const keyName = fc.stringMatching(/^[A-Za-z0-9_.-]{0,20}[A-Za-z0-9_]$/)
  const agentWithDashes = fc
    .array(fc.constantFrom('a', 'b', 'x', '-', '.', '_', '1'), { minLength: 1, maxLength: 10 })
    .map((cs) => cs.join(''))
    .filter(isValidAgentId)
  const anyAgent = fc.oneof(agentId, agentWithDashes)

  it('property: names of distinct agents never collide, and globs stay disjoint', () => {
    fc.assert(
      fc.property(anyAgent, anyAgent, keyName, keyName, (a, b, ka, kb) => {
        fc.pre(a !== b)
        const nameA = transitKeyName(PREFIX, a, ka)
        const nameB = transitKeyName(PREFIX, b, kb)
        expect(nameA).not.toBe(nameB)
        // Vault's `*` glob is a plain prefix match: A's glob must never cover B's keys.
        expect(nameB.startsWith(transitKeyPrefix(PREFIX, a))).toBe(false)
        expect(nameA.startsWith(transitKeyPrefix(PREFIX, b))).toBe(false)
      }),
      { numRuns: 10000 },
    )
  })

  it('property: the same agent with distinct keys never collides', () => {
    fc.assert(
      fc.property(anyAgent, keyName, keyName, (a, k1, k2) => {
        fc.pre(k1 !== k2)
        expect(transitKeyName(PREFIX, a, k1)).not.toBe(transitKeyName(PREFIX, a, k2))
      }),
      { numRuns: 3000 },
    )
  })

  it('keeps alice and alice-x apart (the naive-glob trap)', () => {
    const alicesGlob = transitKeyPrefix(PREFIX, 'alice')
    expect(transitKeyName(PREFIX, 'alice-x', 'k').startsWith(alicesGlob)).toBe(false)
    expect(transitKeyName(PREFIX, 'alice.x', 'k').startsWith(alicesGlob)).toBe(false)
  })
})
