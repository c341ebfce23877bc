/**
 * @module MCP_SECRET_VALUES=elicit with 2026-07-28 clients: the consent question travels as an
 * `input_required` result over stateless HTTP, the retry with the user's answer and the signed
 * `requestState` gets the values; raw, and through both SDK clients over HTTP and stdio. The
 * attacks on the state are in test/security/mcp-request-state.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { SCOPES } from '../../src/core/identity.js'
import { ACCEPT, ELICIT, VALUE, useConsentApp, type ConsentApp } from '../helpers/consent-app.js'
import {
  apiKeyOf,
  connectHttp,
  connectStdio,
  postModern,
  startMcpApp,
  toolErrorCode,
} from '../helpers/mcp-harness.js'

const ca = useConsentApp()
const { call, ask } = ca
const track: ConsentApp['opened']['track'] = (x) => ca.opened.track(x)

describe('the consent question over stateless HTTP (2026-07-28)', () => {
  it('asks with a form: names, version and fields, never a value, and a signed state', async () => {
    const { res, state } = await ask()
    const request = res.json.result.inputRequests.consent
    expect(request).toMatchObject({
      method: 'elicitation/create',
      params: { mode: 'form', requestedSchema: { type: 'object', properties: {} } },
    })
    expect(request.params.message).toContain('"db"')
    expect(request.params.message).toContain('version 1')
    expect(request.params.message).toContain('password')
    expect(state).toMatch(/^v1\.[\w-]+\.[\w-]+$/)
    expect(res.text).not.toContain(VALUE)
    expect(res.json.result).not.toHaveProperty('ttlMs')
    expect(res.json.result).not.toHaveProperty('content')
  })

  it('reveals the values once the retry carries the yes and the state', async () => {
    const { state } = await ask()
    const res = await call({ path: 'db' }, { inputResponses: ACCEPT, requestState: state })
    expect(res.json.result).toMatchObject({
      resultType: 'complete',
      structuredContent: { data: { password: VALUE } },
    })
  })

  it.each(['decline', 'cancel'])(
    'refuses with FORBIDDEN when the user answers %s',
    async (action) => {
      const { state } = await ask()
      const res = await call(
        { path: 'db' },
        { inputResponses: { consent: { action } }, requestState: state },
      )
      expect(toolErrorCode(res.json.result)).toBe('FORBIDDEN')
      expect(res.text).not.toContain(VALUE)
    },
  )

  it('asks again, with a new state, when the retry carries no answer', async () => {
    const { state } = await ask()
    const res = await call({ path: 'db' }, { requestState: state })
    expect(res.json.result.resultType).toBe('input_required')
    expect(res.json.result.requestState).not.toBe(state)
    expect(res.text).not.toContain(VALUE)
  })

  it('ignores a yes that comes without a state: the question is asked first', async () => {
    const res = await call({ path: 'db' }, { inputResponses: ACCEPT })
    expect(res.json.result.resultType).toBe('input_required')
    expect(res.text).not.toContain(VALUE)
  })

  it('answers with the version the user was asked about, even after a newer write', async () => {
    const writer = track(
      await connectStdio(ca.stack.runner, {
        agent: ca.owner,
        scopes: [...SCOPES],
        method: 'stdio',
      }),
    )
    await writer.client.callTool({
      name: 'write_secret',
      arguments: { path: 'pinned', data: { v: 'one' } },
    })
    const asked = await ask({ path: 'pinned' })
    await writer.client.callTool({
      name: 'write_secret',
      arguments: { path: 'pinned', data: { v: 'two' } },
    })
    const res = await call(
      { path: 'pinned' },
      { inputResponses: ACCEPT, requestState: asked.state },
    )
    expect(res.json.result.structuredContent).toMatchObject({
      data: { v: 'one' },
      metadata: { version: 1 },
    })
  })

  it('refuses a client that did not declare form elicitation before reading Vault', async () => {
    const before = ca.stack.events.length
    const res = await postModern(
      ca.app.url,
      'tools/call',
      { name: 'read_secret', arguments: { path: 'db' } },
      { headers: { 'x-api-key': apiKeyOf(ca.owner) } },
    )
    expect(toolErrorCode(res.json.result)).toBe('FORBIDDEN')
    expect(ca.stack.events.slice(before)).toEqual([])
  })

  it('asks about decrypt and plaintext data keys without calling Vault first', async () => {
    const before = ca.stack.events.length
    const res = await call({ key: 'k', type: 'plaintext' }, {}, ca.owner, 'generate_data_key')
    expect(res.json.result.resultType).toBe('input_required')
    expect(res.json.result.inputRequests.consent.params.message).toContain('"k"')
    expect(ca.stack.events.slice(before)).toEqual([])
  })

  it('gives a caller without the scope the scope refusal, not a question', async () => {
    const ro = ca.stack.agent('consent-ro')
    const scoped = await startMcpApp(ca.stack, { [ro]: ['list'] }, { MCP_SECRET_VALUES: 'elicit' })
    ca.opened.app(scoped)
    const res = await postModern(
      scoped.url,
      'tools/call',
      { name: 'read_secret', arguments: { path: 'db' } },
      { capabilities: ELICIT, headers: { 'x-api-key': apiKeyOf(ro) } },
    )
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toContain('insufficient_scope')
  })
})

describe('the SDK clients', () => {
  it('a 2026-07-28 client over HTTP is asked through its own elicitation handler', async () => {
    const yes = track(
      await connectHttp(
        ca.app.mcpUrl,
        { 'x-api-key': apiKeyOf(ca.owner) },
        { client: 'v2', elicit: 'accept' },
      ),
    )
    const r = await yes.client.callTool({ name: 'read_secret', arguments: { path: 'db' } })
    expect(r.structuredContent).toMatchObject({ data: { password: VALUE } })
    expect(yes.asked).toHaveLength(1)
    expect(yes.asked[0]).not.toContain(VALUE)
    const no = track(
      await connectHttp(
        ca.app.mcpUrl,
        { 'x-api-key': apiKeyOf(ca.owner) },
        { client: 'v2', elicit: 'decline' },
      ),
    )
    const d = await no.client.callTool({ name: 'read_secret', arguments: { path: 'db' } })
    expect(toolErrorCode(d)).toBe('FORBIDDEN')
    expect(JSON.stringify(d)).not.toContain(VALUE)
  })

  it('a 2026-07-28 client without elicitation is refused clearly', async () => {
    const c = track(
      await connectHttp(ca.app.mcpUrl, { 'x-api-key': apiKeyOf(ca.owner) }, { client: 'v2' }),
    )
    const r = await c.client.callTool({
      name: 'decrypt',
      arguments: { key: 'k', ciphertext: 'vault:v1:x' },
    })
    expect(toolErrorCode(r)).toBe('FORBIDDEN')
  })

  it.each(['v1', 'v2'] as const)(
    'a %s client over stdio is asked, and answered on yes',
    async (kind) => {
      const principal = { agent: ca.owner, scopes: [...SCOPES], method: 'stdio' as const }
      const c = track(
        await connectStdio(ca.stack.runner, principal, {
          client: kind,
          secretValues: 'elicit',
          elicit: 'accept',
        }),
      )
      const r = await c.client.callTool({ name: 'read_secret', arguments: { path: 'db' } })
      expect(r.structuredContent).toMatchObject({ data: { password: VALUE } })
      expect(c.asked).toHaveLength(1)
    },
  )
})
