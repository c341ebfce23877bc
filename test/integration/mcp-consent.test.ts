/**
 * @module MCP_SECRET_VALUES=elicit with 2026-07-28 clients: the consent question travels as an
 * `input_required` result over stateless HTTP, and its signed `requestState` is honoured once,
 * for the agent it was issued to, before it expires, for the request it was issued for. Every
 * attack on the state (tampered, replayed, expired, another agent's, another request's, forged
 * without one) is sent raw over real HTTP and must be refused, audited, and reveal nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SCOPES } from '../../src/core/identity.js'
import {
  apiKeyOf,
  connectHttp,
  connectStdio,
  postModern,
  startMcpApp,
  suiteResources,
  toolErrorCode,
  type McpApp,
} from '../helpers/mcp-harness.js'
import type { RestResponse } from '../helpers/test-app.js'
import { startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

let stack: VaultStack
let app: McpApp
let owner: string
let other: string
const opened = suiteResources()
const track = opened.track
/** The app's clock: real time plus what a test added. */
let skewMs = 0
const VALUE = 's3cret-consent-value'
const ELICIT = { elicitation: { form: {} } }

beforeAll(async () => {
  stack = await startVaultStack()
  owner = stack.agent('consent')
  other = stack.agent('intruder')
  const agents = { [owner]: [...SCOPES], [other]: [...SCOPES] }
  const now = () => Date.now() + skewMs
  app = await startMcpApp(stack, agents, { MCP_SECRET_VALUES: 'elicit' }, { now })
  opened.app(app)
  const { client } = track(
    await connectStdio(stack.runner, { agent: owner, scopes: [...SCOPES], method: 'stdio' }),
  )
  await client.callTool({
    name: 'write_secret',
    arguments: { path: 'db', data: { user: 'app', password: VALUE } },
  })
})

afterAll(async () => {
  await opened.closeAll()
  await stack?.close()
})

/** A raw `tools/call` of the 2026 generation, as `agent`, declaring form elicitation. */
const call = (
  args: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  agent = owner,
  name = 'read_secret',
) =>
  postModern(
    app.url,
    'tools/call',
    { name, arguments: args, ...extra },
    { capabilities: ELICIT, headers: { 'x-api-key': apiKeyOf(agent) } },
  )

const ACCEPT = { consent: { action: 'accept', content: {} } }

/** Round one: the question and its state. */
async function ask(args: Record<string, unknown> = { path: 'db' }, agent = owner) {
  const res = await call(args, {}, agent)
  expect(res.status).toBe(200)
  expect(res.json.result.resultType).toBe('input_required')
  return { res, state: res.json.result.requestState as string }
}

const refusalsSince = (from: number) => stack.security.slice(from).map((e) => e.reason)

