/**
 * @module mcp/server: one MCP server for one principal and one protocol generation, serving the
 * operations as tools. The HTTP route builds one per request, the stdio session one per connection.
 */
import { McpServer } from '@modelcontextprotocol/server'
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv'
import type { Principal, RateBudget } from '../core/identity.js'
import type { OperationRunner } from '../core/operations.js'
import type { SecretEntryLinks } from '../core/ports.js'
import type { Logger } from '../observability/logger.js'
import { registerOperationTools } from './operation-tools.js'
import {
  CONSENT_TTL_MS,
  verifyConsentState,
  type Consent,
  type SecretValuesMode,
} from './secret-values.js'

/** Name and version announced by `initialize` and `server/discover`; a test keeps it equal to package.json. */
export const SERVER_INFO = { name: 'vault-mcp-bridge', version: '0.1.0' } as const

const INSTRUCTIONS =
  'Keeps and uses secrets in HashiCorp Vault for you. Every path and transit key is private ' +
  'to your agent namespace, so paths are relative ("app/db"). Use list_secrets to find paths, ' +
  'read_secret_metadata for versions, and whoami to see your scopes. Errors start with a ' +
  'stable code (for example SECRET_NOT_FOUND) followed by what to do next.'

// Every SDK server otherwise builds its own Ajv instance, which costs more than the rest of a
// stateless request; one shared instance serves them all (it validates elicitation answers).
const SCHEMA_VALIDATOR = new AjvJsonSchemaValidator()

/**
 * Cache hints of the 2026-07-28 results. `tools/list` depends on the caller's scopes, so only the
 * caller may keep it (`private`); a minute bounds how long a client shows a list after the scopes
 * behind its credential changed. `server/discover` is the same for everyone.
 */
const CACHE_HINTS = {
  'tools/list': { ttlMs: 60_000, cacheScope: 'private' },
  'server/discover': { ttlMs: 300_000, cacheScope: 'public' },
} as const

/** The protocol generation a server instance serves: 2026-07-28 (`modern`) or 2025 (`legacy`). */
export type ProtocolEra = 'modern' | 'legacy'

/** What is the same for every server the bridge builds. */
export interface McpServerDeps {
  runner: OperationRunner
  secretValues: SecretValuesMode
  /** Signs and redeems the consent question's `requestState` (MCP_SECRET_VALUES=elicit). */
  consent: Consent
  /** request_secret's links: a URL-mode client is waited for until the person submitted. */
  entry?: SecretEntryLinks
  /** MCP_WRAP_TTL: the wrap TTL of reads in `wrap` mode that name none (seconds; 300 if unset). */
  wrapTtlSeconds?: number
  log?: Logger
}

/** Who one server instance serves, and how it is reached. */
export interface McpSession {
  principal: Principal
  era: ProtocolEra
  transport: 'http' | 'stdio'
  /** The HTTP request id; omit it (stdio) to give each tool call its own id. */
  requestId?: string
  /** What is left of the agent's rate budget (HTTP with rate limits), for whoami. */
  rateBudget?: RateBudget
  /** The request's logger (HTTP), else `McpServerDeps.log`. */
  log?: Logger
  /** `scheme://host` the HTTP request reached the bridge at (request_secret's link). */
  origin?: string
}

/**
 * Creates an MCP server whose tools are the operations the principal's scopes allow. It is cheap
 * to build: the tool definitions and the schema validator are shared by every instance.
 */
export function createMcpServer(deps: McpServerDeps, session: McpSession): McpServer {
  const server = new McpServer(SERVER_INFO, {
    instructions: INSTRUCTIONS,
    jsonSchemaValidator: SCHEMA_VALIDATOR,
    cacheHints: CACHE_HINTS,
    // Every requestState that comes back is checked before a tool sees it: signed here, issued
    // to this principal, not expired, not used before.
    requestState: { verify: verifyConsentState(deps.consent, session) },
    // 2025 clients over stdio are asked with a real elicitation/create: as long as a 2026
    // client has to answer.
    inputRequired: { roundTimeoutMs: CONSENT_TTL_MS },
  })
  registerOperationTools(server, deps, session)
  return server
}
