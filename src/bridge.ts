/**
 * @module bridge: the composition root, the only place where the bridge's parts are built and
 * wired together from a Config. Two layers: the core every transport needs (Vault port, secrets
 * service, operation runner, audit trail, metrics) and, over it, the HTTP layer (authenticator,
 * rate limits, the app with the REST routes and `/mcp`). `serve` and the dev command run
 * {@link startBridge}; `stdio` runs {@link startStdioBridge}, which builds the core only.
 */
import type { Hono } from 'hono'
import { createAuthenticator, type Authenticator } from './auth/index.js'
import { jwtKeyWarning } from './auth/jwt.js'
import { refusePublishedCredentials } from './config/published-credentials.js'
import type { Config } from './config/schema.js'
import { StartupError } from './config/startup-error.js'
import { AppError } from './core/errors.js'
import type { Principal } from './core/identity.js'
import { OPERATIONS, createOperationRunner, type OperationRunner } from './core/operations.js'
import type { NonceStore, OperationObserver, SecurityObserver } from './core/ports.js'
import { createSecretsService, type SecretsService } from './core/secrets-service.js'
import { createMemoryEntryStore, createRedisEntryStore } from './entry/entry-store.js'
import { createSecretEntry, type SecretEntry } from './entry/secret-entry.js'
import { createApp, createStartingApp } from './http/app.js'
import type { AppEnv } from './http/context.js'
import { createMetricsApp } from './http/metrics-route.js'
import { registerOperationRoutes } from './http/operation-routes.js'
import { readTlsMaterial, startHttpServer, type HttpServer } from './http/server.js'
import { createRefusalRecorder } from './http/refusal-audit.js'
import { registerEntryRoutes, type EntryRouteDeps } from './http/entry-routes.js'
import {
  allowedHostsWarning,
  createHostCheck,
  createTransportGuard,
  isLoopbackHost,
} from './http/transport-guard.js'
import { createRateLimits, type RateLimits } from './limits/rate-limits.js'
import { mcpErrorBody } from './mcp/error-reply.js'
import { createMcpEndpoint } from './mcp/http-route.js'
import { mcpOverBudgetReply } from './mcp/rate-limit-reply.js'
import { createConsent, type Consent } from './mcp/secret-values.js'
import { startStdioSession, type StdioStreams } from './mcp/stdio-session.js'
import { checkAuditSink, createAuditTrail, type AuditTrail } from './observability/audit.js'
import type { Logger } from './observability/logger.js'
import { combineObservers, createMetrics, type Metrics } from './observability/metrics.js'
import { createMemoryNonceStore, createRedisNonceStore } from './signing/nonce-store.js'
import { createSigningKeys, type SigningKeys } from './signing/signing-keys.js'
import { readVaultTls, skipVerifyWarning } from './vault/node-vault-client.js'
import { runVaultChecks, type VaultCheck } from './vault/vault-checks.js'
import { checkVaultSettings, createVaultPort, type ManagedVaultPort } from './vault/vault-port.js'

export type { StdioStreams } from './mcp/stdio-session.js'
export type { VaultCheck } from './vault/vault-checks.js'

/** How the core is built. Everything but `logger` and `transport` is a seam for tests. */
export interface CoreOptions {
  logger: Logger
  /**
   * `stdio`: the MCP session owns stdout, so AUDIT_LOG=stdout goes to stderr, and no metrics are
   * kept because nothing could serve them. Default `http`.
   */
  transport?: 'http' | 'stdio'
  /** Clock of the Vault port (token renewal, child tokens) and of operation durations. */
  now?: () => number
  /** Also told about every finished operation, after the audit trail and the metrics. */
  observer?: OperationObserver
  /** Also told about every security refusal (a refused requestState), after the audit trail. */
  security?: SecurityObserver
  /**
   * Where people open request_secret's page when PUBLIC_URL is unset and nothing else says
   * (the stdio bridge's own page listener, known once it listens).
   */
  entryUrl?: () => string | undefined
}

