/**
 * @module cli/provision: `vault-mcp-bridge provision`, prepare a Vault for the bridge (mounts,
 * agent policies, the bridge policy and AppRole role) and hand out the bridge's credentials.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { loadConfig } from '../config/load.js'
import { StartupError } from '../config/startup-error.js'
import { createLogger } from '../observability/logger.js'
import { createNodeVaultClient } from '../vault/node-vault-client.js'
import { isAgentPolicyNameSafe } from '../vault/policy-name.js'
import { jwtExchangeSetup } from '../vault/admin/jwt-setup.js'
import { provisionVault } from '../vault/admin/provision.js'
import { parseCommandArgs } from './args.js'
import { processIo, type CliIo } from './io.js'

export const PROVISION_USAGE = `Usage: vault-mcp-bridge provision --agents a,b,c [--out file] [--new-secret-id]

Prepares the Vault at VAULT_ADDR, with the admin token in VAULT_TOKEN: enables kv v2 at KV_MOUNT
and transit at TRANSIT_MOUNT if missing, writes the policy <CHILD_TOKEN_POLICY_PREFIX><agent> of
each agent and the bridge policy mcp-bridge, and creates the AppRole role mcp-bridge whose tokens
carry exactly these policies (the agent list is the complete list: agents left out lose access).
With VAULT_JWT_EXCHANGE_ENABLED=true it also enables Vault's JWT auth method at
VAULT_JWT_EXCHANGE_MOUNT, configures it with the bridge's JWT_JWKS_URL (or OIDC discovery of
JWT_ISSUER), JWT_ISSUER and JWT_ALGORITHMS, and writes one role per agent
(VAULT_JWT_EXCHANGE_ROLE) bound to the bridge's audience and to the agent id as subject.
Agents come from --agents or AGENTS. Prints VAULT_ROLE_ID and VAULT_SECRET_ID, or writes them
to --out (mode 0600) as an env file of KEY=value lines (for example approle.env), which
\`node --env-file\`, docker compose's env_file, \`kubectl create secret generic --from-env-file\` and
\`set -a; . ./approle.env\` read as is. A run that changes nothing issues no new secret id (unless
--new-secret-id, or --out names a file without one) and says so.
`

const PROVISION_OPTIONS = {
  agents: { type: 'string' },
  out: { type: 'string' },
  'new-secret-id': { type: 'boolean' },
  prune: { type: 'boolean' },
} as const

/**
 * Runs provisioning against the configured Vault.
 * @returns 0; 2 for bad arguments or configuration; 1 when Vault refuses or is unreachable.
 */
export async function runProvisionCommand(
  argv: string[],
  env: Record<string, string | undefined>,
  io: CliIo = processIo,
): Promise<number> {
  const values = parseCommandArgs('provision', PROVISION_USAGE, argv, PROVISION_OPTIONS, io)
  if (typeof values === 'number') return values
  const agents = (values.agents ?? env.AGENTS ?? '')
    .split(/[\s,]+/)
    .map((a) => a.trim())
    .filter(Boolean)
  if (agents.length === 0) {
    io.stderr(
      `provision: give the agents with --agents a,b,c or AGENTS=a,b,c\n\n${PROVISION_USAGE}`,
    )
    return 2
  }
  const bad = agents.filter((a) => !isAgentPolicyNameSafe('mcp-agent-', a))
  if (bad.length > 0) {
    io.stderr(
      `provision: ${bad.length} agent id(s) cannot have a Vault policy: agent ids here are 1-64 ` +
        'lower-case letters, digits, "_", "." or "-", without "--" (Vault lower-cases policy names)\n',
    )
    return 2
  }
  let config
  try {
    config = loadConfig(env)
  } catch (e) {
    io.stderr(`provision: ${(e as Error).message}\n`)
    return 2
  }
  const token = config.vault.token
  if (!token) {
    io.stderr('provision: set VAULT_TOKEN to a Vault token with admin rights\n')
    return 2
  }
  const previous = values.out ? readCredentials(values.out) : undefined
  const logger = createLogger({ level: config.logLevel })
  let client: ReturnType<typeof createNodeVaultClient> | undefined
  try {
    client = createNodeVaultClient(config.vault, { token, logger })
    const keepCredentials = !values['new-secret-id'] && (values.out ? !!previous?.secretId : true)
    const run = (issueSecretId: 'always' | 'when-changed') =>
      provisionVault({
        client: client!,
        agents,
        kvMount: config.vault.kvMount,
        transitMount: config.vault.transitMount,
        prefix: config.prefix,
        policyPrefix: config.childToken.policyPrefix,
        appRoleMount: config.vault.appRole?.mount ?? env.VAULT_APPROLE_MOUNT ?? 'approle',
        childTokenRole: config.childToken.role,
        jwtExchange: jwtExchangeSetup(config),
        prune: values.prune === true,
        issueSecretId,
      })
    let result = await run(keepCredentials ? 'when-changed' : 'always')
    if (values.out && !result.secretId && previous?.roleId !== result.roleId) {
      // The file holds another role's credentials: issue a secret id for this one.
      result = { ...(await run('always')), changes: result.changes }
    }
    for (const change of result.changes) io.stdout(`provision: ${change}\n`)
    for (const warning of result.warnings) io.stderr(`provision: warning: ${warning}\n`)
    if (result.changes.length === 0)
      io.stdout('provision: no changes (Vault was already provisioned)\n')
    if (values.out) {
      if (result.secretId) {
        const secretId = result.secretId ?? previous?.secretId ?? ''
        writeFileSync(values.out, `VAULT_ROLE_ID=${result.roleId}\nVAULT_SECRET_ID=${secretId}\n`, {
          mode: 0o600,
        })
        io.stdout(`provision: wrote VAULT_ROLE_ID and VAULT_SECRET_ID to ${values.out}\n`)
      } else {
        io.stdout(`provision: kept the credentials in ${values.out}\n`)
      }
    } else {
      io.stdout(`VAULT_ROLE_ID=${result.roleId}\n`)
      if (result.secretId) io.stdout(`VAULT_SECRET_ID=${result.secretId}\n`)
      else io.stdout('# no new secret id issued (nothing changed); pass --new-secret-id for one\n')
    }
    return 0
  } catch (e) {
    io.stderr(`provision: ${(e as Error).message}\n`)
    return e instanceof StartupError ? 2 : 1
  } finally {
    client?.close()
  }
}

/** The role id and secret id in a file written by an earlier run, if it has them. */
function readCredentials(file: string): { roleId?: string; secretId?: string } | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  const get = (name: string) => new RegExp(`^${name}=(\\S+)$`, 'm').exec(text)?.[1]
  return { roleId: get('VAULT_ROLE_ID'), secretId: get('VAULT_SECRET_ID') }
}
