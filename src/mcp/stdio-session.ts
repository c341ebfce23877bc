/**
 * @module mcp/stdio-session: one MCP server for the whole process over stdin/stdout, for local
 * clients (Claude Desktop, Claude Code, VS Code), acting as one fixed principal.
 */
import type { Readable, Writable } from 'node:stream'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import type { Principal } from '../core/identity.js'
import type { OperationRunner } from '../core/operations.js'
import { serializeError, type Logger } from '../observability/logger.js'
import type { SecretValuesMode } from './operation-tools.js'
import { createMcpServer } from './server.js'

/** The streams the protocol runs over; the process's own by default. */
export interface StdioStreams {
  stdin: Readable
  stdout: Writable
}

export interface StdioSessionDeps {
  runner: OperationRunner
  principal: Principal
  secretValues: SecretValuesMode
  logger: Logger
  streams: StdioStreams
  /** How long `stop()` waits for operations already running (SHUTDOWN_TIMEOUT). */
  drainTimeoutMs: number
}

export interface StdioSession {
  /** Resolves when the client goes away (stdin ends or the transport closes). */
  closed: Promise<string>
  /** Answers what is already running (bounded by `drainTimeoutMs`), then closes the server. */
  stop(): Promise<void>
}

/**
 * Connects an MCP server to the streams and serves until `stop()`.
 *
 * Security and protocol: stdout carries only MCP messages; the logger writes to stderr, and the
 * composition root moves AUDIT_LOG=stdout to stderr for this transport.
 */
export async function startStdioSession(deps: StdioSessionDeps): Promise<StdioSession> {
  const { streams, logger } = deps
  const runner = trackInFlight(deps.runner)
  // One server for the whole process: stdio can carry the server's own requests, so
  // MCP_SECRET_VALUES=elicit works here when the client supports elicitation.
  const server = createMcpServer({
    runner,
    principal: deps.principal,
    secretValues: deps.secretValues,
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
  transport.onerror = (err) =>
    logger.warn({ err: serializeError(err) }, 'stdio: unreadable message')
  await server.connect(transport)
  let stopping: Promise<void> | undefined
  return {
    closed,
    stop: () =>
      (stopping ??= (async () => {
        // A client may send its last requests and close stdin at once: answer what is already
        // running so that no write is left unanswered.
        await runner.drain(deps.drainTimeoutMs)
        await server.close().catch(() => undefined)
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