/** What every transport needs. */
export interface BridgeCore {
  config: Config
  vault: ManagedVaultPort
  service: SecretsService
  runner: OperationRunner
  audit: AuditTrail
  /** The audit trail's security side, plus `CoreOptions.security`. */
  security: SecurityObserver
  /** The subkeys of STATE_SIGNING_KEY (or of a key made for this process when it is unset). */
  signing: SigningKeys
  /** request_secret's one-time links, their single use and their outcomes. */
  entry: SecretEntry
  /** Absent when METRICS_ENABLED=false, and over stdio. */
  metrics?: Metrics
  /** Closes the audit trail (flushed) and the Vault port (revokes live child tokens). */
  close(): Promise<void>
}

/**
 * Builds the core and logs in to Vault. The audit sink is opened before Vault is contacted, so
 * that an unusable AUDIT_LOG stops the start at once.
 * @throws StartupError when AUDIT_LOG cannot be opened, VaultStartupError when Vault rejects
 *   the bridge's credentials (both exit 2); an unreachable Vault is not an error: the core
 *   starts not ready and recovers when Vault answers.
 */
export async function createBridgeCore(config: Config, options: CoreOptions): Promise<BridgeCore> {
  const { logger, now } = options
  const stdio = options.transport === 'stdio'
  const audit = createAuditTrail(config.audit.sink, { logger, stdoutReserved: stdio })
  const metrics =
    config.metrics.enabled && !stdio ? createMetrics({ processMetrics: true }) : undefined
  const vault = createVaultPort({
    vault: config.vault,
    childToken: config.childToken,
    jwtExchange: config.jwtExchange,
    logger,
    metrics,
    ...(now ? { now } : {}),
  })
  try {
    await vault.start()
  } catch (err) {
    await audit.close().catch(() => undefined)
    throw err
  }
  const signing = createSigningKeys(config.signing.key)
  const entry = createEntry(config, signing, options)
  const service = createSecretsService({
    // Security: a person's page carries no caller token, so a bridge that reaches Vault only as
    // the caller (VAULT_JWT_EXCHANGE_ONLY) could never store what the page takes: no links.
    ...(config.jwtExchange.only ? {} : { entry }),
    vault,
    prefix: config.prefix,
    listMaxKeys: config.listMaxKeys,
    listMaxFolders: config.listMaxFolders,
    dataLimits: config.dataLimits,
    mounts: { kv: config.vault.kvMount, transit: config.vault.transitMount },
    childTokens: config.childToken.enabled,
    wrapTtlMax: config.wrap.maxTtlSeconds,
    ...(now ? { now } : {}),
  })
  const runner = createOperationRunner({
    service,
    observer: combineObservers(audit, metrics, options.observer),
    offered: config.operations,
    ...(now ? { now } : {}),
  })
  logger.info(
    { event: 'operations_enabled', operations: config.operations, readOnly: config.readOnly },
    `operations enabled (${config.operations.length} of ${OPERATIONS.length}` +
      `${config.readOnly ? ', READ_ONLY' : ''}): ${config.operations.join(', ')}`,
  )
  const extra = options.security
  const security: SecurityObserver = {
    securityEvent(event) {
      audit.securityEvent(event)
      try {
        extra?.securityEvent(event)
      } catch {
        // Observers must not throw; the audit line is already written.
      }
    },
  }
  return {
    config,
    vault,
    service,
    runner,
    audit,
    security,
    signing,
    entry,
    metrics,
    close: once(async () => {
      await entry.close()
      await audit.close().catch(() => undefined)
      await vault.close().catch(() => undefined)
    }),
  }
}

/**
 * request_secret's links. Security: with more than one replica, a link used on one must be
 * refused by all, and a request's outcome seen by all: both live where the rate limits do.
 */
