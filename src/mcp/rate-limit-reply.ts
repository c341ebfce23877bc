/**
 * @module mcp/rate-limit-reply: what MCP clients get over their agent's rate budget, in
 * JSON-RPC, instead of the REST adapter's JSON 429 (the app calls it through its over-budget hook).
 */
import { PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server'
import type { Context } from 'hono'
import type { AppEnv } from '../http/context.js'
import { rateLimitHeaders, rateLimitedMessage } from '../http/limit-middleware.js'
import type { LimitResult } from '../limits/rate-limits.js'
import { MCP_PATH, RPC_RATE_LIMITED, idOf } from './error-reply.js'

/**
 * The answer to an MCP POST over the agent's budget, without running it. A `tools/call` request
 * gets a tool result `{isError: true, content: [{type: 'text', text: 'RATE_LIMITED: …'}]}` (the
 * same shape as every other tool error, so a model reads when to retry); any other request gets
 * a JSON-RPC error with code {@link RPC_RATE_LIMITED} and `data: {code, retryAfterSeconds}`;
 * both with HTTP 200, as MCP clients expect of an answer to a request. Without a request to
 * answer (a notification, a body that is not one JSON-RPC request) the same error goes out with
 * id null and HTTP 429. Every variant carries `Retry-After` and the `RateLimit-*` headers.
 */
export async function mcpRateLimitedResponse(
  request: Request,
  result: LimitResult,
): Promise<Response> {
  const headers = { ...rateLimitHeaders(result), 'Content-Type': 'application/json' }
  const message = `RATE_LIMITED: ${rateLimitedMessage(result)}`
  // Security: the original request's body stays unread for the route; a clone is parsed.
  const body: unknown = await request
    .clone()
    .json()
    .catch(() => undefined)
  const id = idOf(body)
  const msg = (id === null ? {} : body) as { method?: unknown; params?: { _meta?: object } }
  if (id !== null && msg.method === 'tools/call') {
    // A 2026-07-28 client refuses a result without `resultType`.
    const meta = msg.params?._meta
    const modern = meta !== undefined && meta !== null && PROTOCOL_VERSION_META_KEY in meta
    const content = [{ type: 'text', text: message }]
    const answer = { ...(modern ? { resultType: 'complete' } : {}), isError: true, content }
    return new Response(JSON.stringify({ jsonrpc: '2.0', id, result: answer }), {
      status: 200,
      headers,
    })
  }
  const data = { code: 'RATE_LIMITED', retryAfterSeconds: result.retryAfterSeconds }
  const error = { code: RPC_RATE_LIMITED, message, data }
  return new Response(JSON.stringify({ jsonrpc: '2.0', id, error }), {
    status: id === null ? 429 : 200,
    headers,
  })
}

/**
 * The app's over-budget hook (`OverBudgetReply`): a POST to {@link MCP_PATH} gets
 * {@link mcpRateLimitedResponse}; every other request, the app's JSON 429.
 */
export function mcpOverBudgetReply(
  c: Context<AppEnv>,
  result: LimitResult,
): Promise<Response> | undefined {
  if (c.req.path !== MCP_PATH || c.req.method !== 'POST') return undefined
  return mcpRateLimitedResponse(c.req.raw, result)
}
