/** @module cli/check-config: validate the environment and print the effective config, secrets masked. */
import { describeVariables } from '../config/describe.js'
import { loadConfig } from '../config/load.js'
import { refusePublishedCredentials } from '../config/published-credentials.js'

export const MASK = '********'

/**
 * Prints one `NAME=value` line per variable (the value in effect, default or set), with secret
 * variables masked and passwords inside URLs masked.
 * @throws ConfigError when the environment is invalid or uses a credential published in this
 *   repository (main.ts prints it and exits 2).
 */
export function runCheckConfig(
  env: Record<string, string | undefined>,
  out: (line: string) => void,
): void {
  refusePublishedCredentials(loadConfig(env))
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
