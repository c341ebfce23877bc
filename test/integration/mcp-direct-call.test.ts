/**
 * @module The hot path of `/mcp` (src/mcp/direct-call.ts) over real HTTP: a plain `tools/call`
 * answered without an SDK server gets the same answer, byte for byte in its JSON, as the SDK
 * server gives, in both protocol generations, for results and for tool errors; what is not plain
 * still reaches the SDK; and callers with different agents and scopes whose calls interleave each
 * get their own tools' results and refusals, never another's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SCOPES } from '../../src/core/identity.js'
import { OPERATIONS } from '../../src/core/operations.js'
import { toolsFor } from '../../src/mcp/operation-tools.js'
import {
  apiKeyOf,
  postMcp,
  postModern,
  startMcpApp,
  suiteResources,
  type McpApp,
} from '../helpers/mcp-harness.js'
import type { RestResponse } from '../helpers/test-app.js'
import { startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

let stack: VaultStack
let direct: McpApp
let viaSdk: McpApp
const opened = suiteResources()
let rw: string
let ro: string

beforeAll(async () => {
  stack = await startVaultStack()
  rw = stack.agent('direct-rw')
  ro = stack.agent('direct-ro')
  const agents = { [rw]: [...SCOPES], [ro]: ['read' as const] }
  direct = opened.app(await startMcpApp(stack, agents))
  viaSdk = opened.app(await startMcpApp(stack, agents, {}, { mcpDirectToolCalls: false }))
  // What the reads read: one version of `fixed` for each agent.
  const seed = await call(direct, '2025', rw, 'write_secret', {
    path: 'fixed',
    data: { user: 'rw', password: 'rw-value' },
  })
  expect(seed.status).toBe(200)
  const write = OPERATIONS.find((op) => op.name === 'write_secret')!
  const owner = { agent: ro, method: 'api_key' as const, scopes: [...SCOPES] }
  const data = { user: 'ro', password: 'ro-value' }
  await stack.runner.run(write, { principal: owner, requestId: 'seed' }, { path: 'fixed', data })
})

afterAll(async () => {
  await opened.closeAll()
  await stack?.close()
})

type Era = '2025' | '2026'

/** One tools/call as a 2025 client (version header) or a 2026-07-28 client (envelope) sends it. */
function call(
  app: McpApp,
  era: Era,
  agent: string,
  name: string,
  args: unknown,
  id: number | string = 5,
): Promise<RestResponse> {
  const headers = { 'x-api-key': apiKeyOf(agent) }
  if (era === '2026')
    return postModern(app.url, 'tools/call', { name, arguments: args }, { id, headers })
  return postMcp(
    app.url,
    { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } },
    headers,
  )
}

/** What a client sees of an answer: status, media type and the parsed body. */
const seen = (r: RestResponse) => ({
  status: r.status,
  type: r.headers.get('content-type')?.split(';')[0],
  body: r.json,
})

describe('a plain tools/call answered directly is what the SDK server answers', () => {
  const calls: [string, string, unknown][] = [
    ['read', 'read_secret', { path: 'fixed' }],
    ['read of a missing key (tool error)', 'read_secret', { path: 'missing' }],
    ['bad arguments (INVALID_INPUT tool error)', 'read_secret', { path: '../x' }],
    ['an unknown argument', 'read_secret', { path: 'fixed', nope: 1 }],
    ['metadata', 'read_secret_metadata', { path: 'fixed' }],
    ['list', 'list_secrets', {}],
    ['whoami', 'whoami', {}],
    ['no arguments at all', 'whoami', undefined],
  ]
  for (const era of ['2025', '2026'] as const) {
    for (const [what, name, args] of calls) {
      it(`${era}: ${what}`, async () => {
        const a = await call(direct, era, rw, name, args, `id-${what}`)
        const b = await call(viaSdk, era, rw, name, args, `id-${what}`)
        expect(a.status).toBe(200)
        expect(seen(a)).toEqual(seen(b))
      })
    }

    it(`${era}: a write (same envelope; only the new version's metadata differs)`, async () => {
      const args = { path: 'written', data: { k: `v-${era}` } }
      const a = await call(direct, era, rw, 'write_secret', args)
      const b = await call(viaSdk, era, rw, 'write_secret', args)
      const strip = (r: RestResponse) => {
        const s = seen(r) as { body: { result: { structuredContent: object; content: unknown } } }
        const { structuredContent, content: _text, ...rest } = s.body.result
        return {
          ...s,
          body: { ...s.body, result: { ...rest, keys: Object.keys(structuredContent) } },
        }
      }
      expect(a.json.result.isError).toBeUndefined()
      const version = (r: RestResponse) => r.json.result.structuredContent.metadata.version
      expect(version(b)).toBe(version(a) + 1)
      expect(strip(a)).toEqual(strip(b))
    })

    it(`${era}: a tool outside the caller's scopes is the same 403 on both`, async () => {
      const a = await call(direct, era, ro, 'write_secret', { path: 'x', data: { a: 'b' } })
      const b = await call(viaSdk, era, ro, 'write_secret', { path: 'x', data: { a: 'b' } })
      expect(a.status).toBe(403)
      expect(a.headers.get('www-authenticate')).toBe(b.headers.get('www-authenticate'))
      expect(seen(a)).toEqual(seen(b))
    })
  }

  it('2026-07-28: the result carries resultType and the server identity, as the SDK encodes it', async () => {
    const r = await call(direct, '2026', rw, 'whoami', {})
    expect(r.json.result.resultType).toBe('complete')
    expect(r.json.result._meta['io.modelcontextprotocol/serverInfo'].name).toBe('vault-mcp-bridge')
  })
})