function createEntry(config: Config, signing: SigningKeys, options: CoreOptions): SecretEntry {
  const { logger, now } = options
  const redisUrl = config.rateLimit.redisUrl
  const { publicUrl, ttlSeconds, maxOpen } = config.secretEntry
  return createSecretEntry({
    key: signing.keyFor('secret-entry-link'),
    ttlMs: ttlSeconds * 1000,
    maxOpen,
    nonces: redisUrl
      ? createRedisNonceStore(redisUrl, logger, { now })
      : createMemoryNonceStore({ now }),
    store: redisUrl
      ? createRedisEntryStore(redisUrl, logger, { now })
      : createMemoryEntryStore({ now }),
    publicUrl: () => publicUrl ?? options.entryUrl?.(),
    // Security: the caller's Host names the link only on a loopback listener, where the
    // transport guard lets loopback names through and nothing else.
    originFallback: options.transport !== 'stdio' && isLoopbackHost(config.host),
    now,
  })
}

export interface HttpLayerOptions {
  logger: Logger
  /**
   * The settings of the HTTP layer (authentication, limits, MCP, body size); the core's config
   * unless given. Tests give one with their own credentials over a shared core.
   */
  config?: Config
  /**
   * Test seam: an authenticator in place of the strategies of `config.auth`
   * (test/helpers/test-app.ts). Production never sets it.
   */
  authenticator?: Authenticator
  /** Test seam: the clock of the signed, expiring MCP requestState. */
  now?: () => number
  /**
   * Test seam: `false` serves plain MCP tool calls through an SDK server too (src/mcp/
   * direct-call.ts), so that tests can compare both paths. Production never sets it.
   */
  mcpDirectToolCalls?: boolean
}

/** The HTTP side over a core. */
export interface HttpLayer {
  app: Hono<AppEnv>
  rateLimits: RateLimits
  /** Disconnects the rate limits and the nonce store from Redis, if any. */
  close(): Promise<void>
}

/**
 * Builds the authenticator, the rate limits and the app (REST routes and `/mcp`) over `core`.
 * @throws Error when MTLS_TRUSTED_PROXIES holds something that is not a CIDR.
 */
export function createHttpLayer(core: BridgeCore, options: HttpLayerOptions): HttpLayer {
  const { logger } = options
  const config = options.config ?? core.config
  const authenticator =
    options.authenticator ??
    createAuthenticator(config.auth, logger, { keepCredential: config.jwtExchange.enabled })
  const rateLimits = createRateLimits(config.rateLimit, logger)
  const recordRefusal = createRefusalRecorder(core.audit, {
    mtlsHeader: config.auth.mtls.identityHeader,
  })
  // One guard before authentication on every route that needs a principal, REST and /mcp.
  const guard = createTransportGuard({
    allowedOrigins: config.allowedOrigins,
    allowedHosts: config.allowedHosts,
    host: config.host,
    recordRefusal,
  })
  const { runner } = core
  // Security: with more than one replica, a consent state issued by one must be refused for a
  // second use by all of them, so the nonces live where the rate limits do.
  const nonces = config.rateLimit.redisUrl
    ? createRedisNonceStore(config.rateLimit.redisUrl, logger, { now: options.now })
    : createMemoryNonceStore({ now: options.now })
  const mcp = createMcpEndpoint({
    runner,
    secretValues: config.mcp.secretValues,
    wrapTtlSeconds: config.mcp.wrapTtlSeconds,
    consent: consentOf(core, nonces, options.now),
    entry: core.entry,
    guard,
    log: logger,
    ...(options.mcpDirectToolCalls === undefined
      ? {}
      : { directToolCalls: options.mcpDirectToolCalls }),
  })
  const entryRoutes = entryRoutesOf(core, config)
  const app = createApp({
    config,
    logger,
    vault: core.vault,
    authenticator,
    rateLimits,
    metrics: core.metrics,
    publicRoutes: [(a) => registerEntryRoutes(a, entryRoutes)],
    guards: [{ path: '*', handler: guard }],
    overBudget: mcpOverBudgetReply,
    recordRefusal,
    errorBody: mcpErrorBody,
    routes: [(a) => registerOperationRoutes(a, runner), (a) => mcp.register(a)],
  })
  return {
    app,
    rateLimits,
    close: async () => {
      await mcp.close().catch(() => undefined)
      await nonces.close().catch(() => undefined)
      await rateLimits.close()
    },
  }
}

