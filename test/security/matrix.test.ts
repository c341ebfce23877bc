/**
 * @module test/security/matrix: docs/security.md's attack matrix and the tests of test/security/
 * are the same list: every row names a test that exists, and every test there has its row.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const here = import.meta.dirname
const THIS_FILE = 'matrix.test.ts'

/** `file: test name` for every row of the matrix. */
function matrixRows(): string[] {
  const doc = readFileSync(join(root, 'docs', 'security.md'), 'utf8')
  const start = doc.indexOf('<!-- attack-matrix:start -->')
  const end = doc.indexOf('<!-- attack-matrix:end -->')
  expect(start).toBeGreaterThan(0)
  expect(end).toBeGreaterThan(start)
  const rows = doc
    .slice(start, end)
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .slice(2) // the header and its rule
  return rows.map((row) => {
    const cells = row
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim())
    expect(cells, row).toHaveLength(5)
    const file = /^`([^`]+)`$/.exec(cells[3] ?? '')?.[1]
    expect(file, row).toBeDefined()
    return `${file}: ${cells[4]}`
  })
}

/** `file: test name` for every test in test/security/, read from the source. */
function suiteTests(): string[] {
  const out: string[] = []
  for (const file of readdirSync(here).filter((f) => f.endsWith('.test.ts') && f !== THIS_FILE)) {
    const source = readFileSync(join(here, file), 'utf8')
    // Names must be literal to be listed: no generated tests in the attack suite.
    expect(source, file).not.toMatch(/\b(?:it|test|describe)\.each\b|(?<![.\w$])test\(/)
    for (const m of source.matchAll(
      /\bit(?:\.skipIf\([^)]*\))?\(\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")/g,
    )) {
      out.push(`${file}: ${(m[1] as string).slice(1, -1).replace(/\\(.)/g, '$1')}`)
    }
  }
  return out
}

describe('docs/security.md attack matrix', () => {
  it('lists every attack test of test/security/, and only those', () => {
    const rows = matrixRows()
    const tests = suiteTests()
    expect(new Set(rows).size, 'a row is listed twice').toBe(rows.length)
    expect(new Set(tests).size, 'two tests share a name').toBe(tests.length)
    expect(tests.length).toBeGreaterThanOrEqual(40)
    expect([...rows].sort()).toEqual([...tests].sort())
  })
})