/** A refused state: the SDK's -32602, no value anywhere, and one audit line with `reason`. */
function expectStateRefused(res: RestResponse, from: number, reason: string) {
  expect(res.status).toBe(200)
  expect(res.json.error).toMatchObject({ code: -32602, message: 'Invalid or expired requestState' })
  expect(res.text).not.toContain(VALUE)
  expect(refusalsSince(from)).toEqual([reason])
  const event = stack.security.at(-1)!
  expect(event).toMatchObject({ event: 'request_state_refused', reason })
  // Security: nothing of the refused state reaches the audit trail.
  expect(Object.keys(event).sort()).toEqual(
    [
      'agent',
      'event',
      'method',
      'reason',
      'requestId',
      'time',
      ...('operation' in event ? ['operation'] : []),
    ].sort(),
  )
}

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
      await connectStdio(stack.runner, { agent: owner, scopes: [...SCOPES], method: 'stdio' }),
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
    const before = stack.events.length
    const res = await postModern(
      app.url,
      'tools/call',
      { name: 'read_secret', arguments: { path: 'db' } },
      { headers: { 'x-api-key': apiKeyOf(owner) } },
    )
    expect(toolErrorCode(res.json.result)).toBe('FORBIDDEN')
    expect(stack.events.slice(before)).toEqual([])
  })

  it('asks about decrypt and plaintext data keys without calling Vault first', async () => {
    const before = stack.events.length
    const res = await call({ key: 'k', type: 'plaintext' }, {}, owner, 'generate_data_key')
    expect(res.json.result.resultType).toBe('input_required')
    expect(res.json.result.inputRequests.consent.params.message).toContain('"k"')
    expect(stack.events.slice(before)).toEqual([])
  })

  it('gives a caller without the scope the scope refusal, not a question', async () => {
    const ro = stack.agent('consent-ro')
    const scoped = await startMcpApp(stack, { [ro]: ['list'] }, { MCP_SECRET_VALUES: 'elicit' })
    opened.app(scoped)
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

describe('attacks on the requestState, each refused and audited', () => {
  it('a tampered payload (the MAC no longer matches)', async () => {
    const { state } = await ask()
    const [v, body, mac] = state.split('.')
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString()) as {
      p: { version?: number }
    }
    claims.p.version = 99
    const forged = `${v}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`
    const from = stack.security.length
    const res = await call({ path: 'db' }, { inputResponses: ACCEPT, requestState: forged })
    expectStateRefused(res, from, 'signature')
  })

  it('a tampered signature', async () => {
    const { state } = await ask()
    const flipped = state.slice(0, -2) + (state.at(-2) === 'A' ? 'B' : 'A') + state.at(-1)
    const from = stack.security.length
    const res = await call({ path: 'db' }, { inputResponses: ACCEPT, requestState: flipped })
    expectStateRefused(res, from, 'signature')
  })

  it.each(['', 'garbage', 'v1.only-two', 'v2.a.b', `v1.${'a'.repeat(9000)}.b`])(
    'a malformed state (%#)',
    async (garbage) => {
      const from = stack.security.length
      const res = await call({ path: 'db' }, { inputResponses: ACCEPT, requestState: garbage })
      expectStateRefused(res, from, 'malformed')
    },
  )

  it('a replayed state: honoured once, refused the second time', async () => {
    const { state } = await ask()
    const first = await call({ path: 'db' }, { inputResponses: ACCEPT, requestState: state })
    expect(first.json.result.structuredContent.data.password).toBe(VALUE)
    const from = stack.security.length
    const again = await call({ path: 'db' }, { inputResponses: ACCEPT, requestState: state })
    expectStateRefused(again, from, 'replayed')
  })

  it('an expired state (the user took longer than five minutes)', async () => {
    const { state } = await ask()
    skewMs = 5 * 60_000 + 1
    try {
      const from = stack.security.length
      const res = await call({ path: 'db' }, { inputResponses: ACCEPT, requestState: state })
      expectStateRefused(res, from, 'expired')
    } finally {
      skewMs = 0
    }
  })

  it('another agent’s state', async () => {
    const { state } = await ask()
    const from = stack.security.length
    const res = await call({ path: 'db' }, { inputResponses: ACCEPT, requestState: state }, other)
    expectStateRefused(res, from, 'principal')
  })

  it('a state issued for another request (other arguments, another tool)', async () => {
    const { state } = await ask()
    const from = stack.security.length
    const res = await call({ path: 'other' }, { inputResponses: ACCEPT, requestState: state })
    expectStateRefused(res, from, 'request')
    const { state: another } = await ask()
    const from2 = stack.security.length
    const decrypt = await call(
      { path: 'db' },
      { inputResponses: ACCEPT, requestState: another },
      owner,
      'decrypt',
    )
    expectStateRefused(decrypt, from2, 'request')
  })
})

describe('the SDK clients', () => {
  it('a 2026-07-28 client over HTTP is asked through its own elicitation handler', async () => {
    const yes = track(
      await connectHttp(
        app.mcpUrl,
        { 'x-api-key': apiKeyOf(owner) },
        { client: 'v2', elicit: 'accept' },
      ),
    )
    const r = await yes.client.callTool({ name: 'read_secret', arguments: { path: 'db' } })
    expect(r.structuredContent).toMatchObject({ data: { password: VALUE } })
    expect(yes.asked).toHaveLength(1)
    expect(yes.asked[0]).not.toContain(VALUE)
    const no = track(
      await connectHttp(
        app.mcpUrl,
        { 'x-api-key': apiKeyOf(owner) },
        { client: 'v2', elicit: 'decline' },
      ),
    )
    const d = await no.client.callTool({ name: 'read_secret', arguments: { path: 'db' } })
    expect(toolErrorCode(d)).toBe('FORBIDDEN')
    expect(JSON.stringify(d)).not.toContain(VALUE)
  })

  it('a 2026-07-28 client without elicitation is refused clearly', async () => {
    const c = track(
      await connectHttp(app.mcpUrl, { 'x-api-key': apiKeyOf(owner) }, { client: 'v2' }),
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
      const principal = { agent: owner, scopes: [...SCOPES], method: 'stdio' as const }
      const c = track(
        await connectStdio(stack.runner, principal, {
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
