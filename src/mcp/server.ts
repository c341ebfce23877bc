/** @module mcp/server: one MCP server for one principal, serving the operations as tools. */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js'
import type { Principal } from '../core/identity.js'
import type { OperationRunner } from '../core/operations.js'
import type { Logger } from '../observability/logger.js'
import { registerOperationTools, type SecretValuesMode } from './operation-tools.js'

/** Name and version announced in `initialize`; a test keeps the version equal to package.json. */
export const SERVER_INFO = { name: 'vault-mcp-bridge', version: '0.1.0' } as const

const INSTRUCTIONS =
  'Keeps and uses secrets in HashiCorp Vault for you. Every path and transit key is private ' +
  'to your agent namespace, so paths are relative ("app/db"). Use list_secrets to find paths, ' +
  'read_secret_metadata for versions, and whoami to see your scopes. Errors start with a ' +
  'stable code (for example SECRET_NOT_FOUND) followed by what to do next.'

// Every SDK server otherwise builds its own Ajv instance, which costs more than the rest of a
// stateless request; one shared instance serves them all (it validates elicitation answers).
const SCHEMA_VALIDATOR = new AjvJsonSchemaValidator()

export interface McpServerDeps {
  runner: OperationRunner
  principal: Principal
  /** The HTTP request id; omit it (stdio) to give each tool call its own id. */
  requestId?: string
  secretValues: SecretValuesMode
  /**
   * Whether the transport can carry server-to-client requests such as elicitation during a
   * tool call. Defaults to true (stdio, in-memory); stateless HTTP passes false.
   */
  serverRequests?: boolean
  log?: Logger
}

/**
 * Creates an MCP server whose tools are the operations the principal's scopes allow. Over
 * stateless HTTP there is one per request; over stdio one per process.
 */
export function createMcpServer(deps: McpServerDeps): McpServer {
  const server = new McpServer(SERVER_INFO, {
    instructions: INSTRUCTIONS,
    jsonSchemaValidator: SCHEMA_VALIDATOR,
  })
  registerOperationTools(server, {
    runner: deps.runner,
    principal: deps.principal,
    requestId: deps.requestId,
    secretValues: deps.secretValues,
    serverRequests: deps.serverRequests ?? true,
    log: deps.log,
  })
  return server
}
