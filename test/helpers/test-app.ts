/**
 * @module test/helpers/test-app: the production HTTP layer (src/bridge.ts) over a stack's core,
 * with a TEST-ONLY authenticator that takes the principal from `X-Test-Agent` / `X-Test-Scopes`,
 * and clients that call it in process (`app.request()`) or over real HTTP on 127.0.0.1:0.
 *
 * Security: this seam exists only under test/; the production app authenticates with the
 * strategies in src/auth and has no way to name a principal in a header.
 */
import { request as httpRequest } from 'node:http'
import type { Hono } from 'hono'
import { afterAll, beforeAll } from 'vitest'
import type { Authenticator } from '../../src/auth/index.js'
import { createHttpLayer } from '../../src/bridge.js'
import { AppError } from '../../src/core/errors.js'
import { SCOPES, type Scope } from '../../src/core/identity.js'
import type { AppEnv } from '../../src/http/context.js'
import { startHttpServer, type HttpServer } from '../../src/http/server.js'
import type { Logger } from '../../src/observability/logger.js'
import { silentLogger } from './loggers.js'
import type { VaultStack } from './vault-stack.js'

export const TEST_AGENT_HEADER = 'x-test-agent'
export const TEST_SCOPES_HEADER = 'x-test-scopes'

/** Test-only: the principal named by the request's test headers; none → UNAUTHENTICATED. */
export const headerAuthenticator: Authenticator = {
  async authenticate(req) {
    const agent = req.headers.get(TEST_AGENT_HEADER)
    if (agent === null) throw new AppError('UNAUTHENTICATED', 'No test principal.')
    const scopes = req.headers.get(TEST_SCOPES_HEADER)
    return {
      agent,
      method: 'api_key',
      scopes:
        scopes === null ? [...SCOPES] : (scopes.split(',').filter((s) => s !== '') as Scope[]),
    }
  },
}

/** The app as the composition root builds it over the stack's core, with the test authenticator. */
export function createTestApp(
  stack: Pick<VaultStack, 'core'>,
  logger: Logger = silentLogger(),
): Hono<AppEnv> {
  return createHttpLayer(stack.core, { logger, authenticator: headerAuthenticator }).app
}

export interface RestResponse {
  status: number
  headers: Headers
  /** The parsed JSON body (undefined when the body is empty or not JSON). */
  json: any // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string
}

export interface RestCall {
  /** Agent id sent as the test principal; omit for an unauthenticated call. */
  agent?: string
  scopes?: readonly Scope[]
  /** Sent as JSON. */
  body?: unknown
  /** Sent verbatim (for malformed JSON). */
  rawBody?: string
  headers?: Record<string, string>
}

/** One way to call the app: in process or over HTTP. */
export interface RestClient {
  kind: 'app.request' | 'http'
  call(method: string, path: string, options?: RestCall): Promise<RestResponse>
}

const headersOf = (o: RestCall): Record<string, string> => ({
  ...(o.agent === undefined ? {} : { [TEST_AGENT_HEADER]: o.agent }),
  ...(o.scopes === undefined ? {} : { [TEST_SCOPES_HEADER]: o.scopes.join(',') }),
  ...(o.body === undefined && o.rawBody === undefined
    ? {}
    : { 'content-type': 'application/json' }),
  ...o.headers,
})

const bodyOf = (o: RestCall) =>
  o.rawBody ?? (o.body === undefined ? undefined : JSON.stringify(o.body))

async function toRest(res: Response): Promise<RestResponse> {
  const text = await res.text()
  return { status: res.status, headers: res.headers, json: parseJson(text), text }
}

/** Calls the app in process through `app.request()`. */
export function inProcessClient(app: Hono<AppEnv>): RestClient {
  return {
    kind: 'app.request',
    async call(method, path, options = {}) {
      const body = bodyOf(options)
      const res = await app.request(path, {
        method,
        headers: headersOf(options),
        ...(body === undefined ? {} : { body }),
      })
      return toRest(res)
    },
  }
}

/**
 * Calls a server over real HTTP with node:http, which sends the path exactly as given (no
 * client-side normalisation of `..` or percent-encoding, unlike fetch).
 */
export function httpClient(baseUrl: string): RestClient {
  const url = new URL(baseUrl)
  return {
    kind: 'http',
    call(method, path, options = {}) {
      const body = bodyOf(options)
      return new Promise<RestResponse>((resolve, reject) => {
        const req = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            method,
            path,
            headers: {
              ...headersOf(options),
              ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }),
            },
          },
          (res) => {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('error', reject)
            res.on('end', () => {
              const headers = new Headers()
              for (const [k, v] of Object.entries(res.headers)) {
                if (typeof v === 'string') headers.set(k, v)
                else if (Array.isArray(v)) headers.set(k, v.join(', '))
              }
              const text = Buffer.concat(chunks).toString('utf8')
              resolve({ status: res.statusCode ?? 0, headers, json: parseJson(text), text })
            })
          },
        )
        req.on('error', reject)
        if (body !== undefined) req.write(body)
        req.end()
      })
    },
  }
}

/** Serves `app` on 127.0.0.1, port 0. */
export function serveTestApp(app: Hono<AppEnv>): Promise<HttpServer> {
  return startHttpServer({ fetch: app.fetch, host: '127.0.0.1', port: 0 })
}

/** Both clients over one app: in process and through a real server (close it when done). */
export async function bothClients(
  app: Hono<AppEnv>,
): Promise<{ clients: RestClient[]; close(): Promise<void> }> {
  const server = await serveTestApp(app)
  return {
    clients: [inProcessClient(app), httpClient(server.url)],
    close: async () => void (await server.close(1000)),
  }
}

/** What a REST suite tests against; its fields are set once the suite's `beforeAll` has run. */
export interface RestSuite {
  stack: VaultStack
  clients: RestClient[]
}

/**
 * Registers a suite's hooks: before all, a Vault stack from `start` and both clients over the
 * test app; after all, the server and the stack are closed (whichever of them started).
 * The suite passes `startVaultStack` imported as `../helpers/vault-stack.js`, the specifier
 * the child-token run (vitest.child-tokens.config.ts) swaps for its child-token stack.
 */
export function useRestSuite(start: () => Promise<VaultStack>): RestSuite {
  const suite = {} as RestSuite
  let closeServer: (() => Promise<void>) | undefined
  beforeAll(async () => {
    suite.stack = await start()
    const both = await bothClients(createTestApp(suite.stack))
    suite.clients = both.clients
    closeServer = both.close
  })
  afterAll(async () => {
    await closeServer?.()
    await suite.stack?.close()
  })
  return suite
}

/** A response body parsed as JSON; undefined when it is empty or not JSON. */
function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text)
  } catch {
    return undefined
  }
}
