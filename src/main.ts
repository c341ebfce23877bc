#!/usr/bin/env node
/** @module main: the CLI entry point; parses argv and dispatches to the commands in src/cli. */
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ConfigError } from './config/load.js'
import { HELP_TEXT, packageVersion } from './cli/help.js'
import { VaultStartupError } from './vault/vault-startup-error.js'

/** Where a command writes; stdout is reserved for MCP messages in stdio mode. */
export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

export type Env = Record<string, string | undefined>

/** Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad configuration. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2 } as const

/**
 * Runs one CLI invocation. Long-running commands (`serve`, `stdio`) resolve
 * only when they stop; they install their own signal handlers.
 */
export async function main(argv: string[], env: Env, io: CliIo): Promise<number> {
  const [first, ...rest] = argv
  const command = first === undefined || first.startsWith('-') ? 'serve' : first
  const args = command === first ? rest : argv
  // `<command> --help` goes to the subcommands that have their own usage (gen-jwt, ...).
  const ownHelp = ['serve', 'check-config'].includes(command)
  const wantsHelp = args.includes('-h') || args.includes('--help')
  if (first === 'help' || first === '-h' || first === '--help' || (ownHelp && wantsHelp)) {
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
        return await runServeCommand(env)
      }
      case 'stdio': {
        // Security and protocol: stdout carries MCP messages only; everything else is stderr.
        const { runStdioCommand } = await import('./cli/stdio.js')
        return await runStdioCommand(env)
      }
      case 'gen-policy': {
        const { runGenPolicyCommand } = await import('./cli/gen-policy.js')
        return await runGenPolicyCommand(args, io)
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
        const { runCheckConfig } = await import('./cli/check-config.js')
        runCheckConfig(env, (line) => io.stdout(`${line}\n`))
        return EXIT.OK
      }
      default:
        io.stderr(`vault-mcp-bridge: unknown command "${command}". Run with --help for usage.\n`)
        return EXIT.USAGE
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`vault-mcp-bridge: invalid configuration (fix these and start again):\n`)
      for (const problem of err.problems) io.stderr(`  ${problem}\n`)
      return EXIT.USAGE
    }
    if (err instanceof VaultStartupError) {
      io.stderr(`vault-mcp-bridge: cannot use Vault: ${err.message}\n`)
      return EXIT.USAGE
    }
    throw err
  }
}

const isEntryPoint = (): boolean => {
  const script = process.argv[1]
  if (!script) return false
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isEntryPoint()) {
  const io: CliIo = {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
  }
  main(process.argv.slice(2), process.env, io).then(
    // Long-running commands resolve after their graceful stop; exit even if a library left a
    // handle open (stdout and stderr are synchronous for files and pipes on Linux).
    (code) => process.exit(code),
    (err: unknown) => {
      // Security: only the error's name and message; causes may hold request configs.
      const e = err instanceof Error ? `${err.name}: ${err.message}` : 'unknown error'
      io.stderr(`vault-mcp-bridge: ${e}\n`)
      process.exit(EXIT.FAILURE)
    },
  )
}
