/**
 * @module mcp/http-route: the MCP Streamable HTTP endpoint `/mcp`, stateless: every POST gets
 * its own MCP server for the authenticated principal, so any replica can answer any request.
 */
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js'
import type { Context, Hono, MiddlewareHandler } from 'hono'
import { AppError } from '../core/errors.js'
import { OPERATIONS, isAllowed, type OperationRunner } from '../core/operations.js'
import type { AppEnv } from '../http/context.js'
import { refuseMethod } from '../http/error-response.js'
import type { SecretValuesMode } from './operation-tools.js'
import { createMcpServer } from './server.js'

export const MCP_PATH = '/mcp'

export interface McpRouteDeps {
  runner: OperationRunner
  secretValues: SecretValuesMode
  /**
   * The pre-auth transport guard (src/http/transport-guard.ts) the app mounts on MCP_PATH
   * before authentication. The route runs it again, so a missing mount loosens the order (a
   * hostile page would learn that a credential is missing), not the checks.
   */
  guard: MiddlewareHandler<AppEnv>
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
 * @throws FORBIDDEN, INVALID_INPUT (the guard; bad MCP-Protocol-Version; body that is not one
 *   JSON-RPC message), NOT_ACCEPTABLE (Accept lacks application/json or text/event-stream),
 *   UNSUPPORTED_MEDIA_TYPE, METHOD_NOT_ALLOWED, UNAUTHENTICATED (no principal).
 */
export function registerMcpRoutes(app: Hono<AppEnv>, deps: McpRouteDeps): void {
  app.use(MCP_PATH, deps.guard)
  app.post(MCP_PATH, (c) => handlePost(c, deps))
  app.all(MCP_PATH, (c) =>
    refuseMethod(
      c,
      'POST',
      `${c.req.method} is not supported: this MCP endpoint is stateless (no SSE stream, no ` +
        'session to end); send JSON-RPC messages with POST.',
    ),
  )
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
    secretValues: deps.secretValues,
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