/** What request_secret's one-time page needs of the core. */
const entryRoutesOf = (core: BridgeCore, config: Config, host = config.host): EntryRouteDeps => ({
  entry: core.entry,
  runner: core.runner,
  csrfKey: core.signing.keyFor('secret-entry-csrf'),
  audit: core.security,
  publicUrl: config.secretEntry.publicUrl,
  hostAllowed: createHostCheck({ allowedHosts: config.allowedHosts, host }),
})

/** The MCP consent flow's tokens: the core's `mcp-request-state` subkey over `nonces`. */
const consentOf = (core: BridgeCore, nonces: NonceStore, now?: () => number): Consent =>
  createConsent({
    key: core.signing.keyFor('mcp-request-state'),
    nonces,
    audit: core.security,
    now,
  })

/** The whole bridge of `serve`: the core and the HTTP layer. */
export type Bridge = BridgeCore & Omit<HttpLayer, 'close'>

/**
 * Builds the bridge from one Config (the core, then the HTTP layer over it).
 * @throws as {@link createBridgeCore} and {@link createHttpLayer}.
 */
export async function createBridge(
  config: Config,
  options: Omit<CoreOptions, 'transport'>,
): Promise<Bridge> {
  const core = await createBridgeCore(config, options)
  if (core.signing.generated) {
    options.logger.info(
      { event: 'signing_key_generated' },
      'STATE_SIGNING_KEY is not set: this process signs with a key of its own; with more than ' +
        'one replica, set the same STATE_SIGNING_KEY on every one',
    )
  }
  let http: HttpLayer
  try {
    http = createHttpLayer(core, { logger: options.logger })
  } catch (err) {
    await core.close()
    throw err
  }
  return {
    ...core,
    app: http.app,
    rateLimits: http.rateLimits,
    close: once(async () => {
      await http.close().catch(() => undefined)
      await core.close()
    }),
  }
}

/** A bridge that listens, until `stop()`. */
export interface RunningBridge {
  /** `http(s)://host:port` of the main listener. */
  url: string
  port: number
  /** Where `/metrics` is served when METRICS_PORT moves it off the main port. */
  metricsUrl?: string
  /**
   * Graceful stop: stop accepting, let in-flight requests finish (at most SHUTDOWN_TIMEOUT), then
   * close the bridge (limits, audit trail flushed, Vault port revoking live child tokens).
   * Resolves `true` when every in-flight request finished in time.
   */
  stop(): Promise<boolean>
}

/** What a listener answers: the bridge's app once it is built, a "starting" reply before. */
type Fetch = (request: Request, env: unknown) => Response | Promise<Response>

/** The listeners of `serve`, bound before Vault is contacted, and what they serve. */
interface Listeners {
  main: HttpServer
  metrics?: HttpServer
  /** Hands the requests to the built bridge (until then they get {@link createStartingApp}). */
  serve(bridge: Bridge): void
  close(): Promise<void>
}

/**
 * Binds HOST:PORT (HTTPS with TLS_CERT_FILE and TLS_KEY_FILE) and, when set, METRICS_PORT,
 * answering "starting" (503, `/healthz` 200) until `serve(bridge)`.
 * @throws StartupError when a port is in use or may not be bound, or the TLS files are wrong.
 */
async function bindListeners(config: Config): Promise<Listeners> {
  const starting = createStartingApp().fetch
  let main: Fetch = starting
  let metricsFetch: Fetch = starting
  const tls = config.tls ? readTlsMaterial(config.tls) : undefined
  const metricsPort = config.metrics.enabled && config.metrics.port !== 0
  const metrics = metricsPort
    ? await startHttpServer({
        fetch: (req, env) => metricsFetch(req, env),
        host: config.host,
        port: config.metrics.port,
        portVariable: 'METRICS_PORT',
      })
    : undefined
  let server: HttpServer
  try {
    server = await startHttpServer({
      fetch: (req, env) => main(req, env),
      host: config.host,
      port: config.port,
      tls,
      limits: config.listener,
      portVariable: 'PORT',
    })
  } catch (err) {
    await metrics?.close(1000)
    throw err
  }
  return {
    main: server,
    metrics,
    serve(bridge) {
      main = bridge.app.fetch
      if (bridge.metrics) metricsFetch = createMetricsApp(bridge.metrics).fetch
    },
    async close() {
      await server.close(1000)
      await metrics?.close(1000)
    },
  }
}

