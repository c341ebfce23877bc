/** @module cli/serve: `vault-mcp-bridge serve`, the bridge against the Vault at VAULT_ADDR. */
import { startBridge } from '../bridge.js'
import { loadConfig } from '../config/load.js'
import { createLogger } from '../observability/logger.js'
import { logDestination, processIo, type CliIo } from './io.js'
import { untilSignal } from './signals.js'

/**
 * `vault-mcp-bridge serve`: runs until `until` resolves (the first SIGTERM or SIGINT by default),
 * then stops gracefully. Logs go to `io.stderr`. Credentials published in this repository are
 * refused unless `options.allowPublishedCredentials` (the development scripts against the dev
 * vault only: scripts/dev-serve.ts).
 * @returns the exit code (0 after a graceful stop).
 * @throws ConfigError (a published credential included), StartupError and VaultStartupError
 *   (exit 2), printed by main.ts.
 */
export async function runServeCommand(
  env: Record<string, string | undefined>,
  io: CliIo = processIo,
  until: () => Promise<string> = untilSignal,
  options: { allowPublishedCredentials?: boolean } = {},
): Promise<number> {
  const config = loadConfig(env)
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
