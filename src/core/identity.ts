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

/** The authenticated caller of one request. Never carries the credential itself. */
export interface Principal {
  agent: string
  scopes: readonly Scope[]
  method: AuthMethod
}

/** What the core knows about one request: who asks, and the id that ties logs and audit together. */
export interface CallContext {
  principal: Principal
  requestId: string
  /** Filled in while the operation runs: Vault's request ids, for the audit trail. */
  trace?: { vaultRequestIds: string[] }
}
