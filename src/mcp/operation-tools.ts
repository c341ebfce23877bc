/**
 * @module mcp/operation-tools: every operation as an MCP tool, listed only when the caller's
 * scopes allow it, with results as structured content and failures as `CODE: message` tool errors.
 */
import { randomUUID } from 'node:crypto'
import {
  ProtocolError,
  ProtocolErrorCode,
  type CallToolResult,
  type InputRequiredResult,
  type McpServer,
  type ServerContext,
  type Tool,
} from '@modelcontextprotocol/server'
import { z } from 'zod'
import { AppError, asAppError } from '../core/errors.js'
import {
  OPERATIONS,
  isAllowed,
  requestSecret,
  type AnyOperation,
  type Operation,
} from '../core/operations.js'
import { serializeError } from '../observability/logger.js'
import { requestSecretByUrl } from './secret-entry.js'
import { revealWithConsent, secretGuardOf } from './secret-values.js'
import type { McpServerDeps, McpSession } from './server.js'

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
    override: ({ jsonSchema: node }) => tidy(node as Record<string, unknown>),
  })
  const { $schema: _dialect, '~standard': _standard, ...rest } = generated
  return { ...rest, type: 'object' }
}

/**
 * Leaves out what zod writes that says nothing to a model and that strict schema linters flag:
 * the JavaScript safe-integer bounds on every integer, and `additionalProperties: {}` with
 * `propertyNames: {type: "string"}` on free-form objects (any JSON object already is one). An
 * enum of whole numbers is an integer.
 */
function tidy(node: Record<string, unknown>): void {
  if (node.type === 'number' && Array.isArray(node.enum) && node.enum.every(Number.isInteger)) {
    node.type = 'integer'
  }
  if (node.maximum === Number.MAX_SAFE_INTEGER) delete node.maximum
  if (node.minimum === Number.MIN_SAFE_INTEGER) delete node.minimum
  const extra = node.additionalProperties
  if (extra !== null && typeof extra === 'object' && Object.keys(extra).length === 0) {
    delete node.additionalProperties
  }
  const names = node.propertyNames as Record<string, unknown> | undefined
  if (names?.type === 'string' && Object.keys(names).length === 1) delete node.propertyNames
}

// Every request builds a server; the definitions are built once, in catalogue order.
const DEFINITIONS = new Map<string, Tool>(OPERATIONS.map((op) => [op.name, toolDefinition(op)]))
const BY_NAME = new Map<string, AnyOperation>(OPERATIONS.map((op) => [op.name, op]))

/**
 * The tool definitions a principal with these scopes may see, in catalogue order: the
 * operations the bridge offers (`offers`, OPERATIONS and READ_ONLY) that the scopes allow.
 */
export const toolsFor = (
  scopes: McpSession['principal']['scopes'],
  offers: (op: Operation) => boolean = () => true,
): Tool[] =>
  OPERATIONS.filter((op) => offers(op) && isAllowed(op, scopes)).map((op) =>
    DEFINITIONS.get(op.name)!,
  )

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
  const tools = toolsFor(session.principal.scopes, (op) => deps.runner.offers(op))
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
    return callTool(deps, session, op, request.params.arguments ?? {}, { server, ctx })
  })
}

/**
 * Whether calling `op` with `args` asks the user first (MCP_SECRET_VALUES=elicit and arguments
 * that may reveal secret values). The scope check comes first (through the runner), so that a
 * caller without the scope gets the scope refusal, audited, and is never asked anything.
 */
export const needsConsent = (
  deps: Pick<McpServerDeps, 'secretValues'>,
  session: Pick<McpSession, 'principal'>,
  op: AnyOperation,
  args: Record<string, unknown>,
): boolean =>
  deps.secretValues === 'elicit' &&
  secretGuardOf(op)?.mayReveal(args) === true &&
  isAllowed(op, session.principal.scopes)

/**
 * Whether the call asks the client something through the SDK server (a consent question, or
 * request_secret's link for the user), and so needs a {@link ConsentRound}.
 */
export const needsSdkRound = (
  deps: Pick<McpServerDeps, 'secretValues'>,
  session: Pick<McpSession, 'principal'>,
  op: AnyOperation,
  args: Record<string, unknown>,
): boolean =>
  (op.name === requestSecret.name && isAllowed(op, session.principal.scopes)) ||
  needsConsent(deps, session, op, args)

/** The SDK server and request context a question to the client is asked through. */
export interface ConsentRound {
  server: McpServer
  ctx: ServerContext
}

const roundOf = (round: ConsentRound | undefined): ConsentRound => {
  if (!round) throw new Error('mcp: a tool call that asks the client reached no SDK server')
  return round
}

