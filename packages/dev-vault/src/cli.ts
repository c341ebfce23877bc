/** @module dev-vault/cli: the `dev-vault` command, the dev vault as a standalone server. */
import { parseArgs } from 'node:util'
import { startDevVault } from './dev-vault.js'
import { VaultHttpError } from './routing/backend.js'

/** Bad command-line arguments for `dev-vault` (the message says what to fix). */
export class DevVaultUsageError extends Error {
  override name = 'DevVaultUsageError'
}

export const DEV_VAULT_USAGE = `Usage: dev-vault [--port 8200] [--host 127.0.0.1] [--root-token <id>]

Runs an in-memory, Vault-API-compatible dev server (KV v2 at secret/, token auth; transit,
approle and jwt can be enabled through sys/mounts and sys/auth). ALL DATA IS LOST ON EXIT.
Without --root-token a random hvs. root token is made and printed.

Options:
  --port <n>         TCP port, 0 picks a free one (default 8200).
  --host <addr>      Listen address (default 127.0.0.1).
  --root-token <id>  The root token's id, as \`vault server -dev -dev-root-token-id\`
                     (Vault refuses an hvs. or s. prefix and any '.').
  -h, --help         Show this help.
`

/** Exit codes: 0 ok, 1 runtime failure, 2 bad usage. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2 } as const

/** Where the command writes: the usage to stdout, the banner and errors to stderr. */
export interface DevVaultIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

const processIo: DevVaultIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
}

/** Parses `dev-vault` arguments. @throws DevVaultUsageError on unknown or invalid options. */
export function parseDevVaultArgs(argv: string[]): {
  port: number
  host: string
  rootToken?: string
  help: boolean
} {
  let values: { port?: string; host?: string; 'root-token'?: string; help?: boolean }
  try {
    values = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'root-token': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values
  } catch (e) {
    throw new DevVaultUsageError((e as Error).message)
  }
  const port = values.port === undefined ? 8200 : Number(values.port)
  if (!/^\d+$/.test(values.port ?? '8200') || !Number.isInteger(port) || port > 65535) {
    throw new DevVaultUsageError(`--port must be an integer from 0 to 65535, got "${values.port}"`)
  }
  const rootToken = values['root-token']
  if (rootToken !== undefined && rootToken.trim() === '') {
    throw new DevVaultUsageError('--root-token must not be empty')
  }
  return {
    port,
    host: values.host ?? '127.0.0.1',
    ...(rootToken ? { rootToken } : {}),
    help: values.help ?? false,
  }
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
    'Mounted: secret/ (kv v2), cubbyhole/, identity/, auth/token/. Stop with Ctrl-C.',
    line,
    '',
  ].join('\n')
}

/**
 * Runs `dev-vault` with `argv`: `--help` prints the usage on stdout; otherwise the dev vault runs
 * until `stop` resolves (SIGINT or SIGTERM by default), then closes.
 * @returns the exit code: 0 after a stop or `--help`, 2 for bad arguments (a `--root-token` that
 * Vault would refuse among them).
 * @throws Error when the port cannot be bound.
 */
export async function runDevVaultCli(
  argv: string[],
  io: DevVaultIo = processIo,
  stop: () => Promise<void> = untilSignal,
): Promise<number> {
  let args: ReturnType<typeof parseDevVaultArgs>
  try {
    args = parseDevVaultArgs(argv)
  } catch (err) {
    if (!(err instanceof DevVaultUsageError)) throw err
    io.stderr(`dev-vault: ${err.message}\n\n${DEV_VAULT_USAGE}`)
    return EXIT.USAGE
  }
  if (args.help) {
    io.stdout(DEV_VAULT_USAGE)
    return EXIT.OK
  }
  let vault: Awaited<ReturnType<typeof startDevVault>>
  try {
    vault = await startDevVault({
      port: args.port,
      host: args.host,
      ...(args.rootToken ? { rootToken: args.rootToken } : {}),
    })
  } catch (err) {
    // Only the root token's id can make the token store refuse (as `vault server -dev` does).
    if (!(err instanceof VaultHttpError)) throw err
    io.stderr(`dev-vault: --root-token: ${err.message}\n\n${DEV_VAULT_USAGE}`)
    return EXIT.USAGE
  }
  io.stderr(devVaultBanner(vault.url, vault.rootToken))
  await stop()
  await vault.close()
  io.stderr('dev vault stopped; all of its data is gone.\n')
  return EXIT.OK
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}
