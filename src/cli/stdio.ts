/**
 * @module cli/stdio: `vault-mcp-bridge stdio`, the MCP server over stdin/stdout for local clients
 * (Claude Desktop, Claude Code, VS Code). The identity comes from configuration, not from a
 * credential: whoever can start this process already holds the bridge's own Vault access.
 */
import { startStdioBridge, type StdioStreams } from '../bridge.js'
import { ConfigError, loadConfig } from '../config/load.js'
import type { Config } from '../config/schema.js'
import type { Principal } from '../core/identity.js'
import { createLogger } from '../observability/logger.js'
import { parseCommandArgs } from './args.js'
import { logDestination, processIo, type CliIo, type RunOptions } from './io.js'
import { untilSignal } from './signals.js'

export const STDIO_USAGE = `Usage: vault-mcp-bridge stdio
Serves MCP over stdin and stdout for a local client (Claude Desktop, Claude Code, VS Code) that
starts this process, until stdin ends or SIGTERM/SIGINT. stdout carries MCP messages only; logs
(and AUDIT_LOG=stdout) go to stderr. The client acts as one agent:
  MCP_STDIO_AGENT    the agent id (required)
  MCP_STDIO_SCOPES   its scopes (default read,write,delete,list)
Vault is configured as for serve (VAULT_ADDR, VAULT_TOKEN or AppRole, ...); see docs/mcp.md.
  -h, --help
`

/**
 * The principal of the stdio transport: MCP_STDIO_AGENT with MCP_STDIO_SCOPES.
 * @throws ConfigError when MCP_STDIO_AGENT is not set.
 */
export function stdioPrincipal(mcp: Config['mcp']): Principal {
  if (!mcp.stdio.agent) {
    throw new ConfigError([
      'MCP_STDIO_AGENT: is required by `stdio`: set it to the agent id this local client acts as',
    ])
  }
  return { agent: mcp.stdio.agent, scopes: [...mcp.stdio.scopes], method: 'stdio' }
}

/**
 * Serves MCP on `options.streams` (stdin and stdout by default) until stdin ends, the client
 * closes, or `options.until` resolves (the first SIGTERM or SIGINT by default).
 *
 * Security and protocol: stdout carries only MCP messages. Logs go to `io.stderr`, and
 * AUDIT_LOG=stdout is moved to stderr by the composition root.
 *
 * @returns the exit code, 0 after a clean stop (or --help), 2 for bad arguments.
 * @throws ConfigError (bad configuration or no MCP_STDIO_AGENT), StartupError and
 *   VaultStartupError (Vault rejects the bridge's credentials), printed by main.ts with exit 2.
 */
export async function runStdioCommand(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: CliIo = processIo,
  options: RunOptions = {},
): Promise<number> {
  const args = parseCommandArgs('stdio', STDIO_USAGE, argv, {}, io)
  if (typeof args === 'number') return args
  const until = options.until ?? untilSignal
  const config = loadConfig(env)
  const principal = stdioPrincipal(config.mcp)
  const logger = createLogger({ level: config.logLevel, destination: logDestination(io) })
  const streams: StdioStreams = options.streams ?? { stdin: process.stdin, stdout: process.stdout }
  const bridge = await startStdioBridge(config, { logger, principal, streams })
  logger.info(
    { agent: principal.agent, scopes: principal.scopes, secretValues: config.mcp.secretValues },
    'vault-mcp-bridge serving MCP on stdio',
  )
  const reason = await Promise.race([bridge.closed, until()])
  logger.info({ reason }, 'stdio: stopping')
  await bridge.stop()
  return 0
}
