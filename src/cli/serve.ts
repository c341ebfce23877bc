/**
 * @module cli/serve: the composition of the running bridge (Vault access, secrets service,
 * observers, limits, authentication, the HTTP app) and the `serve` command around it.
 */
import { createAuthenticator } from '../auth/index.js'
import { loadConfig } from '../config/load.js'
import type { Config } from '../config/schema.js'
import { createOperationRunner } from '../core/operations.js'
import { createSecretsService } from '../core/secrets-service.js'
import { createApp } from '../http/app.js'
import { registerMcpRoutes } from '../http/mcp-route.js'
import { serveMetrics } from '../http/metrics-route.js'
import { registerOperationRoutes } from '../http/operation-routes.js'
import { startHttpServer, type HttpServer } from '../http/server.js'
import { createRateLimits } from '../limits/rate-limits.js'
import { createAuditTrail } from '../observability/audit.js'
import { createLogger, type Logger } from '../observability/logger.js'
import { combineObservers, createMetrics } from '../observability/metrics.js'
import { createVaultPort } from '../vault/vault-port.js'

/** A bridge that listens, until `stop()`. */
export interface RunningBridge {
  /** `http://host:port` of the main listener. */
  url: string
  port: number
  /** Where `/metrics` is served when METRICS_PORT moves it off the main port. */
  metricsUrl?: string
  /**
   * Graceful stop: stop accepting, let in-flight requests finish (at most SHUTDOWN_TIMEOUT), then
   * close the VaultPort (revokes live child tokens), the limits and the audit trail (flushed).
   * Resolves `true` when every in-flight request finished in time.
   */
  stop(): Promise<boolean>
}

/**
 * Builds and starts the bridge against the Vault in `config.vault` (never an in-memory one).
 * @throws VaultStartupError when Vault rejects the bridge's credentials (serve exits 2); an
 *   unreachable Vault is not an error: the bridge starts and `/readyz` says 503 until it answers.
 * @throws the listen error (EADDRINUSE, EACCES) when the port cannot be bound.
 */
export async function startBridge(config: Config, logger: Logger): Promise<RunningBridge> {
  warnAboutConfig(config, logger)
  const metrics = config.metrics.enabled ? createMetrics({ processMetrics: true }) : undefined
  const vault = createVaultPort({
    vault: config.vault,
    childToken: config.childToken,
    logger,
    metrics,
  })
  await vault.start()
  const cleanups: (() => Promise<unknown>)[] = [() => vault.close()]
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined)
  }
  try {
    const audit = createAuditTrail(config.audit.sink, { logger })
    cleanups.push(() => audit.close())
    const rateLimits = createRateLimits(config.rateLimit, logger)
    cleanups.push(() => rateLimits.close())
    const service = createSecretsService({
      vault,
      prefix: config.prefix,
      listMaxKeys: config.listMaxKeys,
    })
    const runner = createOperationRunner({ service, observer: combineObservers(audit, metrics) })
    const app = createApp({
      config,
      logger,
      vault,
      authenticator: createAuthenticator(config.auth, logger),
      rateLimits,
      metrics,
      routes: [
        (a) => registerOperationRoutes(a, runner),
        (a) => registerMcpRoutes(a, { runner, mcp: config.mcp, host: config.host }),
      ],
    })
    let metricsServer: HttpServer | undefined
    if (metrics && config.metrics.port !== 0) {
      metricsServer = await serveMetrics({ metrics, host: config.host, port: config.metrics.port })
      cleanups.push(() => metricsServer!.close(1000))
    }
    const server = await startHttpServer({ fetch: app.fetch, host: config.host, port: config.port })
    const timeoutMs = config.shutdownTimeoutSeconds * 1000
    let stopping: Promise<boolean> | undefined
    return {
      url: server.url,
      port: server.port,
      metricsUrl: metricsServer?.url,
      stop: () =>
        (stopping ??= (async () => {
          const inTime = await server.close(timeoutMs)
          await cleanup()
          return inTime
        })()),
    }
  } catch (err) {
    await cleanup()
    throw err
  }
}

/** Startup warnings for configurations that run but cannot be what the operator meant. */
function warnAboutConfig(config: Config, logger: Logger): void {
  const { apiKey, jwt, mtls } = config.auth
  const usable =
    (apiKey.enabled && apiKey.keys.length > 0) ||
    (jwt.enabled && (jwt.hs256Secret || jwt.jwksUrl || jwt.issuer)) ||
    mtls.enabled
  if (!usable) {
    logger.warn(
      {},
      'no agent can authenticate: set API_KEYS_JSON, JWT_HS256_SECRET, JWT_JWKS_URL or JWT_ISSUER, or enable AUTH_MTLS_ENABLED',
    )
  }
  if (config.vault.tls.skipVerify) {
    logger.warn({}, 'VAULT_SKIP_VERIFY=true: the TLS certificate of Vault is NOT verified')
  }
}

/**
 * `vault-mcp-bridge serve`: runs until SIGTERM or SIGINT, then stops gracefully.
 * @returns the exit code (0 after a graceful stop).
 * @throws ConfigError (exit 2) and VaultStartupError (exit 2), printed by main.ts.
 */
export async function runServeCommand(env: Record<string, string | undefined>): Promise<number> {
  const config = loadConfig(env)
  const logger = createLogger({ level: config.logLevel })
  const bridge = await startBridge(config, logger)
  logger.info(
    { url: bridge.url, vault: config.vault.address, metrics: bridge.metricsUrl },
    'vault-mcp-bridge listening',
  )
  const signal = await untilSignal()
  logger.info({ signal }, 'shutting down: finishing in-flight requests')
  const inTime = await bridge.stop()
  logger.info({ inTime }, 'stopped')
  return 0
}

/**
 * Resolves on the first SIGTERM or SIGINT. A second one during shutdown exits at once (1), for
 * an operator who does not want to wait for SHUTDOWN_TIMEOUT.
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
      process.once('SIGTERM', () => process.exit(1))
      process.once('SIGINT', () => process.exit(1))
      resolve(signal)
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  })
}