/**
 * Runs one tool call for the session's principal: the runner (scopes, validation, audit), the
 * secret-values policy, and the result as structured content, or a `CODE: message` tool error.
 * `round` is needed only when {@link needsSdkRound}; a call that needs one without it is a
 * wiring bug and fails as INTERNAL.
 */
export async function callTool(
  deps: McpServerDeps,
  session: McpSession,
  op: AnyOperation,
  args: Record<string, unknown>,
  round?: ConsentRound,
): Promise<CallToolResult | InputRequiredResult> {
  const requestId = session.requestId ?? randomUUID()
  const { principal } = session
  const { rateBudget } = session
  const callContext = {
    principal,
    requestId,
    ...(rateBudget ? { rateBudget } : {}),
    ...(session.origin ? { origin: session.origin } : {}),
  }
  const runOp = async (which: Operation, input: Record<string, unknown>) =>
    (await deps.runner.run(which, callContext, input)) as Record<string, unknown>
  const run = (input: Record<string, unknown>) => runOp(op, input)
  try {
    if (op.name === requestSecret.name && isAllowed(op, principal.scopes)) {
      const { server, ctx } = roundOf(round)
      const entryCall = { server, session, ctx, consent: deps.consent, entry: deps.entry }
      const answer = await requestSecretByUrl({ ...entryCall, op, args, run: runOp })
      if (answer !== undefined) return isInputRequired(answer) ? answer : toolResult(answer)
    }
    const guard = secretGuardOf(op)
    let out: Record<string, unknown>
    // Security: in wrap mode a call that could return values asks Vault for a wrapping token
    // instead, or, where Vault holds nothing to wrap, is refused before Vault is called.
    if (guard?.mayReveal(args) && deps.secretValues === 'wrap' && isAllowed(op, principal.scopes)) {
      if (!guard.wrap) throw wrapOnly(deps, session, requestId, op.name, 'no_wrap')
      args = guard.wrap(args, deps.wrapTtlSeconds ?? DEFAULT_WRAP_TTL_SECONDS)
    }
    if (guard && needsConsent(deps, session, op, args)) {
      const { server, ctx } = roundOf(round)
      const consent = { server, session, ctx, consent: deps.consent, op, guard, args, run }
      const answer = await revealWithConsent(consent)
      if (isInputRequired(answer)) return answer
      out = answer
    } else {
      // The runner validates the output against the operation's output schema, which is what
      // the client validates structuredContent against.
      out = await run(args)
    }
    // Decided on what came back, not on the arguments, so nothing unexpected slips through:
    // in elicit mode a value nobody was asked about is refused.
    if (guard?.reveals(out) && deps.secretValues === 'redact') out = guard.redact(out)
    else if (guard?.reveals(out) && deps.secretValues === 'elicit' && !guard.mayReveal(args)) {
      throw new AppError('FORBIDDEN', 'This result holds secret values nobody agreed to show.')
    } else if (guard?.reveals(out) && deps.secretValues === 'wrap') {
      throw wrapOnly(deps, session, requestId, op.name, 'unwrapped_result')
    }
    return toolResult(out)
  } catch (err) {
    if (err instanceof ProtocolError) throw err
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

/** The wrap TTL of wrap-mode reads when neither the call nor MCP_WRAP_TTL names one. */
const DEFAULT_WRAP_TTL_SECONDS = 300

/**
 * The refusal of wrap mode, on the audit trail (`secret_values_refused`): `no_wrap` when the
 * operation has nothing Vault could wrap, `unwrapped_result` when a result held values anyway.
 */
function wrapOnly(
  deps: McpServerDeps,
  session: McpSession,
  requestId: string,
  name: string,
  reason: 'no_wrap' | 'unwrapped_result',
): AppError {
  deps.consent.audit.securityEvent({
    time: new Date().toISOString(),
    requestId,
    agent: session.principal.agent,
    method: session.principal.method,
    event: 'secret_values_refused',
    reason,
    operation: name,
  })
  return new AppError(
    'FORBIDDEN',
    `This bridge never shows secret values to the model (MCP_SECRET_VALUES=wrap), and ${name} ` +
      'would. read_secret returns a Vault wrapping token instead, which a program unwraps at ' +
      'Vault; use it, or a client outside MCP.',
  )
}

/**
 * A successful tool result. Security: `content` and `structuredContent` are the same object
 * (clients read one or the other), so whatever was masked is masked in both.
 */
const toolResult = (out: Record<string, unknown>): CallToolResult => ({
  content: [{ type: 'text', text: JSON.stringify(out) }],
  structuredContent: out,
})

const isInputRequired = (v: object): v is InputRequiredResult =>
  (v as { resultType?: unknown }).resultType === 'input_required'
