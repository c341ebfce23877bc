/**
 * @module mcp/stdio-session: MCP over stdin/stdout for local clients (Claude Desktop, Claude Code,
 * VS Code), acting as one fixed principal. The SDK's stdio entry serves whichever protocol
 * generation the client opens with (2026-07-28 `server/discover`, or a 2025 `initialize`).
 */
import { PassThrough, type Readable, type Writable } from 'node:stream'
import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio'
import type { Principal } from '../core/identity.js'
import type { OperationRunner } from '../core/operations.js'
import type { SecretEntryLinks } from '../core/ports.js'
import { serializeError, type Logger } from '../observability/logger.js'
import type { Consent, SecretValuesMode } from './secret-values.js'
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
  /** MCP_WRAP_TTL (seconds), for `wrap` mode. */
  wrapTtlSeconds?: number
  consent: Consent
  /** request_secret's links (the page is served by the stdio bridge's own listener). */
  entry?: SecretEntryLinks
  logger: Logger
  streams: StdioStreams
  /** How long `stop()` waits for operations already running (SHUTDOWN_TIMEOUT). */
  drainTimeoutMs: number
}

export interface StdioSession {
  /** Resolves when the client goes away (stdin ends). */
  closed: Promise<string>
  /** Answers what is already running (bounded by `drainTimeoutMs`), then closes the connection. */
  stop(): Promise<void>
}

/**
 * Serves MCP on the streams until `stop()`: one server for the connection, built for the
 * generation the client opens with (the SDK may build a second one when a client probes with
 * `server/discover` and then falls back to `initialize`).
 *
 * Security and protocol: stdout carries only MCP messages; the logger writes to stderr, and the
 * composition root moves AUDIT_LOG=stdout to stderr for this transport.
 */
export async function startStdioSession(deps: StdioSessionDeps): Promise<StdioSession> {
  const { streams, logger } = deps
  const runner = trackInFlight(deps.runner)
  // The SDK's stdio transport stops reading, and abandons the requests still running, as soon
  // as its input ends. A client may send its last requests and close stdin at once, so the
  // transport reads from a stream that ends only after `stop()` has answered what is running.
  const input = new PassThrough()
  streams.stdin.pipe(input, { end: false })
  const closed = new Promise<string>((resolve) => {
    streams.stdin.once('end', () => resolve('stdin ended'))
    streams.stdin.once('close', () => resolve('stdin closed'))
  })
  const transport = new StdioServerTransport(input, streams.stdout)
  const handle = serveStdio(
    (ctx) =>
      createMcpServer(
        {
          runner,
          secretValues: deps.secretValues,
          wrapTtlSeconds: deps.wrapTtlSeconds,
          consent: deps.consent,
          entry: deps.entry,
          log: logger,
        },
        { principal: deps.principal, era: ctx.era, transport: 'stdio' },
      ),
    {
      transport,
      onerror: (err) =>
        logger.warn({ err: serializeError(err) }, 'stdio: unreadable or refused message'),
    },
  )
  let stopping: Promise<void> | undefined
  return {
    closed,
    stop: () =>
      (stopping ??= (async () => {
        // Answer what is already running so that no write is left unanswered.
        await runner.drain(deps.drainTimeoutMs)
        streams.stdin.unpipe(input)
        input.end()
        await handle.close().catch(() => undefined)
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
    offers: (op) => runner.offers(op),
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
