/**
 * @module http/mcp-route: the MCP Streamable HTTP endpoint `/mcp`, stateless: every POST gets
 * its own MCP server for the authenticated principal, so any replica can answer any request.
 */
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js'
import type { Context, Hono, MiddlewareHandler } from 'hono'
import { AppError } from '../core/errors.js'
import { OPERATIONS, isAllowed, type OperationRunner } from '../core/operations.js'
import type { Config } from '../config/schema.js'
import { createMcpServer } from '../mcp/server.js'
import type { AppEnv } from './context.js'

export const MCP_PATH = '/mcp'

export interface McpGuardDeps {
  mcp: Config['mcp']
  /** The address the server listens on (`HOST`); loopback turns on the Host check. */
  host: string
}

export interface McpRouteDeps extends McpGuardDeps {
  runner: OperationRunner
}

// Security: query parameters that carry credentials in other APIs. The MCP authorization spec
// forbids access tokens in the URI (they end up in logs and browser history), so a request
// that tries is refused outright rather than silently ignored.
const CREDENTIAL_PARAMS = new Set([
  'access_token',
  'token',
  'api_key',
  'apikey',
  'api-key',
  'x-api-key',
  'key',
  'jwt',
  'authorization',
])

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]'])

/** True for addresses that only this machine can reach. */
export const isLoopbackHost = (host: string): boolean => {
  const h = host.toLowerCase()
  return LOOPBACK_NAMES.has(h) || /^127(\.\d{1,3}){3}$/.test(h) || h.endsWith('.localhost')
}

/** The host name of a `Host` header, without the port; IPv6 keeps its brackets. */
const hostName = (header: string): string => {
  const h = header.trim().toLowerCase()
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1)
  return h.split(':')[0] ?? ''
}

/**
 * The transport checks that must run before authentication, so that a hostile page learns
 * nothing (not even that a credential is missing): Origin, Host (DNS rebinding) and credentials
 * in the query string. Mount it among the public routes, before the auth middleware;
 * `registerMcpRoutes` runs it again, so forgetting it loosens the order, not the checks.
 *
 * @throws FORBIDDEN for an Origin not in MCP_ALLOWED_ORIGINS, or a non-loopback Host while bound
 *   to loopback; INVALID_INPUT for a credential in the query string.
 */
export function createMcpGuard(deps: McpGuardDeps): MiddlewareHandler<AppEnv> {
  const allowed = new Set(deps.mcp.allowedOrigins.map((o) => o.toLowerCase().replace(/\/+$/, '')))
  const checkHost = isLoopbackHost(deps.host)
  return async (c, next) => {
    const origin = c.req.header('origin')
    // Security: browsers send Origin on cross-site requests; a page from anywhere not listed
    // must not drive the agent's tools. Clients outside a browser send no Origin.
    if (origin !== undefined && !allowed.has(origin.toLowerCase())) {
      throw new AppError(
        'FORBIDDEN',
        'This Origin may not call /mcp; the operator can allow it in MCP_ALLOWED_ORIGINS.',
      )
    }
    // Security: bound to loopback, a Host naming anything else means a browser was pointed at
    // us through a DNS name that resolves to 127.0.0.1 (DNS rebinding).
    if (checkHost && !isLoopbackHost(hostName(c.req.header('host') ?? ''))) {
      throw new AppError(
        'FORBIDDEN',
        'This server listens on loopback and answers only to localhost, 127.0.0.1 or [::1].',
      )
    }
    const params = new URL(c.req.url).searchParams
    for (const name of params.keys()) {
      if (CREDENTIAL_PARAMS.has(name.toLowerCase())) {
        throw new AppError(
          'INVALID_INPUT',
          'Credentials in the URL are refused; send Authorization: Bearer or X-API-Key headers.',
        )
      }
    }
    await next()
  }
}

