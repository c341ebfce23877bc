/**
 * @module Which tools/call messages the hot path takes (src/mcp/direct-call.ts), and its bounded
 * cache of the SDK classifier's verdicts on 2026-07-28 envelopes.
 */
import { classifyInboundRequest } from '@modelcontextprotocol/server'
import { describe, expect, it } from 'vitest'
import { createEnvelopeVerdicts, plainToolCall } from './direct-call.js'

const MODERN = '2026-07-28'
const envelope = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' },
}

describe('plainToolCall', () => {
  it('plainToolCall takes only what it can answer as the SDK would', () => {
    const legacy = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami' } }
    const v2025 = { protocolVersion: '2025-11-25' }
    expect(plainToolCall(legacy, v2025)?.era).toBe('legacy')
    expect(plainToolCall(legacy, {})?.era).toBe('legacy')
    // Not tools/call, not a known tool, arguments not an object, extra params, a bad id.
    expect(plainToolCall({ ...legacy, method: 'tools/list' }, v2025)).toBeUndefined()
    expect(plainToolCall({ ...legacy, params: { name: 'nope' } }, v2025)).toBeUndefined()
    expect(
      plainToolCall({ ...legacy, params: { name: 'whoami', arguments: [] } }, v2025),
    ).toBeUndefined()
    for (const extra of ['requestState', 'inputResponses', 'task', 'cursor']) {
      const params = { name: 'whoami', [extra]: 'x' }
      expect(plainToolCall({ ...legacy, params }, v2025), extra).toBeUndefined()
    }
    expect(plainToolCall({ ...legacy, id: null }, v2025)).toBeUndefined()
    expect(plainToolCall({ ...legacy, jsonrpc: '1.0' }, v2025)).toBeUndefined()
    // 2026-07-28: the envelope's three keys only, and the standard headers must agree exactly.
    const modern = { ...legacy, params: { name: 'whoami', _meta: envelope } }
    const std = { protocolVersion: MODERN, method: 'tools/call', name: 'whoami' }
    expect(plainToolCall(modern, std)?.era).toBe('modern')
    expect(plainToolCall(modern, { ...std, name: 'read_secret' })).toBeUndefined()
    expect(plainToolCall(modern, { ...std, name: undefined })).toBeUndefined()
    expect(plainToolCall(modern, { ...std, method: undefined })).toBeUndefined()
    expect(plainToolCall(modern, { ...std, protocolVersion: undefined })).toBeUndefined()
    expect(plainToolCall(modern, { ...std, name: '=?base64?d2hvYW1p?=' })).toBeUndefined()
    const progress = {
      ...modern,
      params: { name: 'whoami', _meta: { ...envelope, progressToken: 1 } },
    }
    expect(plainToolCall(progress, std)).toBeUndefined()
    // A 2025 message with any _meta goes to the SDK too.
    const meta2025 = { ...legacy, params: { name: 'whoami', _meta: {} } }
    expect(plainToolCall(meta2025, v2025)).toBeUndefined()
  })

  it('takes a 2025 call exactly when the SDK classifier routes it as legacy without a claim', () => {
    const cases: [object, string | undefined][] = [
      [{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami' } }, undefined],
      [{ jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { name: 'whoami' } }, '2025-06-18'],
      [{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami' } }, MODERN],
      [{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami' } }, '2027-01-01'],
    ]
    for (const [body, version] of cases) {
      const route = classifyInboundRequest({
        httpMethod: 'POST',
        body,
        ...(version === undefined ? {} : { protocolVersionHeader: version }),
      })
      const sdkLegacy = route.kind === 'legacy' && route.reason === 'no-claim'
      const taken = plainToolCall(body, { protocolVersion: version })?.era === 'legacy'
      expect(taken, `${version}`).toBe(sdkLegacy)
    }
  })

  it('refuses what the SDK would read as a response or an invalid id', () => {
    const base = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami' } }
    expect(plainToolCall({ ...base, result: {} }, {})).toBeUndefined()
    expect(plainToolCall({ ...base, error: {} }, {})).toBeUndefined()
    expect(plainToolCall({ ...base, id: 1.5 }, {})).toBeUndefined()
  })
})

describe('createEnvelopeVerdicts', () => {
  it("gives the classifier's verdict for each distinct envelope", () => {
    const verdicts = createEnvelopeVerdicts(8)
    expect(verdicts.accepts(envelope)).toBe(true)
    const badInfo = { ...envelope, 'io.modelcontextprotocol/clientInfo': 'not an object' }
    expect(verdicts.accepts(badInfo)).toBe(false)
    const badCaps = { ...envelope, 'io.modelcontextprotocol/clientCapabilities': [] }
    expect(verdicts.accepts(badCaps)).toBe(false)
    const old = { ...envelope, 'io.modelcontextprotocol/protocolVersion': '2025-11-25' }
    expect(verdicts.accepts(old)).toBe(false)
    // Asked again, in any order, each keeps its own verdict.
    expect(verdicts.accepts(badInfo)).toBe(false)
    expect(verdicts.accepts(envelope)).toBe(true)
    expect(verdicts.accepts({ ...envelope })).toBe(true)
    expect(verdicts.size).toBe(4)
  })

  it('is bounded: the oldest verdict goes first, and a dropped one is asked again', () => {
    const verdicts = createEnvelopeVerdicts(3)
    const client = (name: string) => ({
      ...envelope,
      'io.modelcontextprotocol/clientInfo': { name, version: '1' },
    })
    for (let i = 0; i < 50; i++) {
      expect(verdicts.accepts(client(`c${i}`))).toBe(true)
      expect(verdicts.size).toBeLessThanOrEqual(3)
    }
    const bad = { ...client('c0'), 'io.modelcontextprotocol/clientCapabilities': 5 }
    expect(verdicts.accepts(bad)).toBe(false)
    expect(verdicts.accepts(client('c0'))).toBe(true)
    expect(verdicts.size).toBe(3)
  })
})
