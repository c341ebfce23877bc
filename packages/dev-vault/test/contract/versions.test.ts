/** @module dev-vault/test/contract/versions.test: version parsing, gates, and the README's list of them. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { EMULATED_VERSION } from '../../src/index.js'
import { GATES, OLDEST_SUPPORTED, parseVersion, versionAtLeast } from './versions.js'

describe('Vault versions', () => {
  it('parses release, build, pre-release and short forms', () => {
    expect(parseVersion('1.17.0+devvault')).toEqual([1, 17, 0])
    expect(parseVersion('1.8.12')).toEqual([1, 8, 12])
    expect(parseVersion('v1.13.0-rc1')).toEqual([1, 13, 0])
    expect(parseVersion('1.10')).toEqual([1, 10, 0])
    expect(() => parseVersion('latest')).toThrow(/not a Vault version/)
  })

  it('compares numerically, not as text', () => {
    expect(versionAtLeast('1.10.0', '1.9')).toBe(true)
    expect(versionAtLeast('1.9.10', '1.10')).toBe(false)
    expect(versionAtLeast('1.10.0', '1.10.1')).toBe(false)
    expect(versionAtLeast('1.10.1', '1.10.1')).toBe(true)
    expect(versionAtLeast('2.0.0', '1.17')).toBe(true)
    expect(versionAtLeast('1.16.3+ent', '1.17')).toBe(false)
  })

  it('gates only versions after the oldest supported one, up to what the dev vault reports', () => {
    for (const gate of Object.values(GATES)) {
      expect(versionAtLeast(gate.since, `${OLDEST_SUPPORTED}.1`), gate.what).toBe(true)
      expect(versionAtLeast(EMULATED_VERSION, gate.since), gate.what).toBe(true)
    }
  })

  it('are all listed in the package README with their version and source', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8')
    for (const [name, gate] of Object.entries(GATES)) {
      const row = readme.split('\n').find((line) => line.includes(`\`${name}\``))
      expect(row, name).toBeDefined()
      expect(row).toContain(`| ${gate.since} `)
      expect(row).toContain(gate.source)
    }
  })
})
