/**
 * @module test/helpers/mcp-harness: real SDK clients of both protocol generations for the MCP
 * adapter. `v1` is `@modelcontextprotocol/sdk` 1.32 (a 2025-11-25 client, as Claude Code, VS Code
 * and Cursor are today); `v2` is `@modelcontextprotocol/client` 2.4 pinned to 2026-07-28 (as MCP
 * Inspector 2 is). Each reaches the bridge over the stdio session (in process, over pipes, as a
 * fixed principal) or over real HTTP against the production app with real auth.
 */
import { Client as V2Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport as V1HttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { SignJWT } from 'jose'
import { createHttpLayer } from '../../src/bridge.js'
import { loadConfig } from '../../src/config/load.js'
import type { Config } from '../../src/config/schema.js'
import type { Principal, Scope } from '../../src/core/identity.js'
import type { OperationRunner } from '../../src/core/operations.js'
import { startHttpServer, type HttpServer } from '../../src/http/server.js'
import type { SecurityEvent } from '../../src/core/ports.js'
import { createConsent, type Consent, type SecretValuesMode } from '../../src/mcp/secret-values.js'
import { startStdioSession } from '../../src/mcp/stdio-session.js'
import { createMemoryNonceStore } from '../../src/signing/nonce-store.js'
import { createSigningKeys } from '../../src/signing/signing-keys.js'
import type { Logger } from '../../src/observability/logger.js'
import { silentLogger } from './loggers.js'
import { stdioPipe } from './stdio-pipe.js'
import { httpClient, type RestResponse } from './test-app.js'
import type { VaultStack } from './vault-stack.js'
import { proxyEnv, proxyHeaders } from './mtls-proxy.js'

export const JWT_SECRET = 'mcp-test-hs256-secret-that-is-32-bytes-long!'

/** The protocol generation of a test client: `v1` speaks 2025-11-25, `v2` 2026-07-28. */
export type ClientKind = 'v1' | 'v2'
export const CLIENT_KINDS: ClientKind[] = ['v1', 'v2']
export const MODERN = '2026-07-28'

export type ElicitAnswer = 'accept' | 'decline' | 'cancel'

/** A tool result as both clients return it. */
export interface ToolResult {
  content: Array<{ type: string; text?: string }>
  structuredContent?: Record<string, unknown>
  isError?: boolean
  [key: string]: unknown
}

export interface ListedTool {
  name: string
  title?: string
  description?: string
  inputSchema: { type: string; properties?: Record<string, object>; required?: string[] }
  outputSchema?: { type: string; properties?: Record<string, object>; required?: string[] }
  annotations?: Record<string, unknown>
  [key: string]: unknown
}

/** What the suites use of a client; both SDK clients have it. */
export interface TestClient {
  listTools(): Promise<{ tools: ListedTool[] }>
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<ToolResult>
  getServerVersion(): { name: string; version: string } | undefined
  getServerCapabilities(): { tools?: object } | undefined
}

export interface Connected {
  client: TestClient
  kind: ClientKind
  /** Messages of the elicitation requests the client was sent. */
  asked: string[]
  close(): Promise<void>
}

interface ClientOptions {
  client?: ClientKind
  elicit?: ElicitAnswer
}

/** A real client of the given generation, answering elicitation requests with `elicit`. */
function newClient(kind: ClientKind, elicit: ElicitAnswer | undefined, asked: string[]) {
  const info = { name: `mcp-test-${kind}`, version: '1.0.0' }
  const capabilities = elicit ? { elicitation: { form: {} } } : {}
  const answer = (message: string) => {
    asked.push(message)
    return elicit === 'accept'
      ? { action: 'accept' as const, content: {} }
      : { action: elicit ?? ('decline' as const) }
  }
  if (kind === 'v1') {
    const client = new V1Client(info, { capabilities })
    if (elicit) client.setRequestHandler(ElicitRequestSchema, async (r) => answer(r.params.message))
    return { v1: client }
  }
  const client = new V2Client(info, {
    capabilities,
    versionNegotiation: { mode: { pin: MODERN } },
  })
  if (elicit) client.setRequestHandler('elicitation/create', async (r) => answer(r.params.message))
  return { v2: client }
}

/** Connects a v2 client and checks that it really speaks 2026-07-28 with the bridge. */
async function connectModern(client: V2Client, transport: Parameters<V2Client['connect']>[0]) {
  await client.connect(transport)
  const era = client.getProtocolEra()
  if (era !== 'modern') throw new Error(`the v2 client negotiated the ${era} protocol generation`)
}

/** The consent machinery of one stdio process (a key of its own, nonces in memory). */
export function stdioConsent(security: SecurityEvent[] = []): Consent {
  return createConsent({
    key: createSigningKeys(undefined).keyFor('mcp-request-state'),
    nonces: createMemoryNonceStore(),
    audit: { securityEvent: (e) => void security.push(e) },
  })
}

/**
 * A real client connected to the stdio session (src/mcp/stdio-session.ts) over two in-process
 * pipes (test/helpers/stdio-pipe.ts), acting as the fixed principal: the stdio transport without
 * the CLI around it.
 */
export async function connectStdio(
  runner: OperationRunner,
  principal: Principal,
  options: ClientOptions & {
    secretValues?: SecretValuesMode
    wrapTtlSeconds?: number
    logger?: Logger
  } = {},
): Promise<Connected> {
  const kind = options.client ?? 'v1'
  const asked: string[] = []
  const pipe = stdioPipe()
  const session = await startStdioSession({
    runner,
    principal,
    secretValues: options.secretValues ?? 'reveal',
    ...(options.wrapTtlSeconds === undefined ? {} : { wrapTtlSeconds: options.wrapTtlSeconds }),
    consent: stdioConsent(),
    logger: options.logger ?? silentLogger(),
    streams: pipe.streams,
    drainTimeoutMs: 5000,
  })
  const made = newClient(kind, options.elicit, asked)
  if (made.v1) await made.v1.connect(pipe.transport)
  else await connectModern(made.v2!, pipe.transport as never)
  const client = (made.v1 ?? made.v2) as unknown as TestClient & { close(): Promise<void> }
  return {
    client,
    kind,
    asked,
    close: async () => {
      await client.close().catch(() => undefined)
      await session.stop()
    },
  }
}

/** The production HTTP layer (auth, REST routes, /mcp) over the stack's core, on 127.0.0.1:0. */
export interface McpApp {
  url: string
  mcpUrl: URL
  config: Config
  server: HttpServer
  close(): Promise<void>
}

/** API keys the app accepts: `key-<agent>` for each agent, with the given scopes. */
export async function startMcpApp(
  stack: Pick<VaultStack, 'core'>,
  agents: Record<string, readonly Scope[]>,
  env: Record<string, string> = {},
  options: { logger?: Logger; now?: () => number; mcpDirectToolCalls?: boolean } = {},
): Promise<McpApp> {
  const keys = Object.fromEntries(
    Object.entries(agents).map(([agent, scopes]) => [apiKeyOf(agent), { agent, scopes }]),
  )
  const config = loadConfig({
    API_KEYS_JSON: JSON.stringify(keys),
    JWT_HS256_SECRET: JWT_SECRET,
    ...proxyEnv(),
    RATE_LIMIT_ENABLED: 'false',
    // Suites send many refused requests from 127.0.0.1; limits-http tests the limit itself.
    AUTH_FAILURE_LIMIT: '1000000',
    METRICS_ENABLED: 'false',
    ...env,
  })
  const logger = options.logger ?? silentLogger()
  const layer = createHttpLayer(stack.core, {
    logger,
    config,
    now: options.now,
    ...(options.mcpDirectToolCalls === undefined
      ? {}
      : { mcpDirectToolCalls: options.mcpDirectToolCalls }),
  })
  const server = await startHttpServer({ fetch: layer.app.fetch, host: '127.0.0.1', port: 0 })
  return {
    url: server.url,
    mcpUrl: new URL('/mcp', server.url),
    config,
    server,
    close: async () => {
      await server.close(1000)
      await layer.close()
    },
  }
}

export const apiKeyOf = (agent: string) => `key-${agent}-0123456789`

/** An HS256 token for the agent, as the JWT strategy expects (sub, exp, scope). */
export const jwtFor = (agent: string, scopes: readonly Scope[]) =>
  new SignJWT({ scope: scopes.join(' ') })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(agent)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(JWT_SECRET))

