/**
 * @module vault/admin/provision: prepares any Vault for the bridge with an admin token: KV v2 and
 * Transit mounts, one policy per agent, the bridge's own policy, the token role child tokens are
 * minted through, the JWT auth method and roles of JWT exchange, and the bridge's AppRole role.
 * Idempotent: it reads before it writes, and reports only what it changed.
 */
import { trimSlashes } from '../../core/paths.js'
import type { NodeVaultClient } from '../node-vault-client.js'
import { agentPolicyName, isAgentPolicyNameSafe } from '../policy-name.js'
import { hasRoleGlobs, tokenRolePath, tokenRoleSettings } from '../token-role.js'
import { vaultCause, vaultStatus } from '../vault-errors.js'
import { jwtRoleGlob, type JwtExchangeSetup } from './jwt-setup.js'
import { AGENT_POLICY_MARK, renderAgentPolicy, renderBridgePolicy } from './policy.js'
import { provisionJwtExchange } from './provision-jwt.js'

/** The defaults `provision` uses for the bridge's own policy and AppRole role. */
export const BRIDGE_POLICY_NAME = 'mcp-bridge'
export const BRIDGE_ROLE_NAME = 'mcp-bridge'
/** TTLs of the bridge's AppRole tokens: renewed at 2/3 of an hour, a fresh login daily. */
export const BRIDGE_TOKEN_TTL_SECONDS = 3600
export const BRIDGE_TOKEN_MAX_TTL_SECONDS = 86_400

export interface ProvisionOptions {
  /** A client with an admin token (mounts, sys/auth with sudo, policies, AppRole roles). */
  client: NodeVaultClient
  /** Every agent the bridge serves; the bridge role carries exactly their policies. */
  agents: string[]
  kvMount: string
  transitMount: string
  prefix: string
  /** CHILD_TOKEN_POLICY_PREFIX (`mcp-agent-`). */
  policyPrefix: string
  /** VAULT_APPROLE_MOUNT (`approle`). */
  appRoleMount: string
  bridgePolicyName?: string
  roleName?: string
  /**
   * CHILD_TOKEN_ROLE: the token role child tokens are minted through, written here; undefined
   * when the bridge mints with `auth/token/create` (CHILD_TOKEN_ROLE=none).
   */
  childTokenRole: string | undefined
  /**
   * JWT exchange (VAULT_JWT_EXCHANGE_ENABLED, from `jwtExchangeSetup`): the JWT auth method at
   * its mount, configured with the bridge's JWKS or OIDC issuer, and one role per agent.
   */
  jwtExchange?: JwtExchangeSetup
  /**
   * Delete the policies this tool wrote for agents that are no longer in `agents` (policies
   * with the prefix that it did not write are never touched, only reported).
   */
  prune?: boolean
  /**
   * When to issue a new secret id: `always`, or `when-changed` (only when this run changed
   * something, so that a second run changes nothing at all). Default `always`.
   */
  issueSecretId?: 'always' | 'when-changed'
}

export interface ProvisionResult {
  /** One line per change made, in order (`enabled kv-v2 at secret/`); empty when none. */
  changes: string[]
  roleId: string
  /** A new secret id of the bridge role, unless `issueSecretId` said not to issue one. */
  secretId?: string
  /** What the operator should look at: policies with the agent prefix that are not `agents`'. */
  warnings: string[]
}

/** Provisioning cannot proceed; `message` says what to fix (never a token or secret id). */
export class ProvisionError extends Error {
  override name = 'ProvisionError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
  }
}

/**
 * Makes the Vault behind `client` ready for the bridge and returns the bridge's AppRole role id
 * (and a secret id). Running it again with the same options changes nothing.
 * @throws ProvisionError on a bad agent id, a mount of the wrong type in the way, or a Vault
 *   refusal (for example a token without the admin rights listed on ProvisionOptions.client).
 */
