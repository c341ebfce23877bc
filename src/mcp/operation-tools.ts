/**
 * @module mcp/operation-tools: every operation as an MCP tool, listed only when the caller's
 * scopes allow it, with results as structured content and failures as `CODE: message` tool errors.
 */
import { randomUUID } from 'node:crypto'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js'
import {
  CallToolRequestSchema,
  ErrorCode as RpcErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { AppError, asAppError } from '../core/errors.js'
import type { Principal } from '../core/identity.js'
import {
  OPERATIONS,
  isAllowed,
  type AnyOperation,
  type Operation,
  type OperationRunner,
} from '../core/operations.js'
import { REDACTED, serializeError, type Logger } from '../observability/logger.js'

/** What a model sees of secret values (`MCP_SECRET_VALUES`). */
export type SecretValuesMode = 'reveal' | 'redact' | 'elicit'

export interface OperationToolsDeps {
  runner: OperationRunner
  principal: Principal
  /** The id tying audit and logs together; when absent (stdio) each tool call gets a new one. */
  requestId?: string
  secretValues: SecretValuesMode
  /**
   * Whether this connection can carry a request from the server to the client during a tool
   * call. Stateless Streamable HTTP cannot: the client's answer would reach another server.
   */
  serverRequests: boolean
  log?: Logger
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>

/** The MCP tool definition of an operation: schemas from its zod schemas, honest annotations. */
export function toolDefinition(op: Operation): Tool {
  return {
    name: op.name,
    title: op.title,
    description: op.summary,
    inputSchema: jsonSchema(op.input, 'input'),
    outputSchema: jsonSchema(op.output, 'output'),
    annotations: {
      title: op.title,
      readOnlyHint: op.hints.readOnly,
      destructiveHint: op.hints.destructive,
      idempotentHint: op.hints.idempotent,
      // Every operation stays inside this bridge's own Vault namespace.
      openWorldHint: false,
    },
  }
}

// MCP 2025-11-25 takes JSON Schema 2020-12 as the default dialect, so `$schema` is left out.
const jsonSchema = (schema: z.ZodObject, io: 'input' | 'output'): Tool['inputSchema'] => {
  const generated: Record<string, unknown> = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  })
  const { $schema: _dialect, '~standard': _standard, ...rest } = generated
  return { ...rest, type: 'object' }
}

// Over stateless HTTP every request builds a server; the definitions are built once.
const DEFINITIONS = new Map<string, Tool>(OPERATIONS.map((op) => [op.name, toolDefinition(op)]))

/** The tool definitions a principal with these scopes may see, in catalogue order. */
export const toolsFor = (principal: Principal): Tool[] =>
  OPERATIONS.filter((op) => isAllowed(op, principal.scopes)).map((op) => DEFINITIONS.get(op.name)!)

/**
 * Serves `tools/list` and `tools/call` for every operation on `server`.
 *
 * Why not `McpServer.registerTool`: the SDK validates arguments itself and renders failures
 * (and calls to unregistered tools) as free text without our stable codes. Here the runner
 * validates, so a bad argument is `INVALID_INPUT: ...` and a tool outside the caller's scopes
 * is `FORBIDDEN: ...`, both as tool errors, and both reach the audit trail.
 *
 * Tool calls never throw, except for a tool name that is no operation at all, which is the
 * protocol error (-32602) the spec asks for.
 */
export function registerOperationTools(server: McpServer, deps: OperationToolsDeps): void {
  const byName = new Map<string, AnyOperation>(OPERATIONS.map((op) => [op.name, op]))
  const low = server.server
  low.registerCapabilities({ tools: { listChanged: false } })
  low.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolsFor(deps.principal) }))
  low.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const op = byName.get(request.params.name)
    if (!op) {
      throw new McpError(
        RpcErrorCode.InvalidParams,
        `Unknown tool "${request.params.name.slice(0, 64)}". tools/list shows the tools you can call.`,
      )
    }
    return callTool(server, deps, op, request.params.arguments ?? {}, extra)
  })
}

