/**
 * @module mcp/secret-values: what a model sees of secret values (MCP_SECRET_VALUES): all of
 * them, masked, only after the user said yes, or never (Vault wrapping tokens instead). The question is asked the 2026-07-28 way, by an
 * `input_required` result whose signed, single-use `requestState` the retry brings back; the SDK
 * asks 2025 clients over stdio itself (a real `elicitation/create`) from the same result.
 */
import { createHash } from 'node:crypto'
import {
  CLIENT_CAPABILITIES_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  inputRequired,
  inputResponse,
  type ClientCapabilities,
  type InputRequiredResult,
  type McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server'
import { AppError } from '../core/errors.js'
import type { AnyOperation } from '../core/operations.js'
import type { NonceStore, SecurityObserver } from '../core/ports.js'
import { REDACTED } from '../observability/logger.js'
import {
  TokenRefusedError,
  createOneTimeTokens,
  type OneTimeTokens,
} from '../signing/one-time-tokens.js'
import type { McpSession } from './server.js'

/** What a model sees of secret values (`MCP_SECRET_VALUES`). */
export type SecretValuesMode = 'reveal' | 'redact' | 'elicit' | 'wrap'

type Out = Record<string, unknown>
type Args = Record<string, unknown>

/** Operations whose results can carry secret values, and how each is masked or asked about. */
export interface SecretGuard {
  /** Whether a call with these (unvalidated) arguments can return a secret value. */
  mayReveal(args: Args): boolean
  /** Whether this result holds a secret value. */
  reveals(out: Out): boolean
  redact(out: Out): Out
  /**
   * Whether the question needs what Vault holds (a secret's version and field names): the
   * operation then runs once to ask, and once more, pinned to what was asked about, to answer.
   */
  preview: boolean
  /** The consent question: names and versions only, never a value. */
  question(agent: string, args: Args, preview: Out | undefined): string
  /** The arguments of the answering run, pinned to what the user was asked about. */
  pin?(args: Args, pinned: ConsentState): Args
  /**
   * Wrap mode: the arguments of a call that returns a Vault wrapping token instead of the values
   * (`ttlSeconds` unless the call names its own). Operations without it are refused there.
   */
  wrap?(args: Args, ttlSeconds: number): Args
}

const maskAll = (data: unknown): Record<string, string> =>
  Object.fromEntries(Object.keys(asRecord(data)).map((k) => [k, REDACTED]))

const asRecord = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {}

const quote = (v: unknown) => JSON.stringify(String(v).slice(0, 200))

const SECRET_GUARDS: Partial<Record<AnyOperation['name'], SecretGuard>> = {
  read_secret: {
    // A wrapped read (`wrap_ttl`) answers a wrapping token, never a value.
    mayReveal: (args) => args.wrap_ttl === undefined,
    reveals: (out) => out.data !== undefined,
    redact: (out) => ({ ...out, data: maskAll(out.data) }),
    preview: true,
    question: (agent, args, out) => {
      const fields = Object.keys(asRecord(out?.data)).slice(0, 20)
      const version = asRecord(out?.metadata).version
      return (
        `Agent ${quote(agent)} wants to show the values of secret ${quote(args.path)} ` +
        `(version ${String(version)}; fields: ${fields.join(', ')}) to the AI model. Allow?`
      )
    },
    // The user said yes to one version: the answer is that version, even if a newer one was
    // written in between.
    pin: (args, pinned) =>
      pinned.version === undefined ? args : { ...args, version: pinned.version },
    wrap: (args, ttlSeconds) => ({ ...args, wrap_ttl: args.wrap_ttl ?? ttlSeconds }),
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
    preview: false,
    question: (agent, args) =>
      `Agent ${quote(agent)} wants to show data decrypted with its key ${quote(args.key)} ` +
      'to the AI model. Allow?',
  },
  generate_data_key: {
    mayReveal: (args) => args.type === 'plaintext',
    reveals: (out) => out.plaintext !== undefined,
    redact: (out) => (out.plaintext === undefined ? out : { ...out, plaintext: REDACTED }),
    preview: false,
    question: (agent, args) =>
      `Agent ${quote(agent)} wants to show a new plaintext data key (wrapped by its key ` +
      `${quote(args.key)}) to the AI model. Allow?`,
  },
}

/** The guard of an operation whose results can carry secret values, if it is one. */
export const secretGuardOf = (op: AnyOperation): SecretGuard | undefined => SECRET_GUARDS[op.name]

/** What the signed `requestState` of a consent question carries (readable by the client). */
export interface ConsentState {
  /** The tool asked about. */
  tool: string
  /** SHA-256 of the arguments asked about: the retry must be the same request. */
  args: string
  /** The secret version the question named (read_secret). */
  version?: number
  /** The request_secret request whose page the user was sent to. */
  request?: string
}

/** How long a user has to answer, and how long a consent `requestState` stays valid. */
export const CONSENT_TTL_MS = 5 * 60_000

/** The consent flow's signing and single-use machinery, built once by the composition root. */
export interface Consent {
  tokens: OneTimeTokens<ConsentState>
  audit: SecurityObserver
}

export function createConsent(deps: {
  /** The `mcp-request-state` subkey (src/signing/signing-keys.ts). */
  key: Buffer
  nonces: NonceStore
  audit: SecurityObserver
  now?: () => number
}): Consent {
  const tokens = createOneTimeTokens<ConsentState>({
    key: deps.key,
    ttlMs: CONSENT_TTL_MS,
    nonces: deps.nonces,
    now: deps.now,
  })
  return { tokens, audit: deps.audit }
}

/** The consent question's form: accepting the empty form is the yes (nothing is collected). */
const CONSENT_SCHEMA = { type: 'object' as const, properties: {} }
const CONSENT_KEY = 'consent'

// The SDK answers every refused requestState with this one message (its -32602); the bridge's
// own refusals of a state use it too, so a caller cannot tell the reasons apart.
export const STATE_REFUSED = 'Invalid or expired requestState'

/**
 * The SDK's `requestState.verify` hook for one server: a state is honoured once, for the
 * principal it was issued to, before it expires, and only if this bridge signed it. Each refusal
 * is audited with its reason; the SDK answers it with a -32602 error.
 */
export function verifyConsentState(consent: Consent, session: McpSession) {
  return async (state: string, ctx: ServerContext): Promise<ConsentState> => {
    try {
      return await consent.tokens.redeem(state, session.principal.agent)
    } catch (err) {
      const reason = err instanceof TokenRefusedError ? err.reason : 'unavailable'
      auditRefusal(consent, session, reason, ctx)
      throw new Error(reason, { cause: err })
    }
  }
}

/** Security: the audit line names the reason, never anything of the refused state. */
export function auditRefusal(
  consent: Consent,
  session: McpSession,
  reason: string,
  ctx: ServerContext,
  operation?: string,
) {
  const { principal } = session
  consent.audit.securityEvent({
    time: new Date().toISOString(),
    requestId: session.requestId ?? String(ctx.mcpReq.id),
    agent: principal.agent,
    method: principal.method,
    event: 'request_state_refused',
    reason,
    ...(operation === undefined ? {} : { operation }),
  })
}

/**
 * The elicitation capability the client declared for this request: in the request's `_meta`
 * (2026-07-28), or at initialize (2025).
 */
export function declaredElicitation(
  server: McpServer,
  session: McpSession,
  ctx: ServerContext,
): ClientCapabilities['elicitation'] {
  const declared =
    session.era === 'modern'
      ? (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY]
      : server.server.getClientCapabilities()
  return (declared as ClientCapabilities | undefined)?.elicitation
}

/** Whether the client said, for this request, that it can show a form to its user. */
function canAskUser(server: McpServer, session: McpSession, ctx: ServerContext): boolean {
  const elicitation = declaredElicitation(server, session, ctx)
  // An empty elicitation capability is form mode (the spec's backwards-compatible reading).
  return (
    elicitation !== undefined && (elicitation.form !== undefined || elicitation.url === undefined)
  )
}

export interface ConsentCall {
  server: McpServer
  session: McpSession
  ctx: ServerContext
  consent: Consent
  op: AnyOperation
  guard: SecretGuard
  args: Args
  /** Runs the operation through the runner (validation, scope, audit). */
  run(args: Args): Promise<Out>
}

/**
 * Elicit mode: asks the user before a result with secret values reaches the model. The first
 * call answers `input_required` with the question and a signed `requestState`; the retry that
 * carries the user's yes and that state gets the values.
 * @throws FORBIDDEN when the connection cannot ask (a 2025 client over stateless HTTP, a client
 *   without form elicitation) before Vault is read, or when the user said no; ProtocolError
 *   -32602 for a state that belongs to another request (audited).
 */
export async function revealWithConsent(call: ConsentCall): Promise<Out | InputRequiredResult> {
  const { server, session, ctx, guard, op, args } = call
  if (session.era === 'legacy' && session.transport === 'http') {
    throw new AppError(
      'FORBIDDEN',
      'This bridge asks the user before secret values reach the model (MCP_SECRET_VALUES=' +
        'elicit), and a 2025 client over stateless HTTP cannot be asked. Use a client that ' +
        'speaks MCP 2026-07-28, or connect over stdio; read_secret_metadata and list_secrets ' +
        'work without asking.',
    )
  }
  if (!canAskUser(server, session, ctx)) {
    throw new AppError(
      'FORBIDDEN',
      'This bridge asks the user before secret values reach the model (MCP_SECRET_VALUES=' +
        'elicit), and this client does not support form elicitation. Use a client that does; ' +
        'read_secret_metadata and list_secrets work without asking.',
    )
  }
  const digest = argsDigest(args)
  const state = ctx.mcpReq.requestState<ConsentState>()
  if (state !== undefined) {
    if (state.tool !== op.name || state.args !== digest) {
      auditRefusal(call.consent, session, 'request', ctx, op.name)
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, STATE_REFUSED)
    }
    const answer = inputResponse(ctx.mcpReq.inputResponses, CONSENT_KEY)
    if (answer.kind === 'elicit') {
      if (answer.action !== 'accept') {
        session.log?.info(
          { agent: session.principal.agent, action: answer.action },
          'secret reveal refused',
        )
        throw new AppError(
          'FORBIDDEN',
          'The user did not allow these secret values to be shown to the model. Ask the user ' +
            'before trying again.',
        )
      }
      return call.run(guard.pin ? guard.pin(args, state) : args)
    }
    // No answer came back: ask again, as the spec asks, with a new state.
  } else if (!guard.preview && !op.input.safeParse(args).success) {
    // Nothing to ask about: the runner refuses the arguments (INVALID_INPUT, audited).
    return call.run(args)
  }
  const preview = guard.preview ? await call.run(args) : undefined
  const version = asRecord(preview?.metadata).version
  const requestState = call.consent.tokens.issue(session.principal.agent, {
    tool: op.name,
    args: digest,
    ...(typeof version === 'number' ? { version } : {}),
  })
  return inputRequired({
    inputRequests: {
      [CONSENT_KEY]: inputRequired.elicit({
        mode: 'form',
        message: guard.question(session.principal.agent, args, preview),
        requestedSchema: CONSENT_SCHEMA,
      }),
    },
    requestState,
  })
}

/** A digest of the arguments that does not depend on the order of their keys. */
export function argsDigest(args: Args): string {
  return createHash('sha256').update(canonicalJson(args)).digest('base64url')
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const entries = Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
    return `{${entries.join(',')}}`
  }
  return JSON.stringify(v) ?? 'null'
}
