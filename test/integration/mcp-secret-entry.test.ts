/**
 * @module request_secret over MCP, by what the client can do: a 2026-07-28 client that opens
 * URLs gets an `input_required` URL-mode request and its retry returns the outcome; a 2025 client
 * that declares URL elicitation over stdio gets a real `elicitation/create` in URL mode (the
 * stdio bridge serves the page itself); any other client gets the link in the tool result and
 * sees the outcome with check_secret_request. The value never reaches a tool result.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SCOPES } from '../../src/core/identity.js'
import { startMain } from '../helpers/cli.js'
import { openLink, postForm } from '../helpers/entry-page.js'
import {
  apiKeyOf,
  connectHttp,
  postModern,
  startMcpApp,
  suiteResources,
  type McpApp,
  type ToolResult,
} from '../helpers/mcp-harness.js'
import { stdioPipe } from '../helpers/stdio-pipe.js'
import { startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

const VALUE = 'mcp-entry-value-7Yw'
const ARGS = { path: 'svc/token', fields: [{ name: 'token', description: 'The service token' }] }
const URL_ELICIT = { elicitation: { url: {} } }
const opened = suiteResources()
let stack: VaultStack
let app: McpApp
let owner: string

beforeAll(async () => {
  stack = await startVaultStack()
  owner = stack.agent('entry')
  app = opened.app(await startMcpApp(stack, { [owner]: [...SCOPES] }))
})
afterAll(async () => {
  await opened.closeAll()
  await stack?.close()
})

/** A person opening the link and typing the value in. */
async function personSubmits(url: string, value = VALUE) {
  const page = await openLink(url)
  expect(page.status).toBe(200)
  return postForm(url, page, { token: value })
}

const inVault = async (agent: string, path: string) =>
  (
    (await stack.root.read(`secret/data/${stack.prefix}/${agent}/${path}`)) as {
      data: { data: Record<string, string> }
    }
  ).data.data

const call = (args: object, capabilities: object, extra: Record<string, unknown> = {}) =>
  postModern(
    app.url,
    'tools/call',
    { name: 'request_secret', arguments: args, ...extra },
    { capabilities, headers: { 'x-api-key': apiKeyOf(owner) } },
  )

