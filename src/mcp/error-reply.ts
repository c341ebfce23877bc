/**
 * @module mcp/error-reply: how refusals on `/mcp` look. MCP clients read JSON-RPC, so the app's
 * errors on that path (Origin, Host, credentials, Accept, batches, scopes, ...) become JSON-RPC
 * errors with the HTTP status of their code; REST keeps its own error envelope.
 */
import type { Context } from 'hono'
import { AppError, type ErrorCode } from '../core/errors.js'
import type { AppEnv } from '../http/context.js'

export const MCP_PATH = '/mcp'

/** A JSON-RPC request id, or null where none could be read. */
export type RpcId = string | number | null

/** JSON-RPC error codes of the refusals the route makes itself (JSON-RPC 2.0, section 5.1). */
export const RPC_PARSE_ERROR = -32700
export const RPC_INVALID_REQUEST = -32600
/** Implementation-defined server error: what the SDK's transports answer for transport refusals. */
export const RPC_SERVER_ERROR = -32000
/** Non-tool MCP requests over the agent's budget (implementation-defined range). */
export const RPC_RATE_LIMITED = -32029

// What the route learnt about a request before refusing it: the id of the message it parsed,
// and a more precise JSON-RPC code than the default. Keyed by the request's context, so it goes
// away with the request.
const known = new WeakMap<Context, { id: RpcId; rpcCode?: number }>()

/** Records the id of the JSON-RPC message the route parsed, for any later refusal. */
export function rememberRequestId(c: Context<AppEnv>, id: RpcId): void {
  known.set(c, { ...known.get(c), id })
}

/**
 * Refuses the request on `/mcp` with `error`, rendered by the app's error handler (status,
 * `WWW-Authenticate`, `Retry-After`) with {@link mcpErrorBody}.
 * @throws `error`, always.
 */
export function refuse(c: Context<AppEnv>, error: AppError, rpcCode?: number): never {
  known.set(c, { id: known.get(c)?.id ?? null, rpcCode })
  throw error
}

/** The JSON-RPC id of a parsed body when it is one request with a usable id, else null. */
export function idOf(body: unknown): RpcId {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null
  const id = (body as { id?: unknown }).id
  return typeof id === 'string' || typeof id === 'number' ? id : null
}

const CODES: Partial<Record<ErrorCode, number>> = { RATE_LIMITED: RPC_RATE_LIMITED }

/**
 * The app's error-body hook: on `/mcp`, the JSON-RPC error for `e`, carrying the request's id
 * where the route had parsed the body, `null` where the refusal came before (Origin, Host,
 * credentials, body size, authentication); elsewhere undefined (the REST envelope). The message
 * is `CODE: message` like every tool error, and `data.code` is the bridge's stable code.
 */
export function mcpErrorBody(c: Context<AppEnv>, e: AppError): object | undefined {
  if (c.req.path !== MCP_PATH) return undefined
  const seen = known.get(c)
  return {
    jsonrpc: '2.0',
    id: seen?.id ?? null,
    error: {
      code: seen?.rpcCode ?? CODES[e.code] ?? RPC_SERVER_ERROR,
      message: `${e.code}: ${e.message}`,
      data: { code: e.code },
    },
  }
}