/**
 * Registers the guard and `/mcp`: POST carries JSON-RPC; GET and DELETE get 405 because a
 * stateless server has no stream to resume and no session to end. Expects `c.var.principal`
 * from the auth middleware mounted before it.
 *
 * Over HTTP a `tools/call` of a tool outside the caller's scopes is a 403 with
 * `WWW-Authenticate: Bearer error="insufficient_scope", scope=...`, as the MCP authorization
 * spec asks, so that OAuth clients can step up; other transports answer a FORBIDDEN tool error.
 *
 * @throws FORBIDDEN, INVALID_INPUT (guard; bad MCP-Protocol-Version; body that is not one
 *   JSON-RPC message), NOT_ACCEPTABLE (Accept lacks application/json or text/event-stream),
 *   UNSUPPORTED_MEDIA_TYPE, METHOD_NOT_ALLOWED, UNAUTHENTICATED (no principal).
 */
export function registerMcpRoutes(app: Hono<AppEnv>, deps: McpRouteDeps): void {
  const guard = createMcpGuard(deps)
  app.use(MCP_PATH, guard)
  app.post(MCP_PATH, (c) => handlePost(c, deps))
  app.all(MCP_PATH, (c) => {
    c.header('Allow', 'POST')
    throw new AppError(
      'METHOD_NOT_ALLOWED',
      `${c.req.method} is not supported: this MCP endpoint is stateless (no SSE stream, no ` +
        'session to end); send JSON-RPC messages with POST.',
    )
  })
}

async function handlePost(c: Context<AppEnv>, deps: McpRouteDeps): Promise<Response> {
  const principal = c.var.principal
  if (!principal) {
    // Reached only if the app was assembled without the auth middleware before /mcp.
    throw new AppError('UNAUTHENTICATED', 'Authentication required.')
  }
  const version = c.req.header('mcp-protocol-version')
  if (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    throw new AppError(
      'INVALID_INPUT',
      `Unsupported MCP-Protocol-Version; supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}.`,
    )
  }
  const accept = c.req.header('accept') ?? ''
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
    throw new AppError(
      'NOT_ACCEPTABLE',
      'Send Accept: application/json, text/event-stream (MCP Streamable HTTP).',
    )
  }
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json') {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the JSON-RPC message as application/json.')
  }
  let body: unknown
  try {
    body = JSON.parse(await c.req.text())
  } catch (err) {
    throw new AppError('INVALID_INPUT', 'The body is not valid JSON.', { cause: err })
  }
  if (Array.isArray(body)) {
    throw new AppError(
      'INVALID_INPUT',
      'JSON-RPC batches are not supported (removed in MCP 2025-06-18); send one message per POST.',
    )
  }
  await refuseToolOutsideScopes(body, deps, c)

  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  })
  const server = createMcpServer({
    runner: deps.runner,
    principal,
    requestId: c.var.requestId,
    secretValues: deps.mcp.secretValues,
    // A stateless server cannot receive the client's answer to its own request (elicitation).
    serverRequests: false,
    log: c.var.log,
  })
  try {
    await server.connect(transport)
    return await transport.handleRequest(c.req.raw, { parsedBody: body })
  } finally {
    // JSON responses are complete once handleRequest resolves; nothing is left to stream.
    await server.close()
  }
}

/**
 * The HTTP form of the scope refusal (see registerMcpRoutes). It goes through the runner, which
 * refuses before validating or touching Vault, so the refusal reaches the audit trail too.
 */
async function refuseToolOutsideScopes(
  body: unknown,
  deps: McpRouteDeps,
  c: Context<AppEnv>,
): Promise<void> {
  const msg = (body ?? {}) as { method?: unknown; params?: { name?: unknown; arguments?: unknown } }
  if (msg.method !== 'tools/call' || typeof msg.params?.name !== 'string') return
  const principal = c.var.principal
  const op = OPERATIONS.find((o) => o.name === msg.params?.name)
  if (!principal || !op || isAllowed(op, principal.scopes)) return
  await deps.runner.run(op, { principal, requestId: c.var.requestId }, msg.params.arguments ?? {})
}
