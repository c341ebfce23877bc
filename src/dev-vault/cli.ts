/** @module dev-vault/cli: `vault-mcp-bridge dev-vault`, the dev vault as a standalone server. */
import { parseArgs } from 'node:util'
import { startDevVault } from './index.js'

/** Bad command-line arguments for `dev-vault` (the message says what to fix). */
export class DevVaultUsageError extends Error {
  override name = 'DevVaultUsageError'
}

export const DEV_VAULT_USAGE = `Usage: vault-mcp-bridge dev-vault [--port 8200] [--host 127.0.0.1] [--root-token <id>]

Runs an in-memory, Vault-API-compatible dev server (KV v2 at secret/, token auth; transit,
approle and jwt can be enabled through sys/mounts and sys/auth). ALL DATA IS LOST ON EXIT.
`

/** Parses `dev-vault` arguments. @throws DevVaultUsageError on unknown or invalid options. */
export function parseDevVaultArgs(argv: string[]): {
  port: number
  host: string
  rootToken?: string
} {
  let values: { port?: string; host?: string; 'root-token'?: string }
  try {
    values = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'root-token': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values
  } catch (e) {
    throw new DevVaultUsageError(`${(e as Error).message}\n\n${DEV_VAULT_USAGE}`)
  }
  const port = values.port === undefined ? 8200 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new DevVaultUsageError(`--port must be an integer from 0 to 65535, got "${values.port}"`)
  }
  const rootToken = values['root-token']
  if (rootToken !== undefined && rootToken.trim() === '') {
    throw new DevVaultUsageError('--root-token must not be empty')
  }
  return { port, host: values.host ?? '127.0.0.1', ...(rootToken ? { rootToken } : {}) }
}

/** The loud stderr banner printed at start. */
export function devVaultBanner(url: string, rootToken: string): string {
  const line = '='.repeat(78)
  return [
    line,
    'WARNING: dev vault mode. This is NOT HashiCorp Vault and NOT for production.',
    'Everything is kept in memory: ALL SECRETS, KEYS, POLICIES AND TOKENS ARE LOST ON EXIT.',
    'There is no TLS, no seal and no audit log.',
    line,
    '',
    `  Address:     ${url}`,
    `  Root token:  ${rootToken}`,
    '',
    `  export VAULT_ADDR='${url}'`,
    `  export VAULT_TOKEN='${rootToken}'`,
    '',
    'Mounted: secret/ (kv v2), auth/token/. Stop with Ctrl-C.',
    line,
    '',
  ].join('\n')
}

/**
 * Runs the dev vault until SIGINT or SIGTERM, then closes it. Writes only to stderr.
 * @throws DevVaultUsageError on bad arguments; Error when the port cannot be bound.
 */
export async function runDevVaultCommand(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stderr.write(DEV_VAULT_USAGE)
    return
  }
  const args = parseDevVaultArgs(argv)
  const vault = await startDevVault(args)
  process.stderr.write(devVaultBanner(vault.url, vault.rootToken))
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  await vault.close()
  process.stderr.write('dev vault stopped; all of its data is gone.\n')
}