async function callTool(
  server: McpServer,
  deps: OperationToolsDeps,
  op: AnyOperation,
  args: Record<string, unknown>,
  extra: Extra,
): Promise<CallToolResult> {
  const requestId = deps.requestId ?? randomUUID()
  try {
    const guard = secretGuards[op.name]
    const mayReveal = guard !== undefined && guard.mayReveal(args)
    // Security: in elicit mode a connection that cannot ask the user is refused before Vault is
    // read, so no value is fetched that could not be shown. The scope check comes first (through
    // the runner) so that a caller without the scope still gets the scope refusal, audited.
    if (
      mayReveal &&
      deps.secretValues === 'elicit' &&
      isAllowed(op, deps.principal.scopes) &&
      !canElicit(server, deps)
    ) {
      throw new AppError(
        'FORBIDDEN',
        'This bridge asks the user before secret values reach the model (MCP_SECRET_VALUES=' +
          'elicit), and this connection cannot ask: the client does not support form ' +
          'elicitation, or it uses stateless HTTP, which cannot send requests to the client. ' +
          'Use read_secret_metadata for versions and list_secrets for paths, or connect over ' +
          'stdio with a client that supports elicitation.',
      )
    }
    // The runner validates the output against the operation's output schema, which is what
    // the client validates structuredContent against.
    let out = (await deps.runner.run(op, { principal: deps.principal, requestId }, args)) as Record<
      string,
      unknown
    >
    // Decided on what came back, not on the arguments, so nothing unexpected slips through.
    if (guard?.reveals(out) && deps.secretValues !== 'reveal') {
      out =
        deps.secretValues === 'redact'
          ? guard.redact(out)
          : await askUser(server, deps, guard.describe(deps.principal.agent, out), extra, out)
    }
    return { content: [{ type: 'text', text: JSON.stringify(out) }], structuredContent: out }
  } catch (err) {
    const e = asAppError(err)
    if (e.code === 'INTERNAL') {
      deps.log?.error(
        { err: serializeError(e.cause ?? e), operation: op.name, requestId },
        'mcp tool failed',
      )
    }
    return { isError: true, content: [{ type: 'text', text: `${e.code}: ${e.message}` }] }
  }
}

const canElicit = (server: McpServer, deps: OperationToolsDeps): boolean =>
  deps.serverRequests && server.server.getClientCapabilities()?.elicitation?.form !== undefined

/**
 * A yes/no question: accepting the (empty) form is the consent. One shared object, so that the
 * shared schema validator compiles it once.
 */
const CONSENT_SCHEMA = { type: 'object' as const, properties: {} }

/** Users get this long to answer the consent question before the call is refused. */
const ELICIT_TIMEOUT_MS = 5 * 60_000

async function askUser(
  server: McpServer,
  deps: OperationToolsDeps,
  message: string,
  extra: Extra,
  out: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const answer = await server.server
    .elicitInput(
      { mode: 'form', message, requestedSchema: CONSENT_SCHEMA },
      { signal: extra.signal, timeout: ELICIT_TIMEOUT_MS, relatedRequestId: extra.requestId },
    )
    .catch((err: unknown) => {
      throw new AppError(
        'FORBIDDEN',
        "Could not get the user's consent to show secret values (no answer in time, or the " +
          'client failed to ask). Try again, or use read_secret_metadata for versions only.',
        { cause: err },
      )
    })
  if (answer.action !== 'accept') {
    deps.log?.info({ agent: deps.principal.agent, action: answer.action }, 'secret reveal refused')
    throw new AppError(
      'FORBIDDEN',
      'The user did not allow these secret values to be shown to the model. Ask the user ' +
        'before trying again.',
    )
  }
  return out
}

/** Operations whose results can carry secret values, and how each is masked or described. */
interface SecretGuard {
  /** Whether a call with these (unvalidated) arguments can return a secret value. */
  mayReveal(args: Record<string, unknown>): boolean
  /** Whether this result holds a secret value. */
  reveals(out: Record<string, unknown>): boolean
  redact(out: Record<string, unknown>): Record<string, unknown>
  /** The consent question: names and versions only, never a value. */
  describe(agent: string, out: Record<string, unknown>): string
}

const maskAll = (data: unknown): Record<string, string> =>
  Object.fromEntries(Object.keys(asRecord(data)).map((k) => [k, REDACTED]))

const asRecord = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {}

const quote = (v: unknown) => JSON.stringify(String(v).slice(0, 200))

const secretGuards: Partial<Record<AnyOperation['name'], SecretGuard>> = {
  read_secret: {
    mayReveal: () => true,
    reveals: () => true,
    redact: (out) => ({ ...out, data: maskAll(out.data) }),
    describe: (agent, out) => {
      const fields = Object.keys(asRecord(out.data)).slice(0, 20)
      const version = asRecord(out.metadata).version
      return (
        `Agent ${quote(agent)} wants to show the values of secret ${quote(out.path)} ` +
        `(version ${String(version)}; fields: ${fields.join(', ')}) to the AI model. Allow?`
      )
    },
  },
  decrypt: {
    mayReveal: () => true,
    reveals: () => true,
    redact: (out) => ({
      ...out,
      ...(out.plaintext === undefined ? {} : { plaintext: REDACTED }),
      ...(Array.isArray(out.batch)
        ? {
            batch: out.batch.map((item: unknown) =>
              asRecord(item).plaintext === undefined ? item : { plaintext: REDACTED },
            ),
          }
        : {}),
    }),
    describe: (agent, out) =>
      `Agent ${quote(agent)} wants to show data decrypted with its key ${quote(out.key)} ` +
      'to the AI model. Allow?',
  },
  generate_data_key: {
    mayReveal: (args) => args.type === 'plaintext',
    reveals: (out) => out.plaintext !== undefined,
    redact: (out) => (out.plaintext === undefined ? out : { ...out, plaintext: REDACTED }),
    describe: (agent, out) =>
      `Agent ${quote(agent)} wants to show a new plaintext data key (wrapped by its key ` +
      `${quote(out.key)}) to the AI model. Allow?`,
  },
}
