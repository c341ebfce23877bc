/**
 * @module http/app: the Hono application. It fixes the order in which every middleware and
 * route of the REST adapter and the MCP endpoint runs; main.ts builds the parts it is given.
 */
import { randomUUID } from 'node:crypto'
import { Hono, type MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { AppError } from '../core/errors.js'
import type { VaultPort, VaultReadiness } from '../core/ports.js'
import type { Logger } from '../observability/logger.js'
import type { AppEnv } from './context.js'
import { createErrorHandler, renderError, type ChallengeFor } from './error-response.js'

/** Everything the app needs; the optional parts are mounted in a fixed order when present. */
export interface AppDeps {
  logger: Logger
  /** Largest request body (`MAX_BODY_BYTES`); larger ones get 413 before anything parses them. */
  maxBodyBytes: number
  vault: Pick<VaultPort, 'readiness'>
  /** The auth layer's `WWW-Authenticate` builder for 401/403 answers. */
  challenge?: ChallengeFor
  /** Middlewares and routes of the other layers, in the order they run (see `createApp`). */
  parts?: AppParts
  /** How long a readiness answer is reused, so that probes do not load Vault. */
  readinessCacheMs?: number
}

/** Registers routes on the app (well-known documents, metrics, REST operations, /mcp). */
export type RouteRegistrar = (app: Hono<AppEnv>) => void

export interface AppParts {
  requestLog?: MiddlewareHandler<AppEnv>
  metrics?: MiddlewareHandler<AppEnv>
  publicRoutes?: RouteRegistrar[]
  authFailureLimit?: MiddlewareHandler<AppEnv>
  auth?: MiddlewareHandler<AppEnv>
  agentRateLimit?: MiddlewareHandler<AppEnv>
  protectedRoutes?: RouteRegistrar[]
}

/** A caller's request id is kept only when it is short and plain (no spaces or controls). */
export const SANE_REQUEST_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/

/**
 * Builds the app. Order: request id, request log, metrics, body limit, `/healthz`, `/readyz`,
 * public routes (well-known documents, `/metrics`), auth-failure limit, authentication,
 * per-agent rate limit, protected routes (REST operations, `/mcp`), then the JSON 404.
 *
 * Security: everything mounted after `auth` is reached only by an authenticated principal;
 * the public routes (health, readiness, well-known metadata, metrics) carry no secrets.
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const errors = { logger: deps.logger, challenge: deps.challenge }
  const parts = deps.parts ?? {}

  app.onError(createErrorHandler(errors))
  app.notFound((c) =>
    renderError(
      c,
      new AppError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}; see the README.`),
      errors,
    ),
  )

  app.use('*', requestId(deps.logger))
  if (parts.requestLog) app.use('*', parts.requestLog)
  if (parts.metrics) app.use('*', parts.metrics)
  app.use(
    '*',
    bodyLimit({
      maxSize: deps.maxBodyBytes,
      onError: () => {
        throw new AppError(
          'PAYLOAD_TOO_LARGE',
          `The request body is larger than ${deps.maxBodyBytes} bytes (MAX_BODY_BYTES).`,
        )
      },
    }),
  )

  app.get('/healthz', (c) => c.json({ status: 'ok' }))
  const readiness = cachedReadiness(deps.vault, deps.readinessCacheMs ?? 1000)
  app.get('/readyz', async (c) => {
    const r = await readiness()
    if (r.ready) return c.json({ status: 'ready' })
    throw new AppError('VAULT_UNAVAILABLE', `Not ready: ${r.reason ?? 'vault unavailable'}.`)
  })
  methodNotAllowed(app, '/healthz', 'GET, HEAD')
  methodNotAllowed(app, '/readyz', 'GET, HEAD')

  for (const register of parts.publicRoutes ?? []) register(app)
  if (parts.authFailureLimit) app.use('*', parts.authFailureLimit)
  if (parts.auth) app.use('*', parts.auth)
  if (parts.agentRateLimit) app.use('*', parts.agentRateLimit)
  for (const register of parts.protectedRoutes ?? []) register(app)
  return app
}

/** Answers 405 with `Allow` for the methods a path does not support. */
export function methodNotAllowed(app: Hono<AppEnv>, path: string, allow: string): void {
  app.all(path, (c) => {
    c.header('Allow', allow)
    throw new AppError('METHOD_NOT_ALLOWED', `${c.req.method} is not allowed here; use ${allow}.`)
  })
}

function requestId(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const given = c.req.header('x-request-id')
    const id = given && SANE_REQUEST_ID.test(given) ? given : randomUUID()
    c.set('requestId', id)
    c.set('log', logger.child({ requestId: id }))
    c.header('X-Request-Id', id)
    await next()
    // A route may return a Response it built itself (the MCP transport does); make sure the id
    // is on whatever goes out.
    if (c.res.headers.get('X-Request-Id') !== id) {
      try {
        c.res.headers.set('X-Request-Id', id)
      } catch {
        c.res = new Response(c.res.body, c.res)
        c.res.headers.set('X-Request-Id', id)
      }
    }
  }
}

function cachedReadiness(
  vault: Pick<VaultPort, 'readiness'>,
  ttlMs: number,
): () => Promise<VaultReadiness> {
  let last: { at: number; value: Promise<VaultReadiness> } | undefined
  return () => {
    const now = Date.now()
    if (!last || now - last.at >= ttlMs) {
      const value = vault
        .readiness()
        .catch((): VaultReadiness => ({ ready: false, reason: 'vault unavailable' }))
      last = { at: now, value }
    }
    return last.value
  }
}
