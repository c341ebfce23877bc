/**
 * @module The client examples of docs/mcp.md, run as written against a bridge on the dev vault:
 * the MCP Inspector CLI block (both protocol generations, HTTP and stdio, `--strict`) and the
 * Claude Code `claude mcp add` line, with each client fetched by npx at a pinned version. Only
 * the bridge's address, the credentials and the agent id are replaced by the test's own, and
 * `node dist/main.js` by the same CLI run from the sources (`node --import tsx src/main.ts`).
 *
 * It needs the npm registry (npx). Offline, set SKIP_MCP_CLIENTS=1 (the skip is reported).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SCOPES } from '../../src/core/identity.js'
import { OPERATIONS } from '../../src/core/operations.js'
import { blocksUnder, shellCommands } from '../helpers/doc-blocks.js'
import { apiKeyOf, startMcpApp, type McpApp } from '../helpers/mcp-harness.js'
import { startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

const CLAUDE_CODE = '@anthropic-ai/claude-code@2.1.332'
const skip = process.env.SKIP_MCP_CLIENTS === '1'
if (skip) console.warn('SKIPPED mcp-clients: SKIP_MCP_CLIENTS=1')

const doc = readFileSync('docs/mcp.md', 'utf8')
const REPO = resolve('.')

let stack: VaultStack
let app: McpApp
let agent: string
let proxy: Server
let proxyUrl: string
/** The JSON-RPC methods the bridge received through the recording proxy, in order. */
const seen: string[] = []
const dirs: string[] = []

/** Forwards to the app untouched and remembers the method of every JSON-RPC request. */
function startRecordingProxy(target: URL): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      try {
        const method = (JSON.parse(body.toString('utf8')) as { method?: unknown }).method
        if (typeof method === 'string') seen.push(method)
      } catch {
        // Not JSON: nothing to record.
      }
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers)
          up.pipe(res)
        },
      )
      upstream.on('error', () => res.writeHead(502).end())
      upstream.end(body)
    })
  })
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)))
}

beforeAll(async () => {
  if (skip) return
  stack = await startVaultStack()
  agent = stack.agent('clients')
  app = await startMcpApp(stack, { [agent]: [...SCOPES] })
  proxy = await startRecordingProxy(new URL(app.url))
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
}, 60_000)

