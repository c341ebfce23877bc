/**
 * @module mcp/http-route: the MCP Streamable HTTP endpoint `/mcp`, stateless, for both protocol
 * generations: 2026-07-28 requests go to the SDK's per-request handler, 2025 ones to a stateless
 * transport with JSON responses. Every request gets its own MCP server for the authenticated
 * principal, so any replica can answer any request.
 */
import {
  SUPPORTED_PROTOCOL_VERSIONS,
  WebStandardStreamableHTTPServerTransport,
  createMcpHandler,
  isLegacyRequest,
  type AuthInfo,
  type McpRequestContext,
} from '@modelcontextprotocol/server'
import type { Context, Hono, MiddlewareHandler } from 'hono'
import { AppError } from '../core/errors.js'
import { isAllowed } from '../core/operations.js'
import { createOriginOf, type AppEnv } from '../http/context.js'
import { refuseMethod } from '../http/error-response.js'
import type { Logger } from '../observability/logger.js'
import {
  MCP_PATH,
  RPC_INVALID_REQUEST,
  RPC_PARSE_ERROR,
  idOf,
  refuse,
  rememberRequestId,
} from './error-reply.js'
import { plainToolCall, toolCallResponse } from './direct-call.js'
import { callTool, needsSdkRound, operationNamed } from './operation-tools.js'
import { SERVER_INFO, createMcpServer, type McpServerDeps, type McpSession } from './server.js'

export { MCP_PATH } from './error-reply.js'

export interface McpEndpointDeps extends McpServerDeps {
  /**
   * The pre-auth transport guard (src/http/transport-guard.ts) the app mounts on MCP_PATH
   * before authentication. The route runs it again, so a missing mount loosens the order (a
   * hostile page would learn that a credential is missing), not the checks.
   */
  guard: MiddlewareHandler<AppEnv>
  /** Reports what the SDK refused or failed on (never the response itself). */
  log: Logger
  /**
   * `false` sends plain tool calls through the SDK server too (direct-call.ts); tests compare
   * both paths. Default true.
   */
  directToolCalls?: boolean
}

/** The `/mcp` endpoint: its routes, and the SDK handler behind them. */
export interface McpEndpoint {
  /** Registers the guard and `/mcp` on the app (after authentication). */
  register(app: Hono<AppEnv>): void
  /** Closes the 2026-07-28 handler: its open `subscriptions/listen` streams end. */
  close(): Promise<void>
}

/** Who the request is for, handed through the SDK handler to the server factory. */
type SessionOf = Omit<McpSession, 'era'>
const SESSION = 'vault-mcp-bridge/session'

/**
 * Creates the endpoint. POST carries JSON-RPC; GET and DELETE get 405 because a stateless
 * server has no stream to resume and no session to end. Expects `c.var.principal` from the
 * auth middleware mounted before it.
 *
 * Over HTTP a `tools/call` of a tool outside the caller's scopes is a 403 with
 * `WWW-Authenticate: Bearer error="insufficient_scope", scope=...`, as the MCP authorization
 * spec asks, in both protocol generations, so that OAuth clients can step up; other transports
 * answer a FORBIDDEN tool error.
 *
 * Refusals are JSON-RPC errors (see error-reply.ts) with the status of their code:
 * FORBIDDEN, INVALID_INPUT (the guard; a body that is not one JSON-RPC message; a 2025 request
 * with an MCP-Protocol-Version the bridge does not speak),
 * NOT_ACCEPTABLE (Accept lacks application/json or text/event-stream), UNSUPPORTED_MEDIA_TYPE,
 * METHOD_NOT_ALLOWED, UNAUTHENTICATED. Protocol errors of 2026-07-28 requests (headers that do
 * not match the body, unsupported versions, a missing `_meta` envelope) are the SDK's.
 */
