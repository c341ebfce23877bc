/**
 * @module cli/gen-policy: `vault-mcp-bridge gen-policy`, print one agent's Vault policy (HCL), or
 * with `--jwt-exchange` the Vault CLI commands that set up JWT exchange for it.
 */
import { loadConfig } from '../config/load.js'
import { isValidAgentId } from '../core/identity.js'
import { renderJwtExchangeCommands } from '../vault/admin/jwt-commands.js'
import { canHaveJwtRole, jwtExchangeSetup } from '../vault/admin/jwt-setup.js'
import { isPolicyPathPart, renderAgentPolicy } from '../vault/admin/policy.js'
import { agentPolicyName, isAgentPolicyNameSafe } from '../vault/policy-name.js'
import { parseCommandArgs } from './args.js'
import { processIo, type CliIo } from './io.js'

export const GEN_POLICY_USAGE = `Usage: vault-mcp-bridge gen-policy --agent <id> [--mount secret] [--prefix mcp]
                                   [--transit-mount transit] [--policy-prefix mcp-agent-]
                                   [--jwt-exchange]

Prints the HCL of the Vault policy <policy-prefix><id> (default mcp-agent-<id>): the agent's
KV v2 paths under <mount>/.../<prefix>/<id>/ and its own transit keys <prefix>--<id>--*.
Write it with: vault policy write mcp-agent-<id> policy.hcl

--jwt-exchange prints instead the Vault CLI commands that set the agent up for JWT exchange, as
provision does: its policy, Vault's JWT auth method at VAULT_JWT_EXCHANGE_MOUNT trusting the
bridge's identity provider, and the agent's role. They come from the bridge's configuration in
the environment (VAULT_JWT_EXCHANGE_ENABLED=true and its JWT settings; KV_MOUNT, DEFAULT_PREFIX,
TRANSIT_MOUNT and CHILD_TOKEN_POLICY_PREFIX unless given as flags).
`

const GEN_POLICY_OPTIONS = {
  agent: { type: 'string' },
  mount: { type: 'string' },
  prefix: { type: 'string' },
  'transit-mount': { type: 'string' },
  'policy-prefix': { type: 'string' },
  'jwt-exchange': { type: 'boolean' },
} as const

/**
 * Prints the policy of one agent on stdout.
 * @returns 0, or 2 for bad arguments (the problem and the usage go to stderr).
 */
export async function runGenPolicyCommand(
  argv: string[],
  io: CliIo = processIo,
  env: Record<string, string | undefined> = {},
): Promise<number> {
  const values = parseCommandArgs('gen-policy', GEN_POLICY_USAGE, argv, GEN_POLICY_OPTIONS, io)
  if (typeof values === 'number') return values
  // With --jwt-exchange the bridge's configuration decides; without it, the flags and defaults.
  let config
  if (values['jwt-exchange']) {
    try {
      config = loadConfig(env)
    } catch (e) {
      io.stderr(`gen-policy: ${(e as Error).message}\n`)
      return 2
    }
  }
  values.mount ??= config?.vault.kvMount ?? 'secret'
  values.prefix ??= config?.prefix ?? 'mcp'
  values['transit-mount'] ??= config?.vault.transitMount ?? 'transit'
  values['policy-prefix'] ??= config?.childToken.policyPrefix ?? 'mcp-agent-'
  const agent = values.agent as string | undefined
  const problems: string[] = []
  if (!agent) problems.push('--agent is required')
  else if (!isValidAgentId(agent)) {
    problems.push(
      '--agent must be 1-64 letters, digits, "_", "." or "-", without a leading or trailing "-" and without "--"',
    )
  } else if (!isAgentPolicyNameSafe(values['policy-prefix'] as string, agent)) {
    problems.push(
      '--agent and --policy-prefix must be lower-case: Vault lower-cases policy names, which would merge two agents',
    )
  }
  for (const flag of ['mount', 'prefix', 'transit-mount'] as const) {
    if (!isPolicyPathPart(values[flag] as string)) {
      problems.push(`--${flag} must be letters, digits, "_", ".", "-" and inner "/"`)
    }
  }
  const setup = config ? jwtExchangeSetup(config) : undefined
  if (config && !setup) {
    problems.push(
      "--jwt-exchange needs the bridge's JWT exchange configuration: VAULT_JWT_EXCHANGE_ENABLED=true with JWT_JWKS_URL or JWT_ISSUER",
    )
  } else if (setup && agent && !canHaveJwtRole(setup, agent)) {
    problems.push('--agent cannot name a JWT role under VAULT_JWT_EXCHANGE_ROLE')
  }
  if (problems.length > 0 || !agent) {
    io.stderr(`gen-policy: ${problems.join('; ')}\n\n${GEN_POLICY_USAGE}`)
    return 2
  }
  const policyPrefix = values['policy-prefix'] as string
  const policy = renderAgentPolicy({
    agent,
    mount: values.mount as string,
    prefix: values.prefix as string,
    transitMount: values['transit-mount'] as string,
    policyPrefix,
  })
  io.stdout(
    setup
      ? renderJwtExchangeCommands({
          setup,
          agent,
          policyName: agentPolicyName(policyPrefix, agent),
          policy,
        })
      : policy,
  )
  return 0
}