afterAll(async () => {
  await new Promise<void>((ok) => (proxy ? proxy.close(() => ok()) : ok()))
  proxy?.closeAllConnections()
  await app?.close()
  await stack?.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** Runs one documented command line with bash, after `prelude`, with a bound. */
function sh(command: string, env: Record<string, string>, cwd = REPO, prelude = '') {
  return new Promise<{ code: number | null; out: string; err: string }>((ok, fail) => {
    const child = spawn('bash', ['-c', `${prelude}\n${command}`], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')))
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')))
    const killer = setTimeout(() => child.kill('SIGKILL'), 170_000)
    child.on('error', fail)
    child.on('close', (code) => {
      clearTimeout(killer)
      ok({ code, out, err })
    })
  })
}

/** The documented command with the test's bridge, agent and source checkout in place. */
const localise = (command: string, bridgeUrl: string) =>
  command
    .replaceAll('http://127.0.0.1:8089', bridgeUrl)
    .replaceAll('MCP_STDIO_AGENT=inspector', `MCP_STDIO_AGENT=${agent}`)
    .replaceAll(
      '-- node dist/main.js stdio',
      `-e DEFAULT_PREFIX=${stack.prefix} -- node --import tsx ${REPO}/src/main.ts stdio`,
    )

describe.skipIf(skip)('MCP Inspector CLI, as docs/mcp.md shows it', () => {
  const commands = shellCommands(
    blocksUnder(doc, 'MCP Inspector').find((b) => b.lang === 'sh')!.body,
  )
  const [prelude, ...runs] = commands as [string, ...string[]]
  const env = () => ({
    VAULT_BRIDGE_KEY: apiKeyOf(agent),
    VAULT_ADDR: stack.vault.url,
    VAULT_TOKEN: stack.vault.rootToken,
  })

  it('shows the pinned Inspector on Node 22 and five runs: both generations, HTTP and stdio', () => {
    expect(prelude).toBe(
      'I="npx -y -p node@22 -p @modelcontextprotocol/inspector@2.12.0 -- mcp-inspector"',
    )
    expect(runs.map((c) => /--protocol-era (\w+)/.exec(c)?.[1])).toEqual([
      'modern',
      'modern',
      'legacy',
      'modern',
      'legacy',
    ])
  })

  it('every command works as written', async () => {
    // One at a time: each starts Node 22, and the stdio ones a bridge as well.
    const results = []
    for (const c of runs) results.push(await sh(localise(c, app.url), env(), REPO, prelude))
    for (const [i, r] of results.entries()) {
      expect({ run: i, code: r.code, err: r.code === 0 ? '' : r.err }).toEqual({
        run: i,
        code: 0,
        err: '',
      })
    }
    const [list, whoami, write, stdioList, stdioWhoami] = results.map(
      (r) => JSON.parse(r.out) as { result: Record<string, any>; schemaFindings?: unknown }, // eslint-disable-line @typescript-eslint/no-explicit-any
    ) as [any, any, any, any, any] // eslint-disable-line @typescript-eslint/no-explicit-any
    // --strict found nothing to report in any tool schema.
    expect(list.schemaFindings).toBeUndefined()
    expect(list.result.tools.map((t: { name: string }) => t.name)).toEqual(
      OPERATIONS.map((op) => op.name),
    )
    expect(whoami.result.structuredContent).toMatchObject({
      agent,
      method: 'api_key',
      scopes: [...SCOPES],
      operations: OPERATIONS.map((op) => op.name),
    })
    expect(whoami.result._meta['io.modelcontextprotocol/serverInfo'].name).toBe('vault-mcp-bridge')
    expect(write.result.structuredContent).toMatchObject({ path: 'demo/db' })
    expect(write.result).not.toHaveProperty('_meta')
    expect(stdioList.result.tools.map((t: { name: string }) => t.name)).not.toContain(
      'delete_secret',
    )
    expect(stdioWhoami.result.structuredContent).toMatchObject({ agent, method: 'stdio' })
  }, 180_000)
})

describe.skipIf(skip)(`Claude Code ${CLAUDE_CODE}, as docs/mcp.md shows it`, () => {
  const claude = `claude() { npx -y -p ${CLAUDE_CODE} -- claude "$@"; }`

  it('keeps ${VAULT_BRIDGE_KEY} out of .mcp.json and connects with the key from the environment', async () => {
    const project = mkdtempSync(join(tmpdir(), 'claude-project-'))
    const home = mkdtempSync(join(tmpdir(), 'claude-home-'))
    dirs.push(project, home)
    const key = apiKeyOf(agent)
    const env = { HOME: home, VAULT_BRIDGE_KEY: key }
    const add = shellCommands(blocksUnder(doc, 'Claude Code (HTTP)')[0]!.body)[0]!
    const added = await sh(localise(add, proxyUrl), env, project, claude)
    expect(added.code, added.err).toBe(0)
    const file = readFileSync(join(project, '.mcp.json'), 'utf8')
    expect(file).not.toContain(key)
    expect(JSON.parse(file).mcpServers['vault-bridge']).toEqual({
      type: 'http',
      url: `${proxyUrl}/mcp`,
      headers: { 'X-API-Key': '${VAULT_BRIDGE_KEY}' },
    })
    // What answering Claude Code's one-time question about the project's servers records.
    const config = join(home, '.claude.json')
    const state = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>
    state.projects = {
      [project]: { enabledMcpjsonServers: ['vault-bridge'], hasTrustDialogAccepted: true },
    }
    writeFileSync(config, JSON.stringify(state))

    seen.length = 0
    // .mcp.json holds no key: connecting proves Claude Code put the environment's key in the
    // header (the bridge answers 401 to anything else).
    const listed = await sh('claude mcp list', env, project, claude)
    expect(listed.out).toMatch(/vault-bridge: .* - \S Connected/)
    // Claude Code 2.1.332 negotiates 2026-07-28 with the bridge: server/discover, no initialize.
    expect(seen[0]).toBe('server/discover')
    expect(seen).not.toContain('initialize')
  }, 180_000)
})
