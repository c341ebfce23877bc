/** @module core/identity: scopes, agent ids and the authenticated principal. */
import { z } from 'zod'

export const SCOPES = ['read', 'write', 'delete', 'list'] as const
export type Scope = (typeof SCOPES)[number]
export const scopeSchema = z.enum(SCOPES)

/** How a principal proved who it is. `stdio` is the local MCP transport (identity from config). */
export type AuthMethod = 'api_key' | 'jwt' | 'mtls' | 'stdio'

/**
 * Agent ids: letters, digits, `_`, `.` and `-`, 1 to 64 characters, no leading or trailing `-`
 * and no `--`.
 *
 * Security: `--` is reserved as the separator in transit key names (`{prefix}--{agent}--{key}`),
 * so forbidding it in agent ids keeps that encoding injective and its policy globs disjoint.
 * `.` alone or `..` would be a path traversal segment, so those are refused as well.
 */
export const AGENT_ID_PATTERN = /^(?!-)(?!.*--)(?!.*-$)[A-Za-z0-9_.-]{1,64}$/

export function isValidAgentId(id: string): boolean {
  return AGENT_ID_PATTERN.test(id) && id !== '.' && id !== '..'
}

export const agentIdSchema = z.string().refine(isValidAgentId, {
  message:
    'agent ids are 1-64 letters, digits, "_", "." or "-", without a leading or trailing "-" and without "--"',
})

/**
 * The credential a principal proved itself with, kept for a later exchange at Vault (a JWT
 * presented to Vault's own JWT auth). Security: a secret; it is reachable only through
 * {@link credentialOf}, never serialised, logged or rendered.
 */
export interface VerifiedCredential {
  kind: 'jwt'
  /** The compact token exactly as the caller presented it. */
  token: string
  /** Which key verified it: the HS256 secret, or a JWKS/OIDC issuer's public key. */
  source: 'hs256' | 'jwks'
  /** Its verified claims. */
  claims: Readonly<Record<string, unknown>>
}

/**
 * The authenticated caller of one request. Its enumerable fields never carry the credential:
 * that sits in a non-enumerable field (see {@link withCredential}), so JSON, log lines, object
 * spreads and `util.inspect` leave it out.
 */
export interface Principal {
  agent: string
  scopes: readonly Scope[]
  method: AuthMethod
  readonly credential?: VerifiedCredential
}

/** Attaches `credential` to `principal` as a non-enumerable, read-only field; returns the principal. */
export function withCredential<P extends Principal>(
  principal: P,
  credential: VerifiedCredential,
): P {
  Object.defineProperty(principal, 'credential', {
    value: Object.freeze({ ...credential }),
    enumerable: false,
    writable: false,
    configurable: false,
  })
  return principal
}

/** The credential the principal proved itself with, if the method keeps one (JWT). */
export const credentialOf = (principal: Principal): VerifiedCredential | undefined =>
  principal.credential

/** What the core knows about one request: who asks, and the id that ties logs and audit together. */
export interface CallContext {
  principal: Principal
  /** The bridge's own id of the request: the key of its log and audit lines. */
  requestId: string
  /** The caller's own request id, cleaned, when it sent one (never used as a key). */
  clientRequestId?: string
  /** Filled in while the operation runs: Vault's request ids, for the audit trail. */
  trace?: { vaultRequestIds: string[] }
  /**
   * `scheme://host` the caller reached the bridge at (HTTP transports): where a one-time link
   * points when PUBLIC_URL is unset and the bridge listens on loopback.
   */
  origin?: string
  /**
   * What is left of the agent's rate budget once this request was counted, where a per-agent
   * limit applies (HTTP with RATE_LIMIT_ENABLED); absent otherwise.
   */
  rateBudget?: RateBudget
  /** Set by the operation runner: the names of the operations this bridge offers. */
  offered?: readonly string[]
}

/** An agent's rate budget in the current window. */
export interface RateBudget {
  limit: number
  remaining: number
  /** Seconds until the window starts over. */
  resetSeconds: number
}
