/** @module cli/serve: `vault-mcp-bridge serve`, the bridge against the Vault at VAULT_ADDR. */
import { startBridge } from '../bridge.js'
import { loadConfig } from '../config/load.js'
import { createLogger } from '../observability/logger.js'
import { parseCommandArgs, usageError } from './args.js'
import { logDestination, processIo, type CliIo } from './io.js'
import { untilSignal } from './signals.js'

export const SERVE_USAGE = `Usage: vault-mcp-bridge [serve] [--port <n>] [--host <addr>]
Runs the bridge against the Vault at VAULT_ADDR (REST and MCP at /mcp) until SIGTERM or SIGINT.
Everything else is configured through environment variables (the README lists them;
check-config prints the values in effect). A configuration that cannot work stops it with exit
code 2 and one line per problem, before Vault is contacted where possible.
  --port <n>       listen on this port (overrides PORT; 0 picks a free one)
  --host <addr>    listen address (overrides HOST)
  -h, --help
`

/**
 * `vault-mcp-bridge serve`: runs until `until` resolves (the first SIGTERM or SIGINT by default),
 * then stops gracefully. Logs go to `io.stderr`. `--port` and `--host` override PORT and HOST
 * and are validated as they are. Credentials published in this repository are refused unless
 * `options.allowPublishedCredentials` (the development scripts against the dev vault only:
 * scripts/dev-serve.ts).
 * @returns the exit code (0 after a graceful stop, 2 for bad arguments).
 * @throws ConfigError (a published credential included), StartupError and VaultStartupError
 *   (exit 2), printed by main.ts.
 */
export async function runServeCommand(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: CliIo = processIo,
  until: () => Promise<string> = untilSignal,
  options: { allowPublishedCredentials?: boolean } = {},
): Promise<number> {
  const args = parseCommandArgs('serve', SERVE_USAGE, argv, LISTEN_OPTIONS, io)
  if (typeof args === 'number') return args
  const listenEnv = withListenOptions('serve', SERVE_USAGE, env, args, io)
  if (typeof listenEnv === 'number') return listenEnv
  const config = loadConfig(listenEnv)
  const logger = createLogger({ level: config.logLevel, destination: logDestination(io) })
  const bridge = await startBridge(config, logger, options)
  logger.info(
    { url: bridge.url, vault: config.vault.address, metrics: bridge.metricsUrl },
    'vault-mcp-bridge listening',
  )
  const signal = await until()
  logger.info({ signal }, 'shutting down: finishing in-flight requests')
  const inTime = await bridge.stop()
  logger.info({ inTime }, 'stopped')
  return 0
}

/** `--port` and `--host` of the commands that listen (serve, and the dev command). */
export const LISTEN_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
} as const

/**
 * `env` with PORT and HOST replaced by `--port` and `--host` when given, so that the
 * configuration schema checks them as it checks the variables.
 * @returns the environment, or exit code 2 (printed) for a `--port` that is no port number.
 */
export function withListenOptions(
  name: string,
  usage: string,
  env: Record<string, string | undefined>,
  args: { port?: unknown; host?: unknown },
  io: CliIo,
): Record<string, string | undefined> | number {
  const { port, host } = args
  if (typeof port === 'string' && !(/^\d{1,5}$/.test(port) && Number(port) <= 65535)) {
    return usageError(
      name,
      usage,
      `--port must be a port number from 0 to 65535 (0 picks a free one), got "${port}"`,
      io,
    )
  }
  if (typeof host === 'string' && host.trim() === '') {
    return usageError(name, usage, '--host must be a listen address such as 127.0.0.1', io)
  }
  return {
    ...env,
    ...(typeof port === 'string' ? { PORT: port } : {}),
    ...(typeof host === 'string' ? { HOST: host } : {}),
  }
}
