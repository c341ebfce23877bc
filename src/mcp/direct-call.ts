/**
 * @module mcp/direct-call: the hot path of `/mcp`. A plain `tools/call` is answered by the same
 * tool handler the SDK server runs ({@link callTool}), without building an SDK server, a
 * transport and a JSON-RPC dispatch around it for one message. Those cost more than the rest of
 * the request together (the profile in docs/performance.md: an MCP tool call took 2.5 times the
 * bridge CPU of the same REST call, and the SDK's per-request machinery was the difference).
 *
 * "Plain" is narrow on purpose, and everything else goes to the SDK unchanged, which then answers
 * (or refuses) it exactly as before: the message is one the SDK's classifier routes as a 2025
 * request without `_meta`, or as a 2026-07-28 request whose `_meta` holds only the envelope's
 * three keys and whose standard headers name exactly this revision, method and tool;
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
const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params'])
const PARAM_KEYS = new Set(['name', 'arguments', '_meta'])
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
  if (!isPlainObject(body) || body.jsonrpc !== '2.0' || body.method !== 'tools/call') {
    return undefined
  }
  // A JSON-RPC request and nothing else (a `result` or `error` beside it is the SDK's to judge).
  if (!Object.keys(body).every((key) => REQUEST_KEYS.has(key))) return undefined
  const { id, params } = body
  if (typeof id !== 'string' && !Number.isSafeInteger(id)) return undefined
  if (!isPlainObject(params) || !Object.keys(params).every((key) => PARAM_KEYS.has(key))) {
    return undefined
  }
  const args = params.arguments ?? {}
  if (typeof params.name !== 'string' || !isPlainObject(args)) return undefined
  const op = operationNamed(params.name)
  if (!op) return undefined
  const era = eraOf(params, headers)
  return era && { era, id: id as string | number, op, args }
}

/**
 * The era the SDK's classifier (`classifyInboundRequest`) gives the message, when it is one the
 * hot path serves; checked here without running the classifier's zod parses on every call.
 *
 * - 2025: the classifier routes a JSON-RPC request as legacy (`no-claim`) when its params carry no
 *   envelope claim and no MCP-Protocol-Version header names a 2026 revision (that one it
 *   refuses). Here: no `_meta` at all, and a header that is absent or sorts before 2026-07-28, as
 *   the SDK compares them.
 * - 2026-07-28: the headers are checked here (exactly this revision, method and tool); whether
 *   the classifier accepts the `_meta` envelope is asked of the classifier itself, once per
 *   distinct envelope (see {@link envelopeVerdicts}).
 */
function eraOf(params: Record<string, unknown>, headers: StandardHeaders): ProtocolEra | undefined {
  const version = headers.protocolVersion?.trim()
  const meta = params._meta
  if (meta === undefined) {
    return version === undefined || version < MODERN_REVISION ? 'legacy' : undefined
  }
  if (
    version !== MODERN_REVISION ||
    headers.method?.trim() !== 'tools/call' ||
    headers.name?.trim() !== params.name ||
    !isPlainObject(meta) ||
    Object.keys(meta).some((k) => !ENVELOPE_KEYS.has(k))
  ) {
    return undefined
  }
  return envelopeVerdicts.accepts(meta) ? 'modern' : undefined
}

/** Whether the SDK's classifier serves a 2026-07-28 `tools/call` carrying a `_meta` envelope. */
export interface EnvelopeVerdicts {
  accepts(meta: Record<string, unknown>): boolean
  readonly size: number
}

/**
 * Remembers the classifier's verdict on at most `maxEntries` distinct envelopes (the oldest is
 * dropped first). A client sends the same envelope (its version, capabilities and name) on every
 * call, so this asks the classifier once per client kind, not once per call.
 *
 * The key is the envelope's JSON text: equal text is an equal envelope, so the verdict is the
 * classifier's own; the verdict depends on nothing else (the id, the method and the tool name
 * are fixed or checked by the caller). A verdict says nothing about who sent it.
 */
export function createEnvelopeVerdicts(maxEntries: number): EnvelopeVerdicts {
  const verdicts = new Map<string, boolean>()
  return {
    accepts(meta) {
      const key = JSON.stringify(meta)
      let verdict = verdicts.get(key)
      if (verdict === undefined) {
        const route = classifyInboundRequest({
          httpMethod: 'POST',
          protocolVersionHeader: MODERN_REVISION,
          mcpMethodHeader: 'tools/call',
          body: { jsonrpc: '2.0', id: 0, method: 'tools/call', params: { name: 't', _meta: meta } },
        })
        verdict =
          route.kind === 'modern' &&
          route.messageKind === 'request' &&
          route.classification.revision === MODERN_REVISION
        if (verdicts.size >= maxEntries) verdicts.delete(verdicts.keys().next().value!)
        verdicts.set(key, verdict)
      }
      return verdict
    },
    get size() {
      return verdicts.size
    },
  }
}

const envelopeVerdicts = createEnvelopeVerdicts(256)

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
