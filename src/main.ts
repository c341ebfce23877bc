#!/usr/bin/env node
/** @module main: the CLI entry point; parses argv and dispatches to the commands in src/cli. */
import { EXIT, isEntryPoint, reportOperatorError, runAsProcess } from './cli/exit.js'
import { HELP_TEXT, packageVersion } from './cli/help.js'
import { processIo, type CliIo, type RunOptions } from './cli/io.js'

export type Env = Record<string, string | undefined>

/**
 * Runs one CLI invocation. Long-running commands (`serve`, `stdio`) resolve only when they
 * stop: on SIGTERM or SIGINT (they install their own handlers), or when `options.until`
 * resolves, which is how tests run them in process.
 */
export async function main(
  argv: string[],
  env: Env,
  io: CliIo,
  options: RunOptions = {},
): Promise<number> {
  const [first, ...rest] = argv
  const command = first === undefined || first.startsWith('-') ? 'serve' : first
  const args = command === first ? rest : argv
  // `<command> --help` is the command's own usage; only `--help` alone is the general help.
  if (first === 'help' || first === '-h' || first === '--help') {
    io.stdout(HELP_TEXT)
    return EXIT.OK
  }
  if (first === 'version' || first === '-v' || first === '--version') {
    io.stdout(`${packageVersion()}\n`)
    return EXIT.OK
  }
  try {
    switch (command) {
      case 'serve': {
        const { runServeCommand } = await import('./cli/serve.js')
        return await runServeCommand(args, env, io, options.until)
      }
      case 'stdio': {
        // Security and protocol: stdout carries MCP messages only; everything else is stderr.
        const { runStdioCommand } = await import('./cli/stdio.js')
        return await runStdioCommand(args, env, io, options)
      }
      case 'gen-policy': {
        const { runGenPolicyCommand } = await import('./cli/gen-policy.js')
        return await runGenPolicyCommand(args, io, env)
      }
      case 'provision': {
        const { runProvisionCommand } = await import('./cli/provision.js')
        return await runProvisionCommand(args, env, io)
      }
      case 'gen-jwt': {
        const { runGenJwtCommand } = await import('./cli/gen-jwt.js')
        return await runGenJwtCommand(args, env, io)
      }
      case 'check-config': {
        const { runCheckConfigCommand } = await import('./cli/check-config.js')
        return await runCheckConfigCommand(args, env, io)
      }
      default:
        io.stderr(`vault-mcp-bridge: unknown command "${command}". Run with --help for usage.\n`)
        return EXIT.USAGE
    }
  } catch (err) {
    const code = reportOperatorError(err, io, 'vault-mcp-bridge')
    if (code === undefined) throw err
    return code
  }
}

if (isEntryPoint(import.meta.url)) {
  runAsProcess(
    () => main(process.argv.slice(2), process.env, processIo),
    processIo,
    'vault-mcp-bridge',
  )
}
