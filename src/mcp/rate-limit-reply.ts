/**
 * @module mcp/rate-limit-reply: what MCP clients get over their agent's rate budget, in
 * JSON-RPC, instead of the REST adapter's JSON 429 (the app calls it through its over-budget hook).
 */
import type { Context } from 'hono'
import type { AppEnv } from '../http/context.js'
import { rateLimitHeaders, rateLimitedMessage } from '../http/limit-middleware.js'
import type { LimitResult } from '../limits/rate-limits.js'
import { MCP_PATH } from './http-route.js'

/** JSON-RPC error code used for non-tool MCP requests over the budget (implementation-defined range). */
export const JSONRPC_RATE_LIMITED = -32029

/**
 * The answer to an MCP POST over the agent's budget, without running it. Each `tools/call`
 * request gets a tool result `{isError: true, content: [{type: 'text', text: 'RATE_LIMITED: …'}]}`
 * (the same shape as every other tool error, so a model reads when to retry); any other request
 * gets a JSON-RPC error with code {@link JSONRPC_RATE_LIMITED} and `data: {code, retryAfterSeconds}`.
 * A POST of notifications only gets a plain 429. Every variant carries `Retry-After` and the
 * `RateLimit-*` headers; JSON-RPC answers use HTTP 200, as MCP clients expect.
 */
export async function mcpRateLimitedResponse(
  request: Request,
  result: LimitResult,
): Promise<Response> {
  const headers = { ...rateLimitHeaders(result), 'Content-Type': 'application/json' }
  const message = rateLimitedMessage(result)
  // Security: the original request's body stays unread for the route; a clone is parsed.
  const body: unknown = await request
    .clone()
    .json()
    .catch(() => undefined)
  const messages = Array.isArray(body) ? body : [body]
  const answers = messages.flatMap((m): object[] => {
    const msg = (m ?? {}) as { id?: unknown; method?: unknown }
    if (msg.id === undefined || msg.id === null || typeof msg.method !== 'string') return []
    if (msg.method === 'tools/call') {
      return [
        {
          jsonrpc: '2.0',
          id: msg.id,
          result: { isError: true, content: [{ type: 'text', text: `RATE_LIMITED: ${message}` }] },
        },
      ]
    }
    return [
      {
        jsonrpc: '2.0',
        id: msg.id,
        error: {
          code: JSONRPC_RATE_LIMITED,
          message: `RATE_LIMITED: ${message}`,
          data: { code: 'RATE_LIMITED', retryAfterSeconds: result.retryAfterSeconds },
        },
      },
    ]
  })
  if (answers.length === 0) {
    const error = { code: 'RATE_LIMITED', message }
    return new Response(JSON.stringify({ error }), { status: 429, headers })
  }
  const payload = Array.isArray(body) ? answers : answers[0]
  return new Response(JSON.stringify(payload), { status: 200, headers })
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
