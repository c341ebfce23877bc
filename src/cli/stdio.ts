/**
 * @module cli/stdio: `vault-mcp-bridge stdio`, the MCP server over stdin/stdout for local clients
 * (Claude Desktop, Claude Code, VS Code). The identity comes from configuration, not from a
 * credential: whoever can start this process already holds the bridge's own Vault access.
 */
import type { Readable, Writable } from 'node:stream'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { ConfigError, loadConfig } from '../config/load.js'
import type { Config } from '../config/schema.js'
import type { Principal } from '../core/identity.js'
import { createOperationRunner, type OperationRunner } from '../core/operations.js'
import { createSecretsService } from '../core/secrets-service.js'
import { createMcpServer } from '../mcp/server.js'
import { createAuditTrail } from '../observability/audit.js'
import { createLogger, type Logger } from '../observability/logger.js'
import { createVaultPort } from '../vault/vault-port.js'
import { untilSignal } from './serve.js'

/** The streams the protocol runs over; the process's own by default. */
export interface StdioStreams {
  stdin: Readable
  stdout: Writable
}

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
 * Serves MCP on the given streams until stdin ends, the client closes, or SIGTERM/SIGINT.
 *
 * Security and protocol: stdout carries only MCP messages. Logs go to stderr (the logger's
 * default), and AUDIT_LOG=stdout is moved to stderr by the audit trail (`stdoutReserved`).
 *
 * @returns the exit code, 0 after a clean stop.
 * @throws ConfigError (bad configuration or no MCP_STDIO_AGENT) and VaultStartupError (Vault
 *   rejects the bridge's credentials), printed by main.ts with exit code 2.
 */
export async function runStdioCommand(
  env: Record<string, string | undefined>,
  streams: StdioStreams = { stdin: process.stdin, stdout: process.stdout },
): Promise<number> {
  const config = loadConfig(env)
  const principal = stdioPrincipal(config.mcp)
  const logger = createLogger({ level: config.logLevel })
  const session = await startStdioSession(config, principal, logger, streams)
  const reason = await Promise.race([session.closed, untilSignal()])
  logger.info({ reason }, 'stdio: stopping')
  await session.stop()
  return 0
}

interface StdioSession {
  /** Resolves when the client goes away (stdin ends or the transport closes). */
  closed: Promise<string>
  stop(): Promise<void>
}

async function startStdioSession(
  config: Config,
  principal: Principal,
  logger: Logger,
  streams: StdioStreams,
): Promise<StdioSession> {
  const vault = createVaultPort({ vault: config.vault, childToken: config.childToken, logger })
  await vault.start()
  const audit = createAuditTrail(config.audit.sink, { logger, stdoutReserved: true })
  const service = createSecretsService({
    vault,
    prefix: config.prefix,
    listMaxKeys: config.listMaxKeys,
  })
  const runner = trackInFlight(createOperationRunner({ service, observer: audit }))
  // One server for the whole process: stdio can carry the server's own requests, so
  // MCP_SECRET_VALUES=elicit works here when the client supports elicitation.
  const server = createMcpServer({
    runner,
    principal,
    secretValues: config.mcp.secretValues,
    serverRequests: true,
    log: logger,
  })
  const transport = new StdioServerTransport(streams.stdin, streams.stdout)
  const closed = new Promise<string>((resolve) => {
    server.server.onclose = () => resolve('client closed')
    // The SDK's stdio transport does not watch for end of input; a client that exits just
    // closes our stdin.
    streams.stdin.once('end', () => resolve('stdin ended'))
  })
  transport.onerror = (err) => logger.warn({ err }, 'stdio: unreadable message')
  await server.connect(transport)
  logger.info(
    { agent: principal.agent, scopes: principal.scopes, secretValues: config.mcp.secretValues },
    'vault-mcp-bridge serving MCP on stdio',
  )
  let stopping: Promise<void> | undefined
  return {
    closed,
    stop: () =>
      (stopping ??= (async () => {
        // A client may send its last requests and close stdin at once: answer what is already
        // running (bounded by SHUTDOWN_TIMEOUT) so that no write is left unanswered.
        await runner.drain(config.shutdownTimeoutSeconds * 1000)
        await server.close().catch(() => undefined)
        await audit.close().catch(() => undefined)
        await vault.close().catch(() => undefined)
      })()),
  }
}

/** A runner that knows which operations are still running, so that a stop can wait for them. */
function trackInFlight(runner: OperationRunner): OperationRunner & {
  drain(timeoutMs: number): Promise<void>
} {
  const running = new Set<Promise<unknown>>()
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))
  return {
    run(op, ctx, input) {
      const p = runner.run(op, ctx, input)
      running.add(p)
      const forget = () => void running.delete(p)
      p.then(forget, forget)
      return p
    },
    async drain(timeoutMs) {
      // Messages read just before end of input reach the runner on a later turn.
      await nextTurn()
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
      await Promise.race([Promise.allSettled([...running]), timeout])
      clearTimeout(timer)
      // Let the SDK write the answers of what just finished.
      await nextTurn()
    },
  }
}
