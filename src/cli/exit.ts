/**
 * @module cli/exit: how a command's end becomes an exit code and what the operator reads, for
 * the CLI (src/main.ts) and the dev command (scripts/dev.ts) alike.
 */
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ConfigError } from '../config/load.js'
import { StartupError } from '../config/startup-error.js'
import type { CliIo } from './io.js'

/** Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad configuration. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2 } as const

/**
 * Prints a failure only an operator can fix and returns {@link EXIT.USAGE}: a ConfigError with
 * one line per problem, a StartupError on one line. Any other error: undefined, nothing printed.
 */
export function reportOperatorError(err: unknown, io: CliIo, prefix: string): number | undefined {
  if (err instanceof ConfigError) {
    io.stderr(`${prefix}: invalid configuration (fix these and start again):\n`)
    for (const problem of err.problems) io.stderr(`  ${problem}\n`)
    return EXIT.USAGE
  }
  if (err instanceof StartupError) {
    io.stderr(`${prefix}: ${err.what}: ${err.message}\n`)
    return EXIT.USAGE
  }
  return undefined
}

/** Whether the module at `moduleUrl` is the script Node was started with. */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1]
  if (!script) return false
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl))
  } catch {
    return false
  }
}

/**
 * Runs `command` as the whole process and exits with its code. Long-running commands resolve
 * after their graceful stop; exit even if a library left a handle open (stdout and stderr are
 * synchronous for files and pipes on Linux). A failure is printed (operator errors as
 * {@link reportOperatorError} does, anything else by name and message only) and exits 2 or 1.
 */
export function runAsProcess(command: () => Promise<number>, io: CliIo, prefix: string): void {
  command().then(
    (code) => process.exit(code),
    (err: unknown) => {
      const code = reportOperatorError(err, io, prefix)
      if (code !== undefined) process.exit(code)
      // Security: only the error's name and message; causes may hold request configs.
      const e = err instanceof Error ? `${err.name}: ${err.message}` : 'unknown error'
      io.stderr(`${prefix}: ${e}\n`)
      process.exit(EXIT.FAILURE)
    },
  )
}
