/**
 * @module http/app: the Hono application. It fixes the order in which every middleware runs and
 * mounts the routes it is given (REST operations, MCP); src/bridge.ts builds the parts.
 */
import { Hono, type MiddlewareHandler } from 'hono'
import type { Authenticator } from '../auth/index.js'
import type { Config } from '../config/schema.js'
import { AppError, VAULT_RETRY_AFTER_SECONDS } from '../core/errors.js'
import type { VaultPort, VaultReadiness } from '../core/ports.js'
import type { RateLimits } from '../limits/rate-limits.js'
import type { Logger } from '../observability/logger.js'
import type { Metrics } from '../observability/metrics.js'
import { authMiddleware } from './auth-middleware.js'
import type { AppEnv } from './context.js'
import { registerDebugRoutes } from './debug-routes.js'
import { requestEdge } from './edge.js'
import {
  createErrorHandler,
  refuseMethod,
  renderError,
  type ErrorBodyFor,
} from './error-response.js'
import { agentRateLimit, authFailureLimit, type OverBudgetReply } from './limit-middleware.js'
import { registerMetricsRoute } from './metrics-route.js'
import type { RecordRefusal } from './refusal-audit.js'
import { registerWellKnownRoutes } from './well-known.js'
import { wwwAuthenticate } from './www-authenticate.js'

/** Registers routes on the app (REST operations, `/mcp`). */
export type RouteRegistrar = (app: Hono<AppEnv>) => void

/** A check mounted before authentication (the transport guard, on every path). */
export interface PreAuthGuard {
  path: string
  handler: MiddlewareHandler<AppEnv>
}

/** Everything the app needs, built by the composition root (src/bridge.ts). */
export interface AppDeps {
  config: Pick<Config, 'maxBodyBytes' | 'debugEndpoints' | 'auth' | 'metrics'>
  logger: Logger
  vault: Pick<VaultPort, 'readiness'>
  authenticator: Authenticator
  /** Auth-failure and per-agent limits; omitted, nothing is limited (tests of other parts). */
  rateLimits?: RateLimits
  /** HTTP metrics, and `GET /metrics` on this app unless METRICS_PORT moves it. */
  metrics?: Metrics
  /**
   * Routes that need no principal and guard themselves (request_secret's one-time page),
   * mounted before the transport guard and authentication.
   */
  publicRoutes?: RouteRegistrar[]
  /** Routes that need a principal, mounted after authentication and the agent rate limit. */
  routes?: RouteRegistrar[]
  /**
   * Checks that must run before authentication, so that a refused request learns nothing (not
   * even that a credential is missing); mounted after the public routes.
   */
  guards?: PreAuthGuard[]
  /** A route's own answer over the agent's rate budget (MCP's JSON-RPC); else the JSON 429. */
  overBudget?: OverBudgetReply
  /** Told about each request refused with 401, 403 or 429 (the audit trail). */
  recordRefusal?: RecordRefusal
  /** A route's own error body (MCP's JSON-RPC errors on `/mcp`); else the JSON envelope. */
  errorBody?: ErrorBodyFor
}

/**
 * Builds the app. Order: the edge (request id, body limit; after the rest, metrics, the request
 * log line and `X-Request-Id`: see edge.ts), `/healthz`, `/readyz`,
 * well-known documents, `/metrics`, the public routes that guard themselves (the one-time
 * page), the pre-auth `guards` (the transport guard), authentication
 * (with the auth-failure limit on its refusals), per-agent rate limit, the debug routes and
 * `routes` (REST operations, `/mcp`), then the JSON 404.
 *
 * Security: everything mounted after authentication is reached only by an authenticated
 * principal; the public routes (health, readiness, well-known metadata, metrics) carry no secrets.
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const { config } = deps
  const errors = {
    logger: deps.logger,
    challenge: (e: AppError) => wwwAuthenticate(e, config.auth.oauth),
    body: deps.errorBody,
  }

  const onError = createErrorHandler(errors)
  app.onError(onError)
  app.notFound((c) =>
    renderError(
      c,
      new AppError(
        'NOT_FOUND',
        `No route for ${c.req.method} ${c.req.path.slice(0, 200)}; see the README.`,
      ),
      errors,
    ),
  )

  app.use(
    '*',
    requestEdge({
      logger: deps.logger,
      metrics: deps.metrics,
      maxBodyBytes: config.maxBodyBytes,
      tooLarge: (c) => {
        // The rest of the body stays unread, so this connection cannot carry another request.
        c.header('Connection', 'close')
        throw new AppError(
          'PAYLOAD_TOO_LARGE',
          `The request body is larger than ${config.maxBodyBytes} bytes (MAX_BODY_BYTES).`,
        )
      },
      onError,
    }),
  )

  app.get('/healthz', (c) => c.json({ status: 'ok' }))
  // The Vault port caches its readiness answer, so probes do not load Vault.
  app.get('/readyz', async (c) => {
    const r = await deps.vault
      .readiness()
      .catch((): VaultReadiness => ({ ready: false, reason: 'vault unavailable' }))
    if (r.ready) return c.json({ status: 'ready' })
    throw new AppError('VAULT_UNAVAILABLE', `Not ready: ${r.reason ?? 'vault unavailable'}.`)
  })
  app.all('/healthz', (c) => refuseMethod(c, 'GET, HEAD'))
  app.all('/readyz', (c) => refuseMethod(c, 'GET, HEAD'))
  registerWellKnownRoutes(app, config.auth.oauth)
  if (deps.metrics && config.metrics.enabled && config.metrics.port === 0) {
    registerMetricsRoute(app, deps.metrics)
  }
  for (const register of deps.publicRoutes ?? []) register(app)
  for (const guard of deps.guards ?? []) app.use(guard.path, guard.handler)

  const { metrics, overBudget, recordRefusal } = deps
  const limitHooks =
    deps.rateLimits &&
    authFailureLimit(deps.rateLimits, { metrics, credentialHeaders: config.auth.mtls })
  app.use('*', authMiddleware(deps.authenticator, { ...limitHooks, recordRefusal }))
  if (deps.rateLimits) {
    app.use('*', agentRateLimit(deps.rateLimits, { metrics, overBudget, recordRefusal }))
  }
  registerDebugRoutes(app, config)
  for (const register of deps.routes ?? []) register(app)
  return app
}

/**
 * What the listeners answer while the bridge starts (its port is bound before Vault is
 * contacted): `/healthz` 200, as the process is alive; everything else 503 VAULT_UNAVAILABLE
 * with `Retry-After`, as while Vault is away.
 */
export function createStartingApp(): Hono {
  const app = new Hono()
  app.get('/healthz', (c) => c.json({ status: 'starting' }))
  app.all('*', (c) => {
    c.header('Retry-After', String(VAULT_RETRY_AFTER_SECONDS))
    return c.json(
      { error: { code: 'VAULT_UNAVAILABLE', message: 'The bridge is starting; retry shortly.' } },
      503,
    )
  })
  return app
}
