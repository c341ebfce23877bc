/**
 * @module mcp/direct-call: the hot path of `/mcp`. A plain `tools/call` is answered by the same
 * tool handler the SDK server runs ({@link callTool}), without building an SDK server, a
 * transport and a JSON-RPC dispatch around it for one message. Those cost more than the rest of
 * the request together (the profile in docs/performance.md: an MCP tool call took 2.5 times the
 * bridge CPU of the same REST call, and the SDK's per-request machinery was the difference).
 *
 * "Plain" is narrow on purpose, and everything else goes to the SDK unchanged, which then answers
 * (or refuses) it exactly as before: the SDK's own classifier must route the message as a
 * 2025 request without `_meta`, or as a 2026-07-28 request whose `_meta` holds only the
 * envelope's three keys and whose standard headers name exactly this revision, method and tool;
 * `params` holds only `name` and `arguments`; the tool exists (an unknown name is the SDK's
 * -32602); the arguments are an object; and the call needs no consent question (those need the
 * SDK's elicitation and requestState machinery). A consent answer (`requestState`,
 * `inputResponses`), a progress token, a task or any other key is therefore never handled here.
 *
 * The caller has done what the SDK transports do first: Content-Type, Accept, the transport
 * guard, authentication and the scope refusal (src/mcp/http-route.ts). The answer is what the
 * SDK encodes for the same result: the JSON-RPC envelope, and for 2026-07-28 `resultType:
 * "complete"` and the server's identity in `_meta` (test/integration/mcp-direct-call.test.ts
 * compares both paths on the same calls).
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  SERVER_INFO_META_KEY,
  classifyInboundRequest,
  type CallToolResult,
  type InputRequiredResult,
} from '@modelcontextprotocol/server'
import type { AnyOperation } from '../core/operations.js'
import { operationNamed } from './operation-tools.js'
import type { ProtocolEra } from './server.js'

/** The one 2026 revision whose result encoding this module reproduces. */
const MODERN_REVISION = '2026-07-28'
const ENVELOPE_KEYS = new Set([
  PROTOCOL_VERSION_META_KEY,
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
])

/** The MCP standard headers of the request, as sent. */
export interface StandardHeaders {
  protocolVersion?: string
  method?: string
  name?: string
}

/** A `tools/call` the hot path may answer. */
export interface PlainToolCall {
  era: ProtocolEra
  id: string | number
  op: AnyOperation
  args: Record<string, unknown>
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * The call when `body` (with `headers`) is a plain `tools/call` as described in the module
 * documentation, else undefined (the SDK serves it).
 */
export function plainToolCall(body: unknown, headers: StandardHeaders): PlainToolCall | undefined {
  if (!isPlainObject(body) || body.method !== 'tools/call') return undefined
  const params = body.params
  if (!isPlainObject(params)) return undefined
  for (const key of Object.keys(params)) {
    if (key !== 'name' && key !== 'arguments' && key !== '_meta') return undefined
  }
  const args = params.arguments ?? {}
  if (typeof params.name !== 'string' || !isPlainObject(args)) return undefined
  const op = operationNamed(params.name)
  if (!op) return undefined
  const era = eraOf(body, params, headers)
  if (!era) return undefined
  const id = body.id
  if (typeof id !== 'string' && typeof id !== 'number') return undefined
  return { era, id, op, args }
}

/** The era the SDK's classifier gives the message, when it is one the hot path serves. */
function eraOf(
  body: Record<string, unknown>,
  params: Record<string, unknown>,
  headers: StandardHeaders,
): ProtocolEra | undefined {
  const route = classifyInboundRequest({
    httpMethod: 'POST',
    body,
    ...(headers.protocolVersion === undefined
      ? {}
      : { protocolVersionHeader: headers.protocolVersion }),
    ...(headers.method === undefined ? {} : { mcpMethodHeader: headers.method }),
    ...(headers.name === undefined ? {} : { mcpNameHeader: headers.name }),
  })
  if (route.kind === 'legacy') {
    return route.reason === 'no-claim' && params._meta === undefined ? 'legacy' : undefined
  }
  if (route.kind !== 'modern' || route.messageKind !== 'request') return undefined
  const meta = params._meta
  if (!isPlainObject(meta) || Object.keys(meta).some((k) => !ENVELOPE_KEYS.has(k))) return undefined
  const standard =
    route.classification.revision === MODERN_REVISION &&
    headers.protocolVersion?.trim() === MODERN_REVISION &&
    headers.method?.trim() === 'tools/call' &&
    headers.name?.trim() === params.name
  return standard ? 'modern' : undefined
}

/** The JSON-RPC response the SDK would send for `result` (see the module documentation). */
export function toolCallResponse(
  call: PlainToolCall,
  result: CallToolResult | InputRequiredResult,
  serverInfo: { name: string; version: string },
): object {
  const encoded =
    call.era === 'modern'
      ? { ...result, resultType: 'complete', _meta: { [SERVER_INFO_META_KEY]: serverInfo } }
      : result
  return { jsonrpc: '2.0', id: call.id, result: encoded }
}