export type AuthKind = 'api_key' | 'jwt' | 'mtls'

/** The request headers that authenticate `agent` with the given method. */
export async function authHeaders(
  kind: AuthKind,
  agent: string,
  scopes: readonly Scope[],
): Promise<Record<string, string>> {
  if (kind === 'api_key') return { 'x-api-key': apiKeyOf(agent) }
  if (kind === 'jwt') return { authorization: `Bearer ${await jwtFor(agent, scopes)}` }
  // The test plays the TLS proxy on 127.0.0.1 (MTLS_TRUSTED_PROXIES, with the proxy secret).
  return proxyHeaders(`CN=${agent}`)
}

/** A real client over Streamable HTTP with the given headers on every request. */
export async function connectHttp(
  mcpUrl: URL,
  headers: Record<string, string>,
  options: ClientOptions = {},
): Promise<Connected> {
  const kind = options.client ?? 'v1'
  const asked: string[] = []
  const made = newClient(kind, options.elicit, asked)
  const requestInit = { headers }
  if (made.v1) await made.v1.connect(new V1HttpTransport(mcpUrl, { requestInit }))
  else await connectModern(made.v2!, new StreamableHTTPClientTransport(mcpUrl, { requestInit }))
  const client = (made.v1 ?? made.v2) as unknown as TestClient & { close(): Promise<void> }
  return { client, kind, asked, close: () => client.close() }
}

