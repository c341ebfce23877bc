/**
 * @module cli/check-config: `vault-mcp-bridge check-config`, the checks `serve` runs before it
 * contacts Vault (the same function), the effective configuration with secrets masked, and with
 * `--vault` what the bridge finds at Vault.
 */
import { checkStartup, checkVaultAccess } from '../bridge.js'
import { describeVariables } from '../config/describe.js'
import { loadConfig } from '../config/load.js'
import { createLogger } from '../observability/logger.js'
import { EXIT } from './exit.js'
import { parseCommandArgs } from './args.js'
import { logDestination, processIo, type CliIo } from './io.js'

export const CHECK_CONFIG_USAGE = `Usage: vault-mcp-bridge check-config [--vault]
Checks the environment as serve does before it contacts Vault (the same checks: a problem
stops with the same line and exit code 2, and the same warnings are printed), then prints the
value in effect of every variable, secrets masked.
  --vault   then contact Vault as serve would, with the bridge's own credentials, and print one
            line per check: connection, login, the KV and Transit mounts, the token role, and
            the policy of each agent the configuration names (API_KEYS_JSON, MCP_STDIO_AGENT).
            Exit code 1 when a check fails.
  -h, --help
`

export const MASK = '********'

/**
 * Runs `check-config`.
 * @returns 0 when everything checked is fine, 1 when a Vault check failed (`--vault`), 2 for
 *   bad usage.
 * @throws ConfigError and StartupError (exit 2), printed by main.ts exactly as for `serve`.
 */
export async function runCheckConfigCommand(
  argv: string[],
  env: Record<string, string | undefined>,
  io: CliIo = processIo,
): Promise<number> {
  const values = parseCommandArgs(
    'check-config',
    CHECK_CONFIG_USAGE,
    argv,
    { vault: { type: 'boolean' } },
    io,
  )
  if (typeof values === 'number') return values
  const config = loadConfig(env)
  for (const w of checkStartup(config, 'http')) io.stderr(`check-config: warning: ${w.message}\n`)
  printEffectiveConfig(env, (line) => io.stdout(`${line}\n`))
  if (!values.vault) return EXIT.OK

  const logger = createLogger({ level: 'silent', destination: logDestination(io) })
  io.stdout(`# Vault at ${config.vault.address}, with the bridge's credentials:\n`)
  const checks = await checkVaultAccess(config, logger)
  const width = Math.max(...checks.map((c) => c.name.length))
  for (const c of checks) {
    const mark = { ok: 'ok     ', fail: 'FAIL   ', unknown: 'unknown' }[c.outcome]
    io.stdout(`${mark} ${c.name.padEnd(width)}  ${c.detail}\n`)
  }
  return checks.some((c) => c.outcome === 'fail') ? EXIT.FAILURE : EXIT.OK
}

/**
 * Prints one `NAME=value` line per variable (the value in effect, default or set), with secret
 * variables masked and passwords inside URLs masked.
 */
export function printEffectiveConfig(
  env: Record<string, string | undefined>,
  out: (line: string) => void,
): void {
  out('# vault-mcp-bridge: configuration is valid. Effective values (secrets masked):')
  for (const v of describeVariables()) {
    const given = env[v.name]
    const set = given !== undefined && given !== ''
    const value = set ? given : v.default
    const shown =
      value === undefined || value === ''
        ? '(unset)'
        : v.secret && set
          ? MASK
          : maskUrlPassword(value)
    out(`${v.name}=${shown}${set ? '' : value === undefined ? '' : '  # default'}`)
  }
}

/** Security: `redis://:password@host` and `https://user:pass@vault` keep only the user name. */
export function maskUrlPassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@/\s]*@/i, `$1:${MASK}@`)
}
