/**
 * @module cli/args: how every command reads its options: its own usage on stdout for -h/--help
 * (exit 0), an unknown option, a positional or a missing value refused on stderr with the usage
 * (exit 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { EXIT } from './exit.js'
import type { CliIo } from './io.js'

/** The options a command takes (`help` is added: every command has its own). */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>

const HELP = { help: { type: 'boolean', short: 'h' } } as const

/**
 * Parses `argv` for the command `name`.
 * @returns the option values, or an exit code when the command is to end at once: 0 after
 *   printing `usage` for --help, 2 after printing what is wrong and `usage` on stderr.
 */
export function parseCommandArgs<const T extends CommandOptions>(
  name: string,
  usage: string,
  argv: readonly string[],
  options: T,
  io: CliIo,
) {
  const config = {
    args: [...argv],
    options: { ...options, ...HELP },
    strict: true,
    allowPositionals: false,
  } as const
  let values: ReturnType<typeof parseArgs<typeof config>>['values']
  try {
    values = parseArgs(config).values
  } catch (err) {
    return usageError(name, usage, err instanceof Error ? err.message : 'bad arguments', io)
  }
  if ((values as { help?: boolean }).help) {
    io.stdout(usage)
    return EXIT.OK
  }
  return values
}

/** Prints `name: message`, then the usage, on stderr; returns exit code 2. */
export function usageError(name: string, usage: string, message: string, io: CliIo): number {
  io.stderr(`${name}: ${message}\n\n${usage}`)
  return EXIT.USAGE
}