export async function provisionVault(options: ProvisionOptions): Promise<ProvisionResult> {
  const { client } = options
  const kv = trimSlashes(options.kvMount)
  const transit = trimSlashes(options.transitMount)
  const approle = trimSlashes(options.appRoleMount)
  const bridgePolicy = options.bridgePolicyName ?? BRIDGE_POLICY_NAME
  const role = options.roleName ?? BRIDGE_ROLE_NAME
  const agents = [...new Set(options.agents)].sort()
  for (const agent of agents) {
    if (!isAgentPolicyNameSafe(options.policyPrefix, agent)) {
      throw new ProvisionError(
        `"${agent}" cannot be given a Vault policy: agent ids for Vault policies are 1-64 ` +
          'lower-case letters, digits, "_", "." or "-", without "--" (Vault lower-cases policy names).',
      )
    }
  }
  if (bridgePolicy.startsWith(options.policyPrefix)) {
    throw new ProvisionError(
      `The bridge policy "${bridgePolicy}" starts with CHILD_TOKEN_POLICY_PREFIX ` +
        `"${options.policyPrefix}": choose a prefix that only agent policies use.`,
    )
  }
  const changes: string[] = []
  const warnings: string[] = []
  const call = async <T>(what: string, fn: () => Promise<T>, hint?: string): Promise<T> => {
    try {
      return await fn()
    } catch (err) {
      const status = vaultStatus(err)
      const why =
        status === undefined
          ? 'Vault is unreachable'
          : status === 403
            ? 'permission denied: use an admin token (VAULT_TOKEN)'
            : `Vault answered ${status}${hint && status === 400 ? ` (${hint})` : ''}`
      throw new ProvisionError(`Could not ${what}: ${why}.`, {
        cause: vaultCause(err, 'CALL', what),
      })
    }
  }
  const readOrAbsent = async (what: string, path: string): Promise<Body | undefined> => {
    try {
      return (await client.read(path)) as Body
    } catch (err) {
      if (vaultStatus(err) === 404) return undefined
      return call(what, () => Promise.reject(err))
    }
  }

  // Mounts: enabled when missing; one of the wrong type is an operator decision, not ours.
  const mounts = dataOf(await call('list secret engines', () => client.read('sys/mounts')))
  for (const [path, type] of [
    [kv, 'kv-v2'],
    [transit, 'transit'],
  ] as const) {
    const entry = mounts[`${path}/`] as Body | undefined
    if (entry) {
      const version = String((entry.options as Body | null)?.version ?? '1')
      const actual = entry.type === 'kv' ? `kv-v${version}` : String(entry.type)
      if (actual !== type) {
        throw new ProvisionError(
          `${path}/ is already a ${String(actual)} mount; the bridge needs ${type} there. ` +
            'Choose another KV_MOUNT/TRANSIT_MOUNT or move that mount.',
        )
      }
      continue
    }
    const body =
      type === 'kv-v2'
        ? { type: 'kv', options: { version: '2' }, description: 'vault-mcp-bridge secrets' }
        : { type: 'transit', description: 'vault-mcp-bridge encryption keys' }
    await call(`enable ${type} at ${path}/`, () => client.write(`sys/mounts/${path}`, body))
    changes.push(`enabled ${type} at ${path}/`)
  }

  const auths = dataOf(await call('list auth methods', () => client.read('sys/auth')))
  const authEntry = auths[`${approle}/`] as Body | undefined
  if (authEntry && authEntry.type !== 'approle') {
    throw new ProvisionError(
      `auth/${approle}/ is a ${String(authEntry.type)} auth method; set VAULT_APPROLE_MOUNT to another path.`,
    )
  }
  if (!authEntry) {
    await call(`enable approle at auth/${approle}/`, () =>
      client.write(`sys/auth/${approle}`, { type: 'approle' }),
    )
    changes.push(`enabled approle at auth/${approle}/`)
  }

  // Policies: written when absent or different.
  const policies = new Map<string, string>()
  for (const agent of agents) {
    policies.set(
      agentPolicyName(options.policyPrefix, agent),
      renderAgentPolicy({
        agent,
        mount: kv,
        prefix: options.prefix,
        transitMount: transit,
        policyPrefix: options.policyPrefix,
      }),
    )
  }
  policies.set(
    bridgePolicy,
    renderBridgePolicy({
      name: bridgePolicy,
      childTokenRole: options.childTokenRole,
      kvMount: kv,
      transitMount: transit,
      policyPrefix: options.policyPrefix,
      ...(options.jwtExchange
        ? { jwtRoles: jwtRoleGlob(options.jwtExchange.mount, options.jwtExchange.roleTemplate) }
        : {}),
    }),
  )
  for (const [name, text] of policies) {
    const existing = await readOrAbsent(`read policy ${name}`, `sys/policies/acl/${name}`)
    const current = (existing?.data as Body | undefined)?.policy
    if (typeof current === 'string' && current.trim() === text.trim()) continue
    await call(`write policy ${name}`, () =>
      client.write(`sys/policies/acl/${name}`, { policy: text }),
    )
    changes.push(`${existing ? 'updated' : 'wrote'} policy ${name}`)
  }

  // Policies with the agent prefix that are not this run's agents: the token role's glob lets the
  // bridge hand them out, so they are pruned (when this tool wrote them) or reported.
  const listed = (await readOrAbsent('list policies', 'sys/policies/acl?list=true')) ?? {}
  const keys = (listed.data as Body | undefined)?.keys ?? listed.keys
  const names = Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : []
  for (const name of names) {
    if (!name.startsWith(options.policyPrefix) || policies.has(name)) continue
    const text = (
      (await readOrAbsent(`read policy ${name}`, `sys/policies/acl/${name}`))?.data as
        Body | undefined
    )?.policy
    const ours = typeof text === 'string' && text.includes(AGENT_POLICY_MARK)
    if (ours && options.prune) {
      await call(`delete policy ${name}`, () => client.delete(`sys/policies/acl/${name}`))
      changes.push(`deleted policy ${name}`)
    } else if (ours) {
      warnings.push(
        `policy ${name} belongs to an agent not in --agents; it keeps working until the policy ` +
          'is deleted (--prune deletes it)',
      )
    } else {
      warnings.push(
        `policy ${name} starts with CHILD_TOKEN_POLICY_PREFIX but was not written by provision; ` +
          'the bridge can hand it out to an agent of that name: rename it or choose another prefix',
      )
    }
  }

  if (options.jwtExchange) {
    await provisionJwtExchange({
      client,
      setup: options.jwtExchange,
      agents,
      policyPrefix: options.policyPrefix,
      prune: options.prune === true,
      auths,
      call,
      readOrAbsent,
      refuse: (message) => {
        throw new ProvisionError(message)
      },
      changes,
      warnings,
    })
  }

  if (options.childTokenRole !== undefined) {
    // Vault 1.8 has no role globs: the role then lists every provisioned agent policy.
    const health = (await call('read the Vault version', () =>
      client.request({ path: '/sys/health?standbyok=true&perfstandbyok=true', method: 'GET' }),
    )) as Body
    const tokenRole = options.childTokenRole
    const wantedTokenRole = tokenRoleSettings({
      policyPrefix: options.policyPrefix,
      agentPolicies: agents.map((a) => agentPolicyName(options.policyPrefix, a)),
      disallowed: [bridgePolicy],
      globs: hasRoleGlobs(typeof health.version === 'string' ? health.version : undefined),
    })
    const path = tokenRolePath(tokenRole)
    const existing = await readOrAbsent(`read token role ${tokenRole}`, path)
    if (!existing || !sameRole(existing.data as Body | undefined, wantedTokenRole, 'shown')) {
      await call(`write token role ${tokenRole}`, () => client.write(path, wantedTokenRole))
      changes.push(`${existing ? 'updated' : 'created'} token role ${tokenRole}`)
    }
  }

  // The bridge's AppRole role carries its own policy and every agent policy: without child
  // tokens the bridge's own token reads the agents' data, and with CHILD_TOKEN_ROLE=none Vault
  // lets it mint child tokens only with policies it holds.
  const wanted = {
    token_policies: [bridgePolicy, ...agents.map((a) => agentPolicyName(options.policyPrefix, a))],
    token_ttl: BRIDGE_TOKEN_TTL_SECONDS,
    token_max_ttl: BRIDGE_TOKEN_MAX_TTL_SECONDS,
    token_no_default_policy: true,
    bind_secret_id: true,
  }
  const rolePath = `auth/${approle}/role/${role}`
  const existingRole = await readOrAbsent(`read AppRole role ${role}`, rolePath)
  if (!existingRole || !sameRole(existingRole.data as Body | undefined, wanted)) {
    await call(`write AppRole role ${role}`, () => client.write(rolePath, wanted))
    changes.push(`${existingRole ? 'updated' : 'created'} AppRole role ${role}`)
  }

  const roleIdBody = await call(`read the role id of ${role}`, () =>
    client.read(`${rolePath}/role-id`),
  )
  const roleId = (dataOf(roleIdBody).role_id as string | undefined) ?? ''
  if (!roleId) throw new ProvisionError(`Vault returned no role id for AppRole role ${role}.`)

  let secretId: string | undefined
  if ((options.issueSecretId ?? 'always') === 'always' || changes.length > 0) {
    const body = await call(`issue a secret id for ${role}`, () =>
      client.write(`${rolePath}/secret-id`, {}),
    )
    secretId = dataOf(body).secret_id as string | undefined
    if (!secretId) throw new ProvisionError(`Vault returned no secret id for AppRole role ${role}.`)
  }
  return { changes, roleId, ...(secretId ? { secretId } : {}), warnings }
}

type Body = Record<string, unknown>

/** `data` of a Vault response (sys/* routes also copy it to the top level). */
const dataOf = (body: unknown): Body => {
  const b = (body ?? {}) as Body
  return (typeof b.data === 'object' && b.data !== null ? b.data : b) as Body
}

/**
 * Whether `actual` (a role as Vault reads it back) has the `wanted` settings. `shown` compares
 * only the fields the read shows: older Vaults leave some out (1.8 shows no
 * `token_no_default_policy`).
 */
function sameRole(
  actual: Body | undefined,
  wanted: Record<string, unknown>,
  compare: 'all' | 'shown' = 'all',
): boolean {
  if (!actual) return false
  for (const [key, value] of Object.entries(wanted)) {
    if (compare === 'shown' && !(key in actual)) continue
    const have = actual[key]
    if (Array.isArray(value)) {
      const a = Array.isArray(have) ? [...(have as string[])].sort() : []
      if (JSON.stringify(a) !== JSON.stringify([...value].sort())) return false
    } else if (have !== value) return false
  }
  return true
}