/** The text of a tool result's first content item. */
export const resultText = (r: unknown): string =>
  ((r as ToolResult).content[0] as { text?: string } | undefined)?.text ?? ''

/** The error code of a tool error result, undefined for a success. */
export const toolErrorCode = (r: unknown): string | undefined =>
  (r as ToolResult).isError ? resultText(r).split(':')[0] : undefined

/** Headers of a 2025 JSON-RPC POST to /mcp. */
export const MCP_HEADERS = {
  accept: 'application/json, text/event-stream',
  'content-type': 'application/json',
  'mcp-protocol-version': '2025-11-25',
}

/** A raw POST /mcp over node:http (so that Host and Origin are sent as given). */
export function postMcp(
  baseUrl: string,
  body: unknown,
  headers: Record<string, string> = {},
  options: { path?: string; raw?: string } = {},
): Promise<RestResponse> {
  return httpClient(baseUrl).call('POST', options.path ?? '/mcp', {
    rawBody: options.raw ?? JSON.stringify(body),
    headers: { ...MCP_HEADERS, ...headers },
  })
}

/**
 * A raw 2026-07-28 request: the `_meta` envelope in the body (declaring `capabilities`), the
 * standard headers beside it; `params` may carry `inputResponses` and `requestState`.
 */
export function postModern(
  baseUrl: string,
  method: string,
  params: Record<string, unknown> = {},
  options: { id?: number | string; headers?: Record<string, string>; capabilities?: object } = {},
): Promise<RestResponse> {
  const envelope = {
    'io.modelcontextprotocol/protocolVersion': MODERN,
    'io.modelcontextprotocol/clientCapabilities': options.capabilities ?? {},
    'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1.0.0' },
  }
  const name: Record<string, string> =
    typeof params.name === 'string' ? { 'mcp-name': params.name } : {}
  const body = {
    jsonrpc: '2.0',
    id: options.id ?? 7,
    method,
    params: { ...params, _meta: envelope },
  }
  return postMcp(baseUrl, body, {
    'mcp-protocol-version': MODERN,
    'mcp-method': method,
    ...name,
    ...options.headers,
  })
}

/** What a suite opens (clients, apps), each closed once by `closeAll` in its `afterAll`. */
export function suiteResources() {
  const clients: Connected[] = []
  const apps: McpApp[] = []
  return {
    track(c: Connected): Connected {
      clients.push(c)
      return c
    },
    app(a: McpApp): McpApp {
      apps.push(a)
      return a
    },
    async closeAll() {
      for (const c of clients.splice(0)) await c.close().catch(() => undefined)
      for (const a of apps.splice(0)) await a.close()
    },
  }
}