/**
 * What `serve` and the dev command run: the checks of {@link checkStartup} (its warnings
 * logged), the listeners bound, then the bridge built (audit trail, Vault login) and served.
 * Everything an operator must fix stops the start before Vault is contacted, except what only
 * Vault can tell (credentials it rejects, a certificate it presents).
 * @throws StartupError and ConfigError (exit 2), as {@link checkStartup}, the listeners and
 *   {@link createBridge} throw them; nothing is left running when it throws.
 */
export async function startBridge(
  config: Config,
  logger: Logger,
  options: StartupOptions = {},
): Promise<RunningBridge> {
  for (const w of checkStartup(config, 'http', options)) logger.warn({ event: w.event }, w.message)
  const listeners = await bindListeners(config)
  let bridge: Bridge
  try {
    bridge = await createBridge(config, { logger })
  } catch (err) {
    await listeners.close()
    throw err
  }
  listeners.serve(bridge)
  const timeoutMs = config.shutdownTimeoutSeconds * 1000
  return {
    url: listeners.main.url,
    port: listeners.main.port,
    metricsUrl: listeners.metrics?.url,
    stop: once(async () => {
      const inTime = await listeners.main.close(timeoutMs)
      await listeners.metrics?.close(1000)
      await bridge.close()
      return inTime
    }),
  }
}

/**
 * `check-config --vault`: what the bridge finds at Vault with its own credentials (connection,
 * login, mounts, token role, the policies of the agents the configuration names).
 * @throws VaultStartupError as `serve` would stop on it (exit 2).
 */
export function checkVaultAccess(config: Config, logger: Logger): Promise<VaultCheck[]> {
  const agents = [
    ...new Set([
      ...config.auth.apiKey.keys.map((k) => k.agent),
      ...(config.mcp.stdio.agent ? [config.mcp.stdio.agent] : []),
    ]),
  ].sort()
  return runVaultChecks({ vault: config.vault, childToken: config.childToken, agents, logger })
}

/** What the startup checks let pass. */
export interface StartupOptions {
  /**
   * Credentials this repository publishes (demo keys of the scripts): only the development
   * commands against the dev vault (scripts/dev.ts, scripts/dev-serve.ts) set this.
   */
  allowPublishedCredentials?: boolean
}

/** A warning for the operator: the configuration runs, but probably not as they meant. */
export interface StartupWarning {
  event: string
  message: string
}

/**
 * The checks `serve` and `stdio` run before they contact Vault, and all that `check-config`
 * runs without `--vault`: one function, so that they cannot drift. No credential this
 * repository publishes (HTTP only), Vault credentials present, the child-token policy prefix,
 * the PEM files of TLS to Vault and of the listener, an AUDIT_LOG that can be opened. (The
 * configuration schema has run before: `loadConfig`.)
 * @returns the warnings to show (every one at once).
 * @throws ConfigError for published credentials (one line each), else StartupError
 *   (VaultStartupError for Vault's settings) for the first problem, naming its variable: exit 2.
 */
