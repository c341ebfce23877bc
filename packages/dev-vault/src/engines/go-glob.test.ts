/** @module dev-vault/engines/go-glob.test: ryanuber/go-glob's matching. */
import { describe, expect, it } from 'vitest'
import { anyGlobMatches, goGlob } from './go-glob.js'

describe('goGlob', () => {
  it('matches * anywhere, and only *', () => {
    expect(goGlob('mcp-agent-*', 'mcp-agent-alice')).toBe(true)
    expect(goGlob('mcp-agent-*', 'mcp-agent-')).toBe(true)
    expect(goGlob('mcp-agent-*', 'xmcp-agent-a')).toBe(false)
    expect(goGlob('*-admin', 'ops-admin')).toBe(true)
    expect(goGlob('*-admin', 'ops-admins')).toBe(false)
    expect(goGlob('a*b*c', 'a-b-b-c')).toBe(true)
    expect(goGlob('a*b*c', 'a-c-b')).toBe(false)
    expect(goGlob('*', '')).toBe(true)
    expect(goGlob('', '')).toBe(true)
    expect(goGlob('', 'x')).toBe(false)
    expect(goGlob('a?c', 'abc')).toBe(false)
    expect(goGlob('exact', 'exact')).toBe(true)
  })

  it('checks a list for any match', () => {
    expect(anyGlobMatches(['a-*', 'b-*'], 'b-1')).toBe(true)
    expect(anyGlobMatches([], 'b-1')).toBe(false)
  })
})
