/**
 * @module mcp/operation-tools: every operation as an MCP tool, listed only when the caller's
 * scopes allow it, with results as structured content and failures as `CODE: message` tool errors.
 */
import { randomUUID } from 'node:crypto'
import {
  ProtocolError,
  ProtocolErrorCode,
  type CallToolResult,
  type McpServer,
  type ServerContext,
  type Tool,
} from '@modelcontextprotocol/server'
import { z } from 'zod'
import { AppError, asAppError } from '../core/errors.js'
import { OPERATIONS, isAllowed, type AnyOperation, type Operation } from '../core/operations.js'
import { REDACTED, serializeError } from '../observability/logger.js'
import type { McpServerDeps, McpSession } from './server.js'

/** What a model sees of secret values (`MCP_SECRET_VALUES`). */
export type SecretValuesMode = 'reveal' | 'redact' | 'elicit'

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

// MCP takes JSON Schema 2020-12 as the default dialect, so `$schema` is left out.
const jsonSchema = (schema: z.ZodObject, io: 'input' | 'output'): Tool['inputSchema'] => {
  const generated: Record<string, unknown> = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  })
  const { $schema: _dialect, '~standard': _standard, ...rest } = generated
  return { ...rest, type: 'object' }
}

// Every request builds a server; the definitions are built once, in catalogue order.
const DEFINITIONS = new Map<string, Tool>(OPERATIONS.map((op) => [op.name, toolDefinition(op)]))
const BY_NAME = new Map<string, AnyOperation>(OPERATIONS.map((op) => [op.name, op]))

/** The tool definitions a principal with these scopes may see, in catalogue order. */
export const toolsFor = (scopes: McpSession['principal']['scopes']): Tool[] =>
  OPERATIONS.filter((op) => isAllowed(op, scopes)).map((op) => DEFINITIONS.get(op.name)!)

/** The operation behind a tool name, if any. */
export const operationNamed = (name: string): AnyOperation | undefined => BY_NAME.get(name)

/**
 * Serves `tools/list` and `tools/call` for every operation on `server`.
 *
 * Why not `McpServer.registerTool`: the SDK would convert every schema on every `tools/list` and
 * validate arguments itself, rendering failures (and calls to unregistered tools) as free text
 * without our stable codes. Here the definitions are built once, and the runner validates, so a
 * bad argument is `INVALID_INPUT: ...` and a tool outside the caller's scopes is
 * `FORBIDDEN: ...`, both as tool errors, and both reach the audit trail.
 *
 * Tool calls never throw, except for a tool name that is no operation at all, which is the
 * protocol error (-32602) the spec asks for.
 */
export function registerOperationTools(
  server: McpServer,
  deps: McpServerDeps,
  session: McpSession,
): void {
  const low = server.server
  const tools = toolsFor(session.principal.scopes)
  low.registerCapabilities({ tools: { listChanged: false } })
  low.setRequestHandler('tools/list', () => ({ tools }))
  low.setRequestHandler('tools/call', async (request, ctx) => {
    const op = BY_NAME.get(request.params.name)
    if (!op) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `Unknown tool "${request.params.name.slice(0, 64)}". tools/list shows the tools you can call.`,
      )
    }
    return callTool(server, deps, session, op, request.params.arguments ?? {}, ctx)
  })
}

async function callTool(
  server: McpServer,
  deps: McpServerDeps,
  session: McpSession,
  op: AnyOperation,
  args: Record<string, unknown>,
  ctx: ServerContext,
): Promise<CallToolResult> {
  const requestId = session.requestId ?? randomUUID()
  const { principal } = session
  try {
    const guard = secretGuards[op.name]
    const mayReveal = guard !== undefined && guard.mayReveal(args)
    // Security: in elicit mode a connection that cannot ask the user is refused before Vault is
    // read, so no value is fetched that could not be shown. The scope check comes first (through
    // the runner) so that a caller without the scope still gets the scope refusal, audited.
    if (
      mayReveal &&
      deps.secretValues === 'elicit' &&
      isAllowed(op, principal.scopes) &&
      !canElicit(server, session)
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
    let out = (await deps.runner.run(op, { principal, requestId }, args)) as Record<string, unknown>
    // Decided on what came back, not on the arguments, so nothing unexpected slips through.
    if (guard?.reveals(out) && deps.secretValues !== 'reveal') {
      out =
        deps.secretValues === 'redact'
          ? guard.redact(out)
          : await askUser(deps, session, guard.describe(principal.agent, out), ctx, out)
    }
    return { content: [{ type: 'text', text: JSON.stringify(out) }], structuredContent: out }
  } catch (err) {
    const e = asAppError(err)
    if (e.code === 'INTERNAL') {
      ;(session.log ?? deps.log)?.error(
        { err: serializeError(e.cause ?? e), operation: op.name, requestId },
        'mcp tool failed',
      )
    }
    return { isError: true, content: [{ type: 'text', text: `${e.code}: ${e.message}` }] }
  }
}

// Only a 2025 connection over stdio can carry the server's own request (elicitation/create)
// during a tool call; stateless HTTP cannot receive the answer.
const canElicit = (server: McpServer, session: McpSession): boolean =>
  session.era === 'legacy' &&
  session.transport === 'stdio' &&
  server.server.getClientCapabilities()?.elicitation?.form !== undefined

/**
 * A yes/no question: accepting the (empty) form is the consent. One shared object, so that the
 * shared schema validator compiles it once.
 */
const CONSENT_SCHEMA = { type: 'object' as const, properties: {} }

/** Users get this long to answer the consent question before the call is refused. */
const ELICIT_TIMEOUT_MS = 5 * 60_000

async function askUser(
  deps: McpServerDeps,
  session: McpSession,
  message: string,
  ctx: ServerContext,
  out: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const answer = await ctx.mcpReq
    .elicitInput(
      { mode: 'form', message, requestedSchema: CONSENT_SCHEMA },
      { signal: ctx.mcpReq.signal, timeout: ELICIT_TIMEOUT_MS, relatedRequestId: ctx.mcpReq.id },
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
    ;(session.log ?? deps.log)?.info(
      { agent: session.principal.agent, action: answer.action },
      'secret reveal refused',
    )
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
