/**
 * @module vault/admin/jwt-commands: the Vault CLI commands that set up JWT exchange for one agent
 * by hand, exactly what `provision` writes (`gen-policy --jwt-exchange` prints them).
 */
import { jwtConfigPath, jwtRoleName, jwtRolePath } from '../jwt-role.js'
import { jwtAuthConfig, jwtRoleGlob, jwtRoleSettings, type JwtExchangeSetup } from './jwt-setup.js'

export interface JwtCommandsOptions {
  setup: JwtExchangeSetup
  agent: string
  /** The agent's policy name and HCL (`renderAgentPolicy`). */
  policyName: string
  policy: string
}

/** `vault write <path> -` with `body` as JSON on stdin (a quoted here-document: no expansion). */
const writeJson = (path: string, body: Record<string, unknown>): string =>
  [`vault write ${path} - <<'EOF'`, JSON.stringify(body, null, 2), 'EOF'].join('\n')

/**
 * A shell script of Vault CLI commands: the agent's policy, the JWT auth method at the mount
 * configured with the bridge's identity provider (once per Vault), the agent's role, and the
 * rule the bridge's own policy needs. Values come from the bridge's configuration only; mount,
 * role and policy names are plain names (the configuration checked them), the rest travels as
 * JSON in quoted here-documents.
 */
export function renderJwtExchangeCommands(o: JwtCommandsOptions): string {
  const { setup, agent } = o
  const role = jwtRoleName(setup.roleTemplate, agent)
  return [
    `# JWT exchange for agent "${agent}": the Vault CLI commands \`vault-mcp-bridge provision\` runs.`,
    '# Run them with an admin token (VAULT_ADDR, VAULT_TOKEN and VAULT_NAMESPACE of the bridge).',
    '',
    "# The agent's policy.",
    `vault policy write ${o.policyName} - <<'EOF'`,
    o.policy.trimEnd(),
    'EOF',
    '',
    "# Once per Vault: the JWT auth method, trusting the bridge's identity provider. Vault fetches",
    '# the keys when the config is written, so it must reach them itself.',
    `vault auth enable -path=${setup.mount} jwt`,
    writeJson(jwtConfigPath(setup.mount), jwtAuthConfig(setup)),
    '',
    `# The agent's role: a token with the bridge's audience whose ${setup.subjectClaim} is "${agent}"`,
    `# gets a ${setup.tokenTtlSeconds}s token with the agent's policy only.`,
    writeJson(jwtRolePath(setup.mount, role), jwtRoleSettings(setup, agent, o.policyName)),
    '',
    "# The bridge's own policy (mcp-bridge) also needs, to explain a refused login:",
    `#   path "${jwtRoleGlob(setup.mount, setup.roleTemplate)}" { capabilities = ["read"] }`,
    '# and revokes the tokens it no longer keeps with "update" on auth/token/revoke.',
    '',
  ].join('\n')
}
