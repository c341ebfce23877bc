/**
 * @module mcp/secret-entry: how request_secret's link reaches the person. A client that can open
 * a URL for its user (URL-mode elicitation) gets it that way, so the link need not pass through
 * the model: a 2026-07-28 client as an `input_required` result whose retry returns the outcome,
 * a 2025 client over stdio as a real `elicitation/create` (the SDK sends it from the same
 * result). Any other client gets the link in the tool result (the operation's own output).
 */
import {
  ProtocolError,
  ProtocolErrorCode,
  inputRequired,
  inputResponse,
  type InputRequiredResult,
  type McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server'
import { checkSecretRequest, type Operation } from '../core/operations.js'
import type { SecretEntryLinks } from '../core/ports.js'
import {
  STATE_REFUSED,
  argsDigest,
  auditRefusal,
  declaredElicitation,
  type Consent,
  type ConsentState,
} from './secret-values.js'
import type { McpSession } from './server.js'

type Out = Record<string, unknown>

/** The key of the URL elicitation in `inputRequests`. */
const ENTRY_KEY = 'secret_entry'
/** How long the retried call waits for the person to submit before it answers `pending`. */
export const ENTRY_WAIT_MS = 20_000
const POLL_MS = 250

/** Whether the client said, for this request, that it can open a URL for its user. */
function canOpenUrl(server: McpServer, session: McpSession, ctx: ServerContext): boolean {
  // A 2025 client over stateless HTTP cannot be sent a request of the server's own.
  if (session.era === 'legacy' && session.transport === 'http') return false
  return declaredElicitation(server, session, ctx)?.url !== undefined
}

export interface EntryCall {
  server: McpServer
  session: McpSession
  ctx: ServerContext
  consent: Consent
  entry: SecretEntryLinks | undefined
  op: Operation
  args: Out
  /** Runs an operation through the runner (validation, scope, audit). */
  run(op: Operation, args: Out): Promise<Out>
}

/**
 * request_secret for a client that can open a URL: the first call makes the link and answers
 * `input_required` with it and a signed, single-use `requestState`; the retry waits (at most
 * {@link ENTRY_WAIT_MS}) for the person and answers how the request stands. A user who declines
 * ends the request, and the link with it. Undefined when the client cannot open a URL.
 * @throws ProtocolError -32602 for a state that belongs to another request (audited).
 */
export async function requestSecretByUrl(
  call: EntryCall,
): Promise<Out | InputRequiredResult | undefined> {
  const { server, session, ctx, op, args, entry } = call
  if (!entry || !canOpenUrl(server, session, ctx)) return undefined
  const digest = argsDigest(args)
  const { agent } = session.principal
  const state = ctx.mcpReq.requestState<ConsentState>()
  if (state !== undefined) {
    if (state.tool !== op.name || state.args !== digest || state.request === undefined) {
      auditRefusal(call.consent, session, 'request', ctx, op.name)
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, STATE_REFUSED)
    }
    const id = state.request
    const answer = inputResponse(ctx.mcpReq.inputResponses, ENTRY_KEY)
    if (answer.kind === 'elicit' && answer.action !== 'accept') {
      await entry.decline(id, agent)
    } else {
      await waitForPerson(entry, id, agent, ctx.mcpReq.signal)
    }
    return call.run(checkSecretRequest, { request_id: id })
  }
  const out = await call.run(op, args)
  const id = String(out.request_id)
  const fields = (out.fields as string[]).join(', ')
  return inputRequired({
    inputRequests: {
      [ENTRY_KEY]: inputRequired.elicitUrl({
        message:
          `Agent "${agent}" asks you to type the secret ${JSON.stringify(out.path)} ` +
          `(fields: ${fields}) into a one-time page of the bridge. The AI model never sees it.`,
        url: String(out.url),
      }),
    },
    requestState: call.consent.tokens.issue(agent, { tool: op.name, args: digest, request: id }),
  })
}

/** Waits until the request is no longer pending, the wait is over, or the call is cancelled. */
async function waitForPerson(
  entry: SecretEntryLinks,
  id: string,
  agent: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const until = Date.now() + ENTRY_WAIT_MS
  while (Date.now() < until && !signal?.aborted) {
    const s = await entry.state(id, agent).catch(() => undefined)
    if (!s || s.status !== 'pending' || s.expiresAt <= Date.now()) return
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}
