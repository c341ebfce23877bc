/** @module cli/help: the CLI's usage text and version. */
import { readFileSync } from 'node:fs'

/** The package version, read from package.json (`../../package.json` from src/cli and dist/cli). */
export function packageVersion(): string {
  const url = new URL('../../package.json', import.meta.url)
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version
}

export const HELP_TEXT = `vault-mcp-bridge: agent-scoped HashiCorp Vault secrets for AI agents, over MCP and REST.

Usage: vault-mcp-bridge [command] [options]

Commands:
  serve          Run the bridge against the Vault at VAULT_ADDR (the default command):
                 [--port <n>] [--host <addr>].
  check-config   Validate the environment and print the effective configuration, secrets masked.
  stdio          Serve MCP over stdin/stdout for local clients (MCP_STDIO_AGENT, MCP_STDIO_SCOPES).
  gen-policy     Print the Vault policy of one agent: --agent <id> [--mount secret]
                 [--prefix mcp] [--transit-mount transit]; --jwt-exchange: the Vault CLI
                 commands for JWT exchange instead.
  provision      Prepare a Vault for the bridge (mounts, agent policies, AppRole, and the JWT
                 auth method and roles of JWT exchange): --agents a,b,c [--out file].
  gen-jwt        Sign a development JWT: --sub <agent> [--scopes read,list] [--ttl 1h].

Options:
  -h, --help     Show this help (<command> --help: that command's usage and options).
  -v, --version  Show the version.

Configuration comes from environment variables; see the README or run check-config.
Bad configuration exits with code 2 and one line per problem.
`
