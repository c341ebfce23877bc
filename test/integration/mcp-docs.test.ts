/**
 * @module docs/mcp.md, checked where no client can run here: the Claude Desktop configurations
 * (the Docker variant forwards every variable it sets, or the container silently runs with its
 * defaults), and that no client example stores a credential in a file. The examples that a
 * client can run are run by mcp-clients.external.test.ts.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { envSchema } from '../../src/config/schema.js'
import { blocksUnder, shellCommands } from '../helpers/doc-blocks.js'

const doc = readFileSync('docs/mcp.md', 'utf8')
const known = new Set(Object.keys(envSchema.shape))

interface DesktopServer {
  command: string
  args: string[]
  env: Record<string, string>
}

const desktopServers = (): DesktopServer[] =>
  blocksUnder(doc, 'Claude Desktop (stdio)')
    .filter((b) => b.lang === 'json')
    .map((b) => (JSON.parse(b.body) as { mcpServers: { vault: DesktopServer } }).mcpServers.vault)

describe('Claude Desktop', () => {
  it('shows the node and the Docker configuration, setting only variables the bridge knows', () => {
    const servers = desktopServers()
    expect(servers.map((s) => s.command)).toEqual(['node', 'docker'])
    for (const s of servers) {
      expect(Object.keys(s.env).filter((name) => !known.has(name))).toEqual([])
      expect(s.args.at(-1)).toBe('stdio')
    }
  })

  it('forwards every variable the Docker variant sets into the container, with -i', () => {
    const [node, docker] = desktopServers() as [DesktopServer, DesktopServer]
    const { args, env } = docker
    expect(args.slice(0, 3)).toEqual(['run', '-i', '--rm'])
    // docker run [options] IMAGE stdio: the options end at the image.
    const image = args.at(-2)!
    expect(image).toMatch(/vault-mcp-bridge/)
    const options = args.slice(0, -2)
    const forwarded = options.flatMap((a, i) => (a === '-e' ? [options[i + 1]!] : []))
    expect(forwarded.sort()).toEqual(Object.keys(env).sort())
    // The same settings as the node variant: nothing the one narrows is left open in the other.
    expect(docker.env).toEqual(node.env)
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining(['MCP_STDIO_AGENT', 'MCP_STDIO_SCOPES', 'MCP_SECRET_VALUES']),
    )
  })
})

describe('credentials in the client examples', () => {
  it('Claude Code stores ${VAULT_BRIDGE_KEY}, never the key: single quotes, no shell expansion', () => {
    const commands = blocksUnder(doc, 'Claude Code (HTTP)').flatMap((b) => shellCommands(b.body))
    const add = commands.filter((c) => c.startsWith('claude mcp add'))
    expect(add).toHaveLength(1)
    expect(add[0]).toContain("--header 'X-API-Key: ${VAULT_BRIDGE_KEY}'")
    expect(add[0]).toContain('--scope project')
    expect(add[0]).not.toMatch(/"[^"]*\$\{?VAULT_BRIDGE/)
  })

  it('VS Code and Cursor read the key from a prompt or the environment', () => {
    const vscode = JSON.parse(blocksUnder(doc, 'VS Code (`.vscode/mcp.json`)')[0]!.body)
    expect(vscode.servers['vault-bridge'].headers['X-API-Key']).toBe('${input:vault-bridge-key}')
    expect(vscode.inputs[0]).toMatchObject({ id: 'vault-bridge-key', password: true })
    const cursor = JSON.parse(
      blocksUnder(doc, 'Cursor (`.cursor/mcp.json` or `~/.cursor/mcp.json`)')[0]!.body,
    )
    expect(cursor.mcpServers['vault-bridge'].headers['X-API-Key']).toBe('${env:VAULT_BRIDGE_KEY}')
  })
})
