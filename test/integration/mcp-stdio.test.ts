/**
 * @module MCP over stdio: spawns the real CLI (`vault-mcp-bridge stdio`) against the dev vault (or
 * a real Vault) and talks to it with both SDK clients' StdioClientTransport (v1: 2025-11-25, v2:
 * 2026-07-28); stdout must carry nothing but JSON-RPC, even with AUDIT_LOG=stdout.
 */
import { spawn } from 'node:child_process'
import { Client as V2Client } from '@modelcontextprotocol/client'
import { StdioClientTransport as V2StdioTransport } from '@modelcontextprotocol/client/stdio'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OPERATIONS } from '../../src/core/operations.js'
import { INITIALIZE_2025, MODERN, toolErrorCode } from '../helpers/mcp-harness.js'
import { startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

/** The CLI as a user runs it from a checkout (`npx tsx src/main.ts stdio`), minus npx start-up. */
const CLI = ['--import', 'tsx', 'src/main.ts', 'stdio']

let stack: VaultStack

beforeAll(async () => {
  stack = await startVaultStack()
})

afterAll(async () => {
  await stack?.close()
})

const envFor = (agent: string | undefined, extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  VAULT_ADDR: stack.vault.url,
  VAULT_TOKEN: stack.vault.rootToken,
  DEFAULT_PREFIX: stack.prefix,
  // Security check: the audit trail must not take stdout from the protocol.
  AUDIT_LOG: 'stdout',
  LOG_LEVEL: 'info',
  ...(agent === undefined ? {} : { MCP_STDIO_AGENT: agent }),
  ...extra,
})

/** Runs the CLI with `input` on stdin (then EOF) and collects what it writes, with a bound. */
function runRaw(env: Record<string, string>, input: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, CLI, { env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')))
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(killer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(input)
  })
}

// Each test starts the CLI through tsx, which compiles on start: slow on a loaded machine.
describe('vault-mcp-bridge stdio', { timeout: 90_000 }, () => {
  it('lists tools, writes and reads a secret through the SDK client', async () => {
    const agent = stack.agent('stdio')
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: CLI,
      env: envFor(agent, { MCP_STDIO_SCOPES: 'read,write,list' }),
      stderr: 'pipe',
    })
    const protocolErrors: Error[] = []
    const client = new Client({ name: 'stdio-test', version: '1.0.0' })
    client.onerror = (e) => protocolErrors.push(e)
    await client.connect(transport)
    try {
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
      expect(me.structuredContent).toEqual({
        agent,
        method: 'stdio',
        scopes: ['read', 'write', 'list'],
      })
      const del = await client.callTool({ name: 'delete_secret', arguments: { path: 'cli/token' } })
      expect(toolErrorCode(del)).toBe('FORBIDDEN')
      // The secret really is in Vault under the agent's namespace.
      const raw = (await stack.root.read(`secret/data/${stack.prefix}/${agent}/cli/token`)) as {
        data: { data: Record<string, string> }
      }
      expect(raw.data.data.token).toBe('stdio-value')
    } finally {
      await client.close()
    }
    expect(protocolErrors).toEqual([])
  })

  it('serves a 2026-07-28 client: discover, list and call every kind of tool', async () => {
    const agent = stack.agent('stdio-v2')
    const client = new V2Client(
      { name: 'stdio-v2', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: MODERN } } },
    )
    await client.connect(
      new V2StdioTransport({
        command: process.execPath,
        args: CLI,
        env: envFor(agent, { MCP_STDIO_SCOPES: 'read,write,list' }),
        stderr: 'pipe',
      }),
    )
    try {
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
    } finally {
      await client.close()
    }
  })

  it('asks the user through elicitation before showing a value (MCP_SECRET_VALUES=elicit)', async () => {
    const agent = stack.agent('stdio-elicit')
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: CLI,
      env: envFor(agent, { MCP_SECRET_VALUES: 'elicit' }),
      stderr: 'pipe',
    })
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
    await client.connect(transport)
    try {
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
    } finally {
      await client.close()
    }
  })

  it('writes only JSON-RPC to stdout, logs and audit to stderr, and exits 0 when stdin ends', async () => {
    const agent = stack.agent('stdio-raw')
    const messages = [
      INITIALIZE_2025,
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'write_secret', arguments: { path: 'raw', data: { k: 'raw-value' } } },
      },
    ]
    // EOF right after the requests: the server must still answer them before it exits.
    const input = messages.map((m) => JSON.stringify(m)).join('\n') + '\n'
    const { code, stdout, stderr } = await runRaw(envFor(agent), input)
    expect(code).toBe(0)
    const lines = stdout.split('\n').filter((l) => l !== '')
    for (const line of lines) {
      expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' })
    }
    const ids = lines.map((l) => (JSON.parse(l) as { id?: number }).id)
    expect(ids).toEqual([1, 2])
    expect(JSON.parse(lines[1]!).result.structuredContent.path).toBe('raw')
    // The audit record went to stderr, not stdout.
    expect(stderr).toContain('write_secret')
    expect(stdout).not.toContain('"operation"')
  })

  it('exits 2 and names MCP_STDIO_AGENT when it is missing, with nothing on stdout', async () => {
    const { code, stdout, stderr } = await runRaw(envFor(undefined), '')
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toContain('MCP_STDIO_AGENT')
  })
})
