/** @module cli/gen-policy: `vault-mcp-bridge gen-policy`, print one agent's Vault policy (HCL). */
import { parseArgs } from 'node:util'
import { isValidAgentId } from '../core/identity.js'
import { POLICY_PATH_PART, renderAgentPolicy } from '../vault/admin/policy.js'
import { isAgentPolicyNameSafe } from '../vault/policy-name.js'

/** Where a command writes (the same shape as main.ts's CliIo). */
export interface CommandIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

const defaultIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}

export const GEN_POLICY_USAGE = `Usage: vault-mcp-bridge gen-policy --agent <id> [--mount secret] [--prefix mcp]
                                   [--transit-mount transit] [--policy-prefix mcp-agent-]

Prints the HCL of the Vault policy <policy-prefix><id> (default mcp-agent-<id>): the agent's
KV v2 paths under <mount>/.../<prefix>/<id>/ and its own transit keys <prefix>--<id>--*.
Write it with: vault policy write mcp-agent-<id> policy.hcl
`

/**
 * Prints the policy of one agent on stdout.
 * @returns 0, or 2 for bad arguments (the problem and the usage go to stderr).
 */
export async function runGenPolicyCommand(
  argv: string[],
  io: CommandIo = defaultIo,
): Promise<number> {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args: argv,
      options: {
        agent: { type: 'string' },
        mount: { type: 'string', default: 'secret' },
        prefix: { type: 'string', default: 'mcp' },
        'transit-mount': { type: 'string', default: 'transit' },
        'policy-prefix': { type: 'string', default: 'mcp-agent-' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    }).values
  } catch (e) {
    io.stderr(`gen-policy: ${(e as Error).message}\n\n${GEN_POLICY_USAGE}`)
    return 2
  }
  if (values.help) {
    io.stdout(GEN_POLICY_USAGE)
    return 0
  }
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
    const v = (values[flag] as string).replace(/^\/+|\/+$/g, '')
    if (!POLICY_PATH_PART.test(v) || v.split('/').some((s) => s === '.' || s === '..')) {
      problems.push(`--${flag} must be letters, digits, "_", ".", "-" and inner "/"`)
    }
  }
  if (problems.length > 0 || !agent) {
    io.stderr(`gen-policy: ${problems.join('; ')}\n\n${GEN_POLICY_USAGE}`)
    return 2
  }
  io.stdout(
    renderAgentPolicy({
      agent,
      mount: values.mount as string,
      prefix: values.prefix as string,
      transitMount: values['transit-mount'] as string,
      policyPrefix: values['policy-prefix'] as string,
    }),
  )
  return 0
}