describe('MCP_SECRET_VALUES on the hot path', () => {
  it('wrap: a read answers with a wrapping token, and a revealing tool is refused, as via the SDK', async () => {
    const agents = { [rw]: [...SCOPES] }
    const env = { MCP_SECRET_VALUES: 'wrap' }
    const a = opened.app(await startMcpApp(stack, agents, env))
    const b = opened.app(await startMcpApp(stack, agents, env, { mcpDirectToolCalls: false }))
    for (const era of ['2025', '2026'] as const) {
      const ra = await call(a, era, rw, 'read_secret', { path: 'fixed' })
      const rb = await call(b, era, rw, 'read_secret', { path: 'fixed' })
      expect(ra.json.result.isError, ra.text).toBeUndefined()
      expect(ra.text).not.toContain('rw-value')
      const keys = (r: RestResponse) => Object.keys(r.json.result.structuredContent).sort()
      expect(keys(ra)).toEqual(keys(rb))
      const da = await call(a, era, rw, 'generate_data_key', { key: 'k', type: 'plaintext' })
      const db = await call(b, era, rw, 'generate_data_key', { key: 'k', type: 'plaintext' })
      expect(seen(da)).toEqual(seen(db))
    }
  })
})

describe('what is not a plain tools/call still goes to the SDK', () => {
  const headers = (agent: string) => ({ 'x-api-key': apiKeyOf(agent) })

  it('an unknown tool is the SDK protocol error -32602 on both paths', async () => {
    for (const era of ['2025', '2026'] as const) {
      const a = await call(direct, era, rw, 'no_such_tool', {})
      const b = await call(viaSdk, era, rw, 'no_such_tool', {})
      expect(a.json.error.code).toBe(-32602)
      expect(seen(a)).toEqual(seen(b))
    }
  })

  it('a 2026 call whose Mcp-Name header names another tool is refused by the SDK', async () => {
    const r = await postModern(
      direct.url,
      'tools/call',
      { name: 'whoami', arguments: {} },
      { headers: { ...headers(rw), 'mcp-name': 'read_secret' } },
    )
    expect(r.status).toBe(400)
    expect(r.json.result).toBeUndefined()
    expect(r.json.error.message).toMatch(/Mcp-Name/)
  })

  it('a 2025 call with a progress token is served (by the SDK) with the same result', async () => {
    const body = {
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: { name: 'whoami', arguments: {}, _meta: { progressToken: 'p1' } },
    }
    const a = await postMcp(direct.url, body, headers(rw))
    const b = await postMcp(viaSdk.url, body, headers(rw))
    expect(a.status).toBe(200)
    expect(a.json.result.structuredContent.agent).toBe(rw)
    expect(seen(a)).toEqual(seen(b))
  })

  it('no tool declares x-mcp-header parameters (the SDK checks those; the hot path need not)', () => {
    expect(JSON.stringify(toolsFor([...SCOPES]))).not.toContain('x-mcp-header')
  })
})

describe('interleaved callers each get their own tools and results', () => {
  it('two agents with different scopes, both eras, 60 calls in flight together', async () => {
    const jobs: Promise<void>[] = []
    for (let i = 0; i < 60; i++) {
      const era: Era = i % 2 === 0 ? '2025' : '2026'
      const agent = i % 3 === 0 ? ro : rw
      const kind = i % 4
      jobs.push(
        (async () => {
          if (kind === 0) {
            const r = await call(direct, era, agent, 'whoami', {}, i)
            expect(r.json.id).toBe(i)
            expect(r.json.result.structuredContent.agent).toBe(agent)
            expect(r.json.result.structuredContent.scopes).toEqual(
              agent === ro ? ['read'] : [...SCOPES],
            )
          } else if (kind === 1) {
            const r = await call(direct, era, agent, 'read_secret', { path: 'fixed' }, i)
            expect(r.json.id).toBe(i)
            expect(r.json.result.structuredContent.data.user).toBe(agent === ro ? 'ro' : 'rw')
          } else {
            const data = { by: agent, i: String(i) }
            const r = await call(direct, era, agent, 'write_secret', { path: `w${i}`, data }, i)
            if (agent === ro) {
              expect(r.status).toBe(403)
              expect(r.json.error.data.code).toBe('FORBIDDEN')
            } else {
              expect(r.json.result.isError).toBeUndefined()
              const back = await call(direct, era, agent, 'read_secret', { path: `w${i}` }, i)
              expect(back.json.result.structuredContent.data).toEqual(data)
            }
          }
        })(),
      )
    }
    await Promise.all(jobs)
    // The read-only agent wrote nothing: its namespace holds only what the suite put there.
    const list = OPERATIONS.find((op) => op.name === 'list_secrets')!
    const owner = { agent: ro, method: 'api_key' as const, scopes: [...SCOPES] }
    const listed = await stack.runner.run(list, { principal: owner, requestId: 'check' }, {})
    expect(listed).toMatchObject({ keys: ['fixed'] })
  })
})
