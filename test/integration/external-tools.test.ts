/**
 * @module test/integration/external-tools: a suite that needs nginx, redis-server, promtool or jq
 * is skipped (visibly) only outside CI; `.ci/run` sets CI, so there a missing program fails.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { inCi, installed, suiteRuns } from '../helpers/external-tools.js'

const root = join(import.meta.dirname, '..', '..')

afterEach(() => {
  vi.restoreAllMocks()
})

describe('suites that need programs from outside npm', () => {
  it('run in CI even without the program, and skip visibly elsewhere', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const missing = installed('vault-mcp-bridge-no-such-program')
    expect(missing).toBe(false)
    expect(installed('node')).toBe(true)
    expect(suiteRuns('s', missing, 'install it', { CI: '1' })).toBe(true)
    expect(suiteRuns('s', missing, 'install it', { CI: 'true' })).toBe(true)
    expect(warn).not.toHaveBeenCalled()
    expect(suiteRuns('s', missing, 'install it', {})).toBe(false)
    expect(suiteRuns('s', missing, 'install it', { CI: 'false' })).toBe(false)
    expect(warn).toHaveBeenCalledWith('SKIPPED s: install it')
    expect(suiteRuns('s', true, 'install it', {})).toBe(true)
    expect(inCi({ CI: '0' })).toBe(false)
  })

  it('.ci/run sets CI before it runs the tests', () => {
    const script = readFileSync(join(root, '.ci', 'run'), 'utf8')
    const exported = script.search(/^export CI=1$/m)
    expect(exported).toBeGreaterThan(0)
    expect(exported).toBeLessThan(script.search(/^npm test$/m))
  })
})