describe('a 2026-07-28 client that opens URLs', () => {
  it('gets an input_required URL request; the retry after the person submitted has the outcome', async () => {
    const path = `${ARGS.path}-modern`
    const first = await call({ ...ARGS, path }, URL_ELICIT)
    expect(first.json.result.resultType).toBe('input_required')
    const request = first.json.result.inputRequests.secret_entry
    expect(request.method).toBe('elicitation/create')
    expect(request.params.mode).toBe('url')
    expect(request.params.message).toContain(path)
    const state = first.json.result.requestState as string

    expect((await personSubmits(request.params.url)).status).toBe(200)
    const retry = await call({ ...ARGS, path }, URL_ELICIT, {
      inputResponses: { secret_entry: { action: 'accept' } },
      requestState: state,
    })
    const result = retry.json.result
    expect(result.structuredContent).toMatchObject({ path, status: 'written', version: 1 })
    expect(result.structuredContent.fields).toEqual(['token'])
    expect(retry.text).not.toContain(VALUE)
    expect(await inVault(owner, path)).toEqual({ token: VALUE })

    // The state is single use.
    const replay = await call({ ...ARGS, path }, URL_ELICIT, {
      inputResponses: { secret_entry: { action: 'accept' } },
      requestState: state,
    })
    expect(replay.json.error.code).toBe(-32602)
  })

  it('a user who declines ends the request, and the link with it', async () => {
    const path = `${ARGS.path}-declined`
    const first = await call({ ...ARGS, path }, URL_ELICIT)
    const url = first.json.result.inputRequests.secret_entry.params.url as string
    const retry = await call({ ...ARGS, path }, URL_ELICIT, {
      inputResponses: { secret_entry: { action: 'decline' } },
      requestState: first.json.result.requestState,
    })
    expect(retry.json.result.structuredContent).toMatchObject({ status: 'declined' })
    expect((await openLink(url)).status).toBe(410)
  })

  it('a client without URL elicitation gets the link in the result', async () => {
    const res = await call({ ...ARGS, path: `${ARGS.path}-plain` }, { elicitation: { form: {} } })
    expect(res.json.result.resultType).not.toBe('input_required')
    expect(res.json.result.structuredContent).toMatchObject({ status: 'pending' })
    expect(res.json.result.structuredContent.url).toMatch(/\/secret-entry\//)
  })
})

describe('a 2025 client over HTTP (no URL elicitation)', () => {
  it('gets the link and words for the person in the result; check_secret_request shows the outcome', async () => {
    const { client } = opened.track(
      await connectHttp(app.mcpUrl, { 'x-api-key': apiKeyOf(owner) }, { client: 'v1' }),
    )
    const path = `${ARGS.path}-v1`
    const res = await client.callTool({ name: 'request_secret', arguments: { ...ARGS, path } })
    const out = res.structuredContent as Record<string, string>
    expect(out).toMatchObject({ status: 'pending', path })
    expect(out.message).toMatch(/link/)
    expect(JSON.parse(res.content[0]!.text!)).toEqual(out)

    const pending = await client.callTool({
      name: 'check_secret_request',
      arguments: { request_id: out.request_id },
    })
    expect(pending.structuredContent).toMatchObject({ status: 'pending' })
    expect((await personSubmits(out.url!)).status).toBe(200)
    const done = (await client.callTool({
      name: 'check_secret_request',
      arguments: { request_id: out.request_id },
    })) as ToolResult
    expect(done.structuredContent).toMatchObject({ status: 'written', version: 1, path })
    expect(JSON.stringify(done)).not.toContain(VALUE)
    const meta = await client.callTool({ name: 'read_secret_metadata', arguments: { path } })
    expect(meta.structuredContent).toMatchObject({ current_version: 1 })
  })
})

describe('a 2025 client over stdio that declares URL elicitation', () => {
  it("is sent elicitation/create in URL mode to the stdio bridge's own page; the call returns the outcome", async () => {
    const agent = stack.agent('stdio-entry')
    const pipe = stdioPipe()
    const command = startMain(
      ['stdio'],
      {
        VAULT_ADDR: stack.vault.url,
        VAULT_TOKEN: stack.vault.rootToken,
        DEFAULT_PREFIX: stack.prefix,
        AUDIT_LOG: 'off',
        MCP_STDIO_AGENT: agent,
      },
      { streams: pipe.streams },
    )
    const client = new Client(
      { name: 'url-elicit', version: '1.0.0' },
      {
        capabilities: { elicitation: { url: {} } },
      },
    )
    const asked: { mode?: string; url?: string }[] = []
    client.setRequestHandler(ElicitRequestSchema, async (r) => {
      const params = r.params as { mode?: string; url?: string }
      asked.push(params)
      // The person opens the page and submits before the client answers.
      expect((await personSubmits(params.url!)).status).toBe(200)
      return { action: 'accept' as const }
    })
    await client.connect(pipe.transport as never)
    try {
      const res = await client.callTool({ name: 'request_secret', arguments: ARGS })
      expect(asked).toHaveLength(1)
      expect(asked[0]!.mode).toBe('url')
      expect(new URL(asked[0]!.url!).hostname).toBe('127.0.0.1')
      expect(res.structuredContent).toMatchObject({ status: 'written', version: 1 })
      expect(JSON.stringify(res)).not.toContain(VALUE)
      expect(await inVault(agent, ARGS.path)).toEqual({ token: VALUE })
    } finally {
      await client.close()
      expect(await command.done).toBe(0)
    }
    for (const line of pipe.stdoutLines) expect(line).not.toContain(VALUE)
  })
})

describe('an agent at its cap of open links (SECRET_ENTRY_MAX_OPEN, 20 by default)', () => {
  it('gets a tool error that says when its oldest link expires, from either generation', async () => {
    const capped = stack.agent('entry-capped')
    const capApp = opened.app(await startMcpApp(stack, { [capped]: [...SCOPES] }))
    const { client } = opened.track(
      await connectHttp(capApp.mcpUrl, { 'x-api-key': apiKeyOf(capped) }, { client: 'v1' }),
    )
    const ask = (path: string) =>
      client.callTool({
        name: 'request_secret',
        arguments: { ...ARGS, path },
      }) as Promise<ToolResult>
    for (let i = 0; i < 20; i++) expect((await ask(`capped/${i}`)).isError).toBeFalsy()
    // SECRET_ENTRY_TTL is 10 minutes by default; the first link was made moments ago.
    const oldest = /^TOO_MANY_OPEN_REQUESTS: .*The oldest link expires in (59\d|600) seconds/
    const v1 = await ask('capped/over')
    expect(v1.isError).toBe(true)
    expect(v1.content[0]!.text).toMatch(oldest)
    const modern = await postModern(
      capApp.url,
      'tools/call',
      { name: 'request_secret', arguments: { ...ARGS, path: 'capped/over-modern' } },
      { headers: { 'x-api-key': apiKeyOf(capped) } },
    )
    expect(modern.json.result.isError).toBe(true)
    expect(modern.json.result.content[0].text).toMatch(oldest)
    // Neither refusal made a link.
    expect(JSON.stringify([v1, modern.json])).not.toMatch(/secret-entry\//)
  })
})
