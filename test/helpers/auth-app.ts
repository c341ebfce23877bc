/**
 * @module test/helpers/auth-app: the production app (src/http/app.ts) around the auth
 * pipeline, with test routes instead of operations, over real HTTP; and a JWKS server.
 */
import { createServer, type Server } from 'node:http'
import type { JSONWebKeySet } from 'jose'
import { createAuthenticator, type AuthenticatorOptions } from '../../src/auth/index.js'
import { AppError } from '../../src/core/errors.js'
import { loadConfig } from '../../src/config/load.js'
import type { Config } from '../../src/config/schema.js'
import { createApp } from '../../src/http/app.js'
import { startHttpServer } from '../../src/http/server.js'
import { freePort } from './free-port.js'
import { recordingLogger, silentLogger, type LogLine } from './loggers.js'

export interface AuthApp {
  url: string
  config: Config
  /** What the authentication strategies logged (the app's own request log is left out). */
  lines: LogLine[]
  close(): Promise<void>
}

/**
 * Serves the production app on `hostname` (127.0.0.1 by default) port 0, with no rate limits,
 * a Vault that is always ready, and, behind authentication, `GET /protected` (returns the
 * principal) and `GET /needs/:scope` (403 insufficient_scope when the principal lacks it), plus
 * the debug routes when DEBUG_ENDPOINTS is set.
 */
export async function startAuthApp(
  env: Record<string, string>,
  options: AuthenticatorOptions = {},
  hostname = '127.0.0.1',
): Promise<AuthApp> {
  const config = loadConfig(env)
  const { logger, lines } = recordingLogger()
  const app = createApp({
    config,
    logger: silentLogger(),
    vault: { readiness: async () => ({ ready: true }) },
    authenticator: createAuthenticator(config.auth, logger, options),
    routes: [
      (a) => {
        a.get('/protected', (c) => c.json({ principal: c.var.principal }))
        a.get('/needs/:scope', (c) => {
          const scope = c.req.param('scope') as 'read'
          if (!c.var.principal?.scopes.includes(scope)) {
            throw new AppError('FORBIDDEN', `This needs the "${scope}" scope.`, {
              details: { requiredScope: scope },
            })
          }
          return c.json({ ok: true })
        })
      },
    ],
  })
  const server = await startHttpServer({ fetch: app.fetch, host: hostname, port: 0 })
  return { url: server.url, config, lines, close: async () => void (await server.close(0)) }
}

export interface KeyServer {
  /** Base URL; the JWKS is at `${base}/jwks.json`, OIDC discovery at `${base}/.well-known/openid-configuration`. */
  base: string
  jwksUrl: string
  /** Requests served for the JWKS so far. */
  jwksFetches(): number
  setKeys(jwks: JSONWebKeySet): void
  /** While on, the JWKS answers 503 (still counted as a fetch). */
  failing(on: boolean): void
  /** Stops listening and drops connections (the endpoint is down). */
  stop(): Promise<void>
  /** Listens again on the same port. */
  restart(): Promise<void>
}

/** A real local HTTP server publishing a JWKS and an OIDC discovery document (issuer = base). */
export async function startKeyServer(initial: JSONWebKeySet): Promise<KeyServer> {
  let jwks = initial
  let fetches = 0
  let port = 0
  let failing = false
  const handler = (req: { url?: string }, res: import('node:http').ServerResponse) => {
    const base = `http://127.0.0.1:${port}`
    if (req.url === '/jwks.json') {
      fetches++
      if (failing) return void res.writeHead(503).end()
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks))
    } else if (req.url === '/.well-known/openid-configuration') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ issuer: base, jwks_uri: `${base}/jwks.json` }))
    } else {
      res.writeHead(404).end()
    }
  }
  let server: Server = createServer(handler)
  const listen = (p: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(p, '127.0.0.1', () => resolve())
    })
  // A port from freePort, not listen(0): restart() binds it again, and in between no connection
  // of the suite may take it (they take ports from the range listen(0) uses).
  port = await freePort()
  await listen(port)
  const base = `http://127.0.0.1:${port}`
  return {
    base,
    jwksUrl: `${base}/jwks.json`,
    jwksFetches: () => fetches,
    setKeys: (next) => {
      jwks = next
    },
    failing: (on) => {
      failing = on
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
    restart: async () => {
      server = createServer(handler)
      await listen(port)
    },
  }
}

/** GET with headers; returns status, WWW-Authenticate and the JSON body. */
export async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; challenge: string | null; body: Record<string, unknown> }> {
  const res = await fetch(url, { headers })
  const text = await res.text()
  let body: Record<string, unknown>
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {
    body = { raw: text }
  }
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body }
}
