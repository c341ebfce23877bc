/**
 * @module test/helpers/mcp-harness: real SDK clients for the MCP adapter: in memory with a fixed
 * principal (as stdio does), and over real HTTP against the production app with real auth.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { SignJWT } from 'jose'
import { createHttpLayer } from '../../src/bridge.js'
import { loadConfig } from '../../src/config/load.js'
import type { Config } from '../../src/config/schema.js'
import type { Principal, Scope } from '../../src/core/identity.js'
import type { OperationRunner } from '../../src/core/operations.js'
import { startHttpServer, type HttpServer } from '../../src/http/server.js'
import type { SecretValuesMode } from '../../src/mcp/operation-tools.js'
import { createMcpServer } from '../../src/mcp/server.js'
import { silentLogger } from './loggers.js'
import type { VaultStack } from './vault-stack.js'
import { proxyEnv, proxyHeaders } from './mtls-proxy.js'

export const JWT_SECRET = 'mcp-test-hs256-secret-that-is-32-bytes-long!'

export type ElicitAnswer = 'accept' | 'decline' | 'cancel'

export interface Connected {
  client: Client
  /** Messages of the elicitation requests the client was sent. */
  asked: string[]
  close(): Promise<void>
}

const newClient = (elicit: ElicitAnswer | undefined, asked: string[]) => {
  const client = new Client(
    { name: 'mcp-test', version: '1.0.0' },
    elicit ? { capabilities: { elicitation: { form: {} } } } : {},
  )
  if (elicit) {
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params.message)
      return elicit === 'accept' ? { action: 'accept', content: {} } : { action: elicit }
    })
  }
  return client
}

/** A real Client linked in memory to a server for a fixed principal (the stdio situation). */
export async function connectInMemory(
  runner: OperationRunner,
  principal: Principal,
  options: { secretValues?: SecretValuesMode; elicit?: ElicitAnswer } = {},
): Promise<Connected> {
  const asked: string[] = []
  const server = createMcpServer({
    runner,
    principal,
    secretValues: options.secretValues ?? 'reveal',
  })
  const client = newClient(options.elicit, asked)
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  await server.connect(serverSide)
  await client.connect(clientSide)
  return {
    client,
    asked,
    close: async () => {
      await client.close()
      await server.close()
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
  const { app } = createHttpLayer(stack.core, { logger: silentLogger(), config })
  const server = await startHttpServer({ fetch: app.fetch, host: '127.0.0.1', port: 0 })
  return {
    url: server.url,
    mcpUrl: new URL('/mcp', server.url),
    config,
    server,
    close: async () => void (await server.close(1000)),
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

/** A real Client over Streamable HTTP with the given headers on every request. */
export async function connectHttp(
  mcpUrl: URL,
  headers: Record<string, string>,
  options: { elicit?: ElicitAnswer } = {},
): Promise<Connected> {
  const asked: string[] = []
  const client = newClient(options.elicit, asked)
  const transport = new StreamableHTTPClientTransport(mcpUrl, { requestInit: { headers } })
  await client.connect(transport)
  return { client, asked, close: () => client.close() }
}

/** The text of a tool result's first content item. */
export const resultText = (r: unknown): string =>
  ((r as CallToolResult).content[0] as { text?: string } | undefined)?.text ?? ''

/** The error code of a tool error result, undefined for a success. */
export const toolErrorCode = (r: unknown): string | undefined =>
  (r as CallToolResult).isError ? resultText(r).split(':')[0] : undefined