export function checkStartup(
  config: Config,
  transport: 'http' | 'stdio',
  options: StartupOptions = {},
): StartupWarning[] {
  if (transport === 'http' && !options.allowPublishedCredentials) {
    refusePublishedCredentials(config)
  }
  if (transport === 'stdio' && config.jwtExchange.only) {
    throw new StartupError(
      'cannot serve stdio',
      'VAULT_JWT_EXCHANGE_ONLY=true lets only callers with a JWT reach Vault, and the stdio ' +
        'transport has none: run stdio with VAULT_JWT_EXCHANGE_ONLY=false.',
    )
  }
  checkVaultSettings(config.vault, config.childToken)
  readVaultTls(config.vault)
  if (transport === 'http' && config.tls) readTlsMaterial(config.tls)
  checkAuditSink(config.audit.sink)
  const warnings: StartupWarning[] = []
  const { apiKey, jwt, mtls } = config.auth
  const usable =
    (apiKey.enabled && apiKey.keys.length > 0) ||
    (jwt.enabled && (jwt.hs256Secret || jwt.jwksUrl || jwt.issuer)) ||
    mtls.enabled
  if (transport === 'http' && !usable) {
    warnings.push({
      event: 'no_usable_auth',
      message:
        'no agent can authenticate: set API_KEYS_JSON, JWT_HS256_SECRET, JWT_JWKS_URL or JWT_ISSUER, or enable AUTH_MTLS_ENABLED',
    })
  }
  const jwtWarning = transport === 'http' && jwt.enabled && usable ? jwtKeyWarning(jwt) : undefined
  if (jwtWarning) warnings.push({ event: 'jwt_no_key', message: jwtWarning })
  const skipVerify = skipVerifyWarning(config.vault)
  if (skipVerify) warnings.push({ event: 'vault_skip_verify', message: skipVerify })
  const hosts =
    transport === 'http' ? allowedHostsWarning(config.host, config.allowedHosts) : undefined
  if (hosts) warnings.push({ event: 'allowed_hosts_unset', message: hosts })
  return warnings
}

/** The stdio transport over a core, until the client goes away. */
export interface StdioBridge {
  /** Resolves when the client goes away (stdin ends or the transport closes). */
  closed: Promise<string>
  /** Answers what is running (at most SHUTDOWN_TIMEOUT), then closes the session and the core. */
  stop(): Promise<void>
}

/**
 * Builds the core and serves MCP on `streams` as `principal` (no HTTP app, no authenticator).
 * @throws as {@link checkStartup} (for stdio: VAULT_JWT_EXCHANGE_ONLY leaves it no way to
 *   Vault) and {@link createBridgeCore}.
 */
export async function startStdioBridge(
  config: Config,
  options: { logger: Logger; principal: Principal; streams: StdioStreams },
): Promise<StdioBridge> {
  for (const w of checkStartup(config, 'stdio')) options.logger.warn({ event: w.event }, w.message)
  let pageUrl: string | undefined
  const core = await createBridgeCore(config, {
    logger: options.logger,
    transport: 'stdio',
    entryUrl: () => pageUrl,
  })
  let page: HttpServer | undefined
  try {
    // request_secret's page needs a listener a browser can open: without PUBLIC_URL (another
    // bridge serving it), this process serves it on loopback, on a port of its own.
    if (!config.secretEntry.publicUrl) {
      page = await serveEntryPage(core, config, options.logger)
      pageUrl = page.url
    }
    const session = await startStdioSession({
      runner: core.runner,
      principal: options.principal,
      secretValues: config.mcp.secretValues,
      wrapTtlSeconds: config.mcp.wrapTtlSeconds,
      // One process, one client: what it signs it verifies itself.
      consent: consentOf(core, createMemoryNonceStore()),
      entry: core.entry,
      logger: options.logger,
      streams: options.streams,
      drainTimeoutMs: config.shutdownTimeoutSeconds * 1000,
    })
    return {
      closed: session.closed,
      stop: once(async () => {
        await session.stop()
        await page?.close(1000)
        await core.close()
      }),
    }
  } catch (err) {
    await page?.close(1000)
    await core.close()
    throw err
  }
}

/**
 * The stdio bridge's own listener for request_secret's page, on 127.0.0.1 at an ephemeral port:
 * the page routes only (every other path needs a principal, and nothing here can authenticate
 * one).
 */
async function serveEntryPage(core: BridgeCore, config: Config, logger: Logger) {
  const app = createApp({
    config,
    logger,
    vault: core.vault,
    authenticator: {
      authenticate: async () => {
        throw new AppError('UNAUTHENTICATED', 'This listener serves the one-time page only.')
      },
    },
    publicRoutes: [(a) => registerEntryRoutes(a, entryRoutesOf(core, config, '127.0.0.1'))],
  })
  return startHttpServer({ fetch: app.fetch, host: '127.0.0.1', port: 0, limits: config.listener })
}

/** `fn` run at most once; later calls get the first call's promise. */
function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined
  return () => (running ??= fn())
}
