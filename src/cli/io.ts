/**
 * @module cli/io: what the process gives a command: where it writes (in stdio mode stdout
 * carries MCP messages only) and, for the long-running commands, when to stop.
 */
import type { StdioStreams } from '../bridge.js'
import type { LogDestination } from '../observability/logger.js'

/** A command's output: tests pass their own, the entry point the process's streams. */
export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

/** The process's stdout and stderr. */
export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
}

/**
 * How the long-running commands (`serve`, `stdio`) are run. The entry point sets neither: they
 * stop on SIGTERM or SIGINT and `stdio` speaks over stdin and stdout. Tests, which run a command
 * inside their own process, stop it by resolving `until` and give `stdio` their own streams.
 */
export interface RunOptions {
  /** Resolves (with the reason, for the log) when the command is to stop gracefully. */
  until?: () => Promise<string>
  /** The MCP streams of `stdio`. */
  streams?: StdioStreams
}

/**
 * Where a command's logger writes: the process's stderr (fd 2, written synchronously so that
 * nothing is lost at exit) for {@link processIo}, else the given `stderr`.
 */
export function logDestination(io: CliIo): LogDestination | undefined {
  return io === processIo ? undefined : { write: (line: string) => io.stderr(line) }
}
