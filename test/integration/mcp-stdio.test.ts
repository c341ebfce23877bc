/**
 * @module MCP over stdio: `vault-mcp-bridge stdio` run in process (`main(['stdio'], env, io,
 * { streams })`) against the dev vault (or a real Vault), with an SDK client of either protocol
 * generation (v1: 2025-11-25, v2: 2026-07-28) on the other end of its stdin and stdout; stdout
 * must carry nothing but JSON-RPC. The spawned process (real
 * streams, AUDIT_LOG=stdout, exit on end of input) is in cli.process.test.ts.
 */
import { Client as V2Client } from '@modelcontextprotocol/client'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OPERATIONS } from '../../src/core/operations.js'
import { startMain, type RunningCommand } from '../helpers/cli.js'
import { MODERN, toolErrorCode } from '../helpers/mcp-harness.js'
import { rawWriteSession, stdioPipe, type StdioPipe } from '../helpers/stdio-pipe.js'
import { startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

let stack: VaultStack

beforeAll(async () => {
  stack = await startVaultStack()
})

afterAll(async () => {
  await stack?.close()
})

const envFor = (agent: string | undefined, extra: Record<string, string> = {}) => ({
  VAULT_ADDR: stack.vault.url,
  VAULT_TOKEN: stack.vault.rootToken,
  DEFAULT_PREFIX: stack.prefix,
  AUDIT_LOG: 'off',
  LOG_LEVEL: 'info',
  ...(agent === undefined ? {} : { MCP_STDIO_AGENT: agent }),
  ...extra,
})

/** Either SDK client: both connect to the pipe's newline-delimited JSON-RPC. */
type AnyClient = { connect(t: never): Promise<void>; close(): Promise<void> }

/** `stdio` in this process with a client connected to its streams. */
async function startStdio(
  env: Record<string, string>,
  client: AnyClient,
): Promise<{ command: RunningCommand; pipe: StdioPipe }> {
  const pipe = stdioPipe()
  const command = startMain(['stdio'], env, { streams: pipe.streams })
  await client.connect(pipe.transport as never)
  return { command, pipe }
}

/** Closing the client ends stdin: the command stops by itself, with exit 0. */
async function closeAndExpectExit0(client: AnyClient, command: RunningCommand, pipe: StdioPipe) {
  await client.close()
  expect(await command.done).toBe(0)
  for (const line of pipe.stdoutLines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' })
  expect(command.stdout()).toBe('')
}

describe('vault-mcp-bridge stdio', () => {
  it('lists tools, writes and reads a secret through the SDK client', async () => {
    const agent = stack.agent('stdio')
    const protocolErrors: Error[] = []
    const client = new Client({ name: 'stdio-test', version: '1.0.0' })
    client.onerror = (e) => protocolErrors.push(e)
    const { command, pipe } = await startStdio(
      envFor(agent, { MCP_STDIO_SCOPES: 'read,write,list' }),
      client,
    )
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toEqual(
      OPERATIONS.filter((op) => op.access !== 'delete').map((op) => op.name),
    )
    const w = await client.callTool({
      name: 'write_secret',
      arguments: { path: 'cli/token', data: { token: 'stdio-value' } },
    })
    expect(w.isError).toBeFalsy()
    const r = await client.callTool({ name: 'read_secret', arguments: { path: 'cli/token' } })
    expect(r.structuredContent).toMatchObject({
      path: 'cli/token',
      data: { token: 'stdio-value' },
    })
    const me = await client.callTool({ name: 'whoami', arguments: {} })
    expect(me.structuredContent).toMatchObject({
      agent,
      method: 'stdio',
      scopes: ['read', 'write', 'list'],
      secrets_prefix: `${stack.prefix}/${agent}/`,
      // No per-agent rate limit over stdio: one process, one client.
      rate_limit: null,
    })
    expect((me.structuredContent as { operations: string[] }).operations).not.toContain(
      'delete_secret',
    )
    const del = await client.callTool({ name: 'delete_secret', arguments: { path: 'cli/token' } })
    expect(toolErrorCode(del)).toBe('FORBIDDEN')
    // The secret really is in Vault under the agent's namespace.
    const raw = (await stack.root.read(`secret/data/${stack.prefix}/${agent}/cli/token`)) as {
      data: { data: Record<string, string> }
    }
    expect(raw.data.data.token).toBe('stdio-value')
    await closeAndExpectExit0(client, command, pipe)
    expect(protocolErrors).toEqual([])
    // Logs went to stderr, and none of them carries the secret value.
    expect(command.stderr()).toContain('serving MCP on stdio')
    expect(command.stderr()).not.toContain('stdio-value')
  })

  it('serves a 2026-07-28 client: discover, list and call every kind of tool', async () => {
    const agent = stack.agent('stdio-v2')
    const client = new V2Client(
      { name: 'stdio-v2', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: MODERN } } },
    )
    const { command, pipe } = await startStdio(
      envFor(agent, { MCP_STDIO_SCOPES: 'read,write,list' }),
      client,
    )
    expect(client.getProtocolEra()).toBe('modern')
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toEqual(
      OPERATIONS.filter((op) => op.access !== 'delete').map((op) => op.name),
    )
    const w = await client.callTool({
      name: 'write_secret',
      arguments: { path: 'v2/token', data: { token: 'modern-value' } },
    })
    expect(w.isError).toBeFalsy()
    const r = await client.callTool({ name: 'read_secret', arguments: { path: 'v2/token' } })
    expect(r.structuredContent).toMatchObject({ data: { token: 'modern-value' } })
    const enc = await client.callTool({
      name: 'encrypt',
      arguments: { key: 'k', plaintext: Buffer.from('hi').toString('base64') },
    })
    expect((enc.structuredContent as { ciphertext: string }).ciphertext).toMatch(/^vault:v1:/)
    const del = await client.callTool({ name: 'delete_secret', arguments: { path: 'v2/token' } })
    expect(toolErrorCode(del)).toBe('FORBIDDEN')
    // The modern generation's results carry the server's identity in _meta.
    expect(pipe.stdoutLines.some((l) => l.includes('"resultType":"complete"'))).toBe(true)
    await closeAndExpectExit0(client, command, pipe)
  })

  it('asks the user through elicitation before showing a value (MCP_SECRET_VALUES=elicit)', async () => {
    const agent = stack.agent('stdio-elicit')
    const client = new Client(
      { name: 'stdio-elicit', version: '1.0.0' },
      { capabilities: { elicitation: { form: {} } } },
    )
    const answers: Array<'accept' | 'decline'> = ['decline', 'accept']
    const asked: string[] = []
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params.message)
      const action = answers.shift() ?? 'decline'
      return action === 'accept' ? { action, content: {} } : { action }
    })
    const { command, pipe } = await startStdio(
      envFor(agent, { MCP_SECRET_VALUES: 'elicit' }),
      client,
    )
    await client.callTool({
      name: 'write_secret',
      arguments: { path: 'ask', data: { pin: 'elicit-value' } },
    })
    const declined = await client.callTool({ name: 'read_secret', arguments: { path: 'ask' } })
    expect(toolErrorCode(declined)).toBe('FORBIDDEN')
    expect(JSON.stringify(declined)).not.toContain('elicit-value')
    const accepted = await client.callTool({ name: 'read_secret', arguments: { path: 'ask' } })
    expect(accepted.structuredContent).toMatchObject({ data: { pin: 'elicit-value' } })
    expect(asked).toHaveLength(2)
    expect(asked.join(' ')).not.toContain('elicit-value')
    await closeAndExpectExit0(client, command, pipe)
  })

  it('answers requests that arrive just before end of input, then exits 0', async () => {
    const agent = stack.agent('stdio-eof')
    const pipe = stdioPipe()
    const command = startMain(['stdio'], envFor(agent), { streams: pipe.streams })
    const answers: unknown[] = []
    pipe.transport.onmessage = (m) => void answers.push(m)
    await pipe.transport.start()
    const messages = rawWriteSession('raw', { k: 'raw-value' })
    for (const m of messages) await pipe.transport.send(m)
    await pipe.transport.close()
    expect(await command.done).toBe(0)
    expect(answers.map((a) => (a as { id?: number }).id)).toEqual([1, 2])
    expect(answers[1]).toMatchObject({ result: { structuredContent: { path: 'raw' } } })
  })

  it('exits 2 and names MCP_STDIO_AGENT when it is missing, with nothing on stdout', async () => {
    const pipe = stdioPipe()
    await pipe.transport.start()
    const command = startMain(['stdio'], envFor(undefined), { streams: pipe.streams })
    expect(await command.done).toBe(2)
    expect(command.stdout()).toBe('')
    expect(command.stderr()).toContain('MCP_STDIO_AGENT')
    expect(pipe.stdoutLines).toEqual([])
  })
})