export function createMcpEndpoint(deps: McpEndpointDeps): McpEndpoint {
  const originOf = createOriginOf()
  const serverFor = (era: McpSession['era'], session: SessionOf) =>
    createMcpServer(deps, { ...session, era })
  // Built once: the handler classifies each request and calls the factory per request.
  const modern = createMcpHandler(
    (ctx: McpRequestContext) => serverFor('modern', sessionFrom(ctx.authInfo)),
    {
      // 2025 requests never reach it: the route serves them with JSON responses itself.
      // Results are one JSON body: no tool sends notifications before its result.
      legacy: 'reject',
      onerror: (err) => deps.log.debug({ err: err.message }, 'mcp: request refused'),
    },
  )

  async function handlePost(c: Context<AppEnv>): Promise<Response> {
    // c.get, not c.var: hono builds a new object of all variables on every `c.var`.
    const principal = c.get('principal')
    if (!principal) {
      // Reached only if the app was assembled without the auth middleware before /mcp.
      throw new AppError('UNAUTHENTICATED', 'Authentication required.')
    }
    const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
    if (type !== 'application/json') {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the JSON-RPC message as application/json.')
    }
    let body: unknown
    try {
      body = JSON.parse(await c.req.text())
    } catch (err) {
      const e = new AppError('INVALID_INPUT', 'The body is not valid JSON.', { cause: err })
      refuse(c, e, RPC_PARSE_ERROR)
    }
    if (Array.isArray(body)) {
      const e = new AppError(
        'INVALID_INPUT',
        'JSON-RPC batches are not supported (removed in MCP 2025-06-18); send one message per POST.',
      )
      refuse(c, e, RPC_INVALID_REQUEST)
    }
    // From here on, a refusal carries the id of the message.
    rememberRequestId(c, idOf(body))
    const accept = c.req.header('accept') ?? ''
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      throw new AppError(
        'NOT_ACCEPTABLE',
        'Send Accept: application/json, text/event-stream (MCP Streamable HTTP).',
      )
    }
    await refuseToolOutsideScopes(body, c, deps)

    const rateBudget = c.get('rateBudget')
    const session: SessionOf = {
      principal,
      transport: 'http',
      requestId: c.get('requestId'),
      log: c.get('log'),
      ...(rateBudget ? { rateBudget } : {}),
      origin: originOf(c.req.url),
    }
    // The hot path: a plain tools/call runs the same tool handler without an SDK server around
    // it (direct-call.ts), in the era the SDK's classifier gives it.
    const call = plainToolCall(body, {
      protocolVersion: c.req.header('mcp-protocol-version'),
      method: c.req.header('mcp-method'),
      name: c.req.header('mcp-name'),
    })
    const legacy = call ? call.era === 'legacy' : await isLegacyRequest(c.req.raw, body)
    if (legacy) {
      const version = c.req.header('mcp-protocol-version')
      if (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
        throw new AppError(
          'INVALID_INPUT',
          `Unsupported MCP-Protocol-Version; supported: 2026-07-28 (with the _meta envelope), ` +
            `${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}.`,
        )
      }
    }
    if (
      call &&
      deps.directToolCalls !== false &&
      !needsSdkRound(deps, session, call.op, call.args)
    ) {
      const result = await callTool(deps, { ...session, era: call.era }, call.op, call.args)
      return c.json(toolCallResponse(call, result, SERVER_INFO))
    }
    // Security: the caller's credential is never handed on; the SDK gets the principal only.
    const authInfo: AuthInfo = {
      token: '',
      clientId: principal.agent,
      scopes: [...principal.scopes],
      extra: { [SESSION]: session },
    }
    if (legacy) return serveLegacy(c.req.raw, body, authInfo, serverFor('legacy', session))
    return modern.fetch(c.req.raw, { authInfo, parsedBody: body })
  }

  return {
    register(app) {
      app.use(MCP_PATH, deps.guard)
      app.post(MCP_PATH, handlePost)
      app.all(MCP_PATH, (c) =>
        refuseMethod(
          c,
          'POST',
          `${c.req.method} is not supported: this MCP endpoint is stateless (no SSE stream, no ` +
            'session to end); send JSON-RPC messages with POST.',
        ),
      )
    },
    close: () => modern.close(),
  }
}

/** The session the route put into `authInfo`; a request without one is a wiring bug. */
function sessionFrom(authInfo: AuthInfo | undefined): SessionOf {
  const session = authInfo?.extra?.[SESSION] as SessionOf | undefined
  if (!session) throw new Error('mcp: a request reached the MCP handler without a principal')
  return session
}

/**
 * A 2025 request on a stateless transport of its own, answered with one JSON body (what 2025
 * clients have always had from the bridge, and what curl users read).
 */
async function serveLegacy(
  request: Request,
  body: unknown,
  authInfo: AuthInfo,
  server: ReturnType<typeof createMcpServer>,
): Promise<Response> {
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  })
  try {
    await server.connect(transport)
    return await transport.handleRequest(request, { authInfo, parsedBody: body })
  } finally {
    // JSON responses are complete once handleRequest resolves; nothing is left to stream.
    await server.close()
  }
}

/**
 * The HTTP form of the scope refusal (see createMcpEndpoint). It goes through the runner, which
 * refuses before validating or touching Vault, so the refusal reaches the audit trail too.
 */
async function refuseToolOutsideScopes(
  body: unknown,
  c: Context<AppEnv>,
  deps: McpEndpointDeps,
): Promise<void> {
  const msg = (body ?? {}) as { method?: unknown; params?: { name?: unknown; arguments?: unknown } }
  if (msg.method !== 'tools/call' || typeof msg.params?.name !== 'string') return
  const principal = c.get('principal')
  const op = operationNamed(msg.params.name)
  // A tool the bridge does not offer is refused as a tool error (OPERATION_DISABLED): more
  // scope would not help, so the client is not sent to ask for it.
  if (!principal || !op || !deps.runner.offers(op) || isAllowed(op, principal.scopes)) return
  await deps.runner.run(
    op,
    { principal, requestId: c.get('requestId') },
    msg.params.arguments ?? {},
  )
}
