/**
 * @module Attacks on the MCP consent requestState (issue 13), each sent raw over real HTTP: a
 * tampered payload or signature, a malformed state, a replay, an expired state, another agent's
 * state, a state issued for another call. Each must be refused with the SDK's -32602, show no
 * secret value, and leave one audit line with its reason and nothing of the state. Across
 * replicas (one key, one Redis): test/integration/mcp-consent-replicas.external.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { ACCEPT, VALUE, useConsentApp } from '../helpers/consent-app.js'
import type { RestResponse } from '../helpers/test-app.js'

const ca = useConsentApp()
const { call, ask } = ca

/** A refused state: the SDK's -32602, no value anywhere, and one audit line with `reason`. */
function expectStateRefused(res: RestResponse, from: number, reason: string) {
  expect(res.status).toBe(200)
  expect(res.json.error).toMatchObject({ code: -32602, message: 'Invalid or expired requestState' })
  expect(res.text).not.toContain(VALUE)
  expect(ca.stack.security.slice(from).map((e) => e.reason)).toEqual([reason])
  const event = ca.stack.security.at(-1)!
  expect(event).toMatchObject({ event: 'request_state_refused', reason })
  // Security: nothing of the refused state reaches the audit trail.
  const fields = ['agent', 'event', 'method', 'reason', 'requestId', 'time']
  if ('operation' in event) fields.push('operation')
  expect(Object.keys(event).sort()).toEqual(fields.sort())
}

describe('attacks on the MCP consent requestState, each refused and audited', () => {
  it('a consent requestState with a rewritten payload is refused', async () => {
    const { state } = await ask()
    const [v, body, mac] = state.split('.')
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString()) as {
      p: { version?: number }
    }
    claims.p.version = 99
    const forged = `${v}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`
    const from = ca.stack.security.length
    const res = await call({ path: 'db' }, { inputResponses: ACCEPT, requestState: forged })
    expectStateRefused(res, from, 'signature')
  })

  it('a consent requestState with a changed signature is refused', async () => {
    const { state } = await ask()
    const flipped = state.slice(0, -2) + (state.at(-2) === 'A' ? 'B' : 'A') + state.at(-1)
    const from = ca.stack.security.length
    const res = await call({ path: 'db' }, { inputResponses: ACCEPT, requestState: flipped })
    expectStateRefused(res, from, 'signature')
  })

  it('a malformed consent requestState is refused', async () => {
    for (const garbage of ['', 'garbage', 'v1.only-two', 'v2.a.b', `v1.${'a'.repeat(9000)}.b`]) {
      const from = ca.stack.security.length
      const res = await call({ path: 'db' }, { inputResponses: ACCEPT, requestState: garbage })
      expectStateRefused(res, from, 'malformed')
    }
  })

  it('a consent requestState is honoured once and refused when replayed', async () => {
    const { state } = await ask()
    const first = await call({ path: 'db' }, { inputResponses: ACCEPT, requestState: state })
    expect(first.json.result.structuredContent.data.password).toBe(VALUE)
    const from = ca.stack.security.length
    const again = await call({ path: 'db' }, { inputResponses: ACCEPT, requestState: state })
    expectStateRefused(again, from, 'replayed')
  })

  it('a consent requestState older than five minutes is refused', async () => {
    const { state } = await ask()
    ca.skew(5 * 60_000 + 1)
    try {
      const from = ca.stack.security.length
      const res = await call({ path: 'db' }, { inputResponses: ACCEPT, requestState: state })
      expectStateRefused(res, from, 'expired')
    } finally {
      ca.skew(0)
    }
  })

  it('a consent requestState issued to another agent is refused', async () => {
    const { state } = await ask()
    const from = ca.stack.security.length
    const res = await call(
      { path: 'db' },
      { inputResponses: ACCEPT, requestState: state },
      ca.other,
    )
    expectStateRefused(res, from, 'principal')
  })

  it('a consent requestState issued for another call is refused', async () => {
    const { state } = await ask()
    const from = ca.stack.security.length
    const res = await call({ path: 'other' }, { inputResponses: ACCEPT, requestState: state })
    expectStateRefused(res, from, 'request')
    const { state: another } = await ask()
    const from2 = ca.stack.security.length
    const decrypt = await call(
      { path: 'db' },
      { inputResponses: ACCEPT, requestState: another },
      ca.owner,
      'decrypt',
    )
    expectStateRefused(decrypt, from2, 'request')
  })
})
