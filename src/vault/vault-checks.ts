/**
 * @module vault/vault-checks: `check-config --vault`, what the bridge finds at Vault with its own
 * credentials, one result per check: the connection, the login, the KV and Transit mounts, the
 * token role, and the policies of the agents the configuration names.
 */
import type { Config } from '../config/schema.js'
import { trimSlashes } from '../core/paths.js'
import type { Logger } from '../observability/logger.js'
import {
  createNodeVaultClientFactory,
  readVaultTls,
  type NodeVaultClient,
  type NodeVaultClientFactory,
} from './node-vault-client.js'
import { agentPolicyName, isAgentPolicyNameSafe } from './policy-name.js'
import { roleAllowsPolicy, tokenRolePath } from './token-role.js'
import { checkVaultConnection } from './vault-connection.js'
import { isRecord, vaultStatus } from './vault-errors.js'

/** One check: passed, failed (something to fix), or could not be told (`unknown`, with why). */
export interface VaultCheck {
  name: string
  outcome: 'ok' | 'fail' | 'unknown'
  detail: string
}

export interface VaultChecksOptions {
  vault: Config['vault']
  childToken: Config['childToken']
  /** The agents the configuration names (API keys, the stdio agent). */
  agents: string[]
  logger: Logger
}

/**
 * Runs the checks in order; a failed connection or login ends the list (nothing else can be
 * asked). An AppRole login made here is revoked at the end.
 * @throws VaultStartupError for what can never work as configured (as `serve` would stop:
 *   unreadable TLS files, an unknown host, a certificate that cannot be verified).
 */
export async function runVaultChecks(o: VaultChecksOptions): Promise<VaultCheck[]> {
  const { vault } = o
  const results: VaultCheck[] = []
  const add = (name: string, outcome: VaultCheck['outcome'], detail: string) =>
    results.push({ name, outcome, detail })
  const tls = readVaultTls(vault)
  const connection = await checkVaultConnection(vault, tls)
  if (!connection.reachable) {
    add('connection', 'fail', `${vault.address} is unreachable (${connection.code})`)
    return results
  }
  add('connection', 'ok', `${vault.address} answers${connection.tls ? ' (TLS verified)' : ''}`)

  const factory = createNodeVaultClientFactory(vault, { logger: o.logger, tls })
  try {
    const login = await logIn(vault, factory)
    if ('fail' in login) {
      add('login', 'fail', login.fail)
      return results
    }
    const { client, policies, revoke } = login
    try {
      add('login', 'ok', `${login.how}: policies ${policies?.join(', ') || '(none shown)'}`)
      await checkMount(client, 'kv mount', vault.kvMount, 'KV_MOUNT', add)
      await checkMount(client, 'transit mount', vault.transitMount, 'TRANSIT_MOUNT', add)
      await checkRole(client, o, add)
      await checkPolicies(client, o, policies, add)
    } finally {
      await revoke()
    }
  } finally {
    factory.close()
  }
  return results
}

type Add = (name: string, outcome: VaultCheck['outcome'], detail: string) => void

type Login =
  | { fail: string }
  | {
      how: string
      client: NodeVaultClient
      policies: string[] | undefined
      revoke: () => Promise<void>
    }

async function logIn(vault: Config['vault'], clients: NodeVaultClientFactory): Promise<Login> {
  const anonymous = clients.client()
  const failure = (err: unknown, what: string) => {
    const status = vaultStatus(err)
    return status === undefined
      ? `${what}: Vault did not answer (${(err as { code?: string }).code ?? 'network error'})`
      : `${what}: Vault answered ${status}`
  }
  if (vault.appRole) {
    const mount = trimSlashes(vault.appRole.mount)
    try {
      const res = (await anonymous.write(`auth/${mount}/login`, {
        role_id: vault.appRole.roleId,
        secret_id: vault.appRole.secretId,
      })) as { auth?: { client_token?: string; token_policies?: unknown; policies?: unknown } }
      const token = res.auth?.client_token
      if (!token) return { fail: `AppRole login at auth/${mount} answered without a token` }
      const client = clients.client(token)
      return {
        how: `AppRole at auth/${mount}`,
        client,
        policies: strings(res.auth?.token_policies) ?? strings(res.auth?.policies),
        revoke: async () => {
          await client.write('auth/token/revoke-self', {}).catch(() => undefined)
        },
      }
    } catch (err) {
      return {
        fail:
          vaultStatus(err) !== undefined && (vaultStatus(err) as number) < 500
            ? `Vault rejects the AppRole login at auth/${mount}: check VAULT_ROLE_ID, VAULT_SECRET_ID and VAULT_APPROLE_MOUNT`
            : failure(err, `AppRole login at auth/${mount}`),
      }
    }
  }
  const client = clients.client(vault.token ?? '')
  try {
    const res = (await client.read('auth/token/lookup-self')) as { data?: { policies?: unknown } }
    return {
      how: 'VAULT_TOKEN',
      client,
      policies: strings(res.data?.policies),
      revoke: async () => {},
    }
  } catch (err) {
    return {
      fail:
        vaultStatus(err) === 403
          ? 'Vault rejects VAULT_TOKEN (invalid, expired or revoked)'
          : failure(err, 'VAULT_TOKEN lookup'),
    }
  }
}

async function checkMount(
  client: NodeVaultClient,
  name: string,
  mount: string,
  variable: string,
  add: Add,
): Promise<void> {
  const path = trimSlashes(mount)
  const wanted = name === 'kv mount' ? 'kv version 2' : 'transit'
  try {
    const res = (await client.read(`sys/mounts/${path}`)) as Record<string, unknown>
    const entry = isRecord(res.data) ? res.data : res
    const version = isRecord(entry.options) ? String(entry.options.version ?? '1') : '1'
    const actual = entry.type === 'kv' ? `kv version ${version}` : String(entry.type)
    if (actual === wanted) add(name, 'ok', `${path}/ is ${wanted}`)
    else
      add(
        name,
        'fail',
        `${path}/ is ${actual}, not ${wanted}: set ${variable} to the ${wanted} mount`,
      )
  } catch (err) {
    const status = vaultStatus(err)
    if (status === 400) {
      add(
        name,
        'fail',
        `nothing is mounted at ${path}/: provision enables ${wanted} there, or set ${variable}`,
      )
    } else if (status === 403) {
      add(
        name,
        'unknown',
        `the bridge's policy may not read sys/mounts/${path} (provision grants it)`,
      )
    } else {
      add(
        name,
        'unknown',
        `Vault cannot show one mount (${status ?? 'no answer'}; it needs Vault 1.10+)`,
      )
    }
  }
}

async function checkRole(client: NodeVaultClient, o: VaultChecksOptions, add: Add): Promise<void> {
  const role = o.childToken.role
  if (!o.childToken.enabled) {
    add('token role', 'unknown', 'not used: child tokens are off (CHILD_TOKEN_ENABLED=false)')
    return
  }
  if (role === undefined) {
    add('token role', 'unknown', 'not used: CHILD_TOKEN_ROLE=none (auth/token/create)')
    return
  }
  try {
    const res = (await client.read(tokenRolePath(role))) as { data?: unknown }
    const data = isRecord(res.data) ? res.data : {}
    const sample = agentPolicyName(o.childToken.policyPrefix, 'x')
    const refused = o.agents
      .map((a) => agentPolicyName(o.childToken.policyPrefix, a))
      .filter((p) => !roleAllowsPolicy(data, p))
    if (refused.length > 0) {
      add('token role', 'fail', `${role} does not allow ${refused.join(', ')}: run provision`)
    } else if (o.agents.length === 0 && !roleAllowsPolicy(data, sample)) {
      add('token role', 'ok', `${role} exists (it lists its agents: Vault 1.8)`)
    } else {
      add('token role', 'ok', `${role} allows the agent policies`)
    }
  } catch (err) {
    const status = vaultStatus(err)
    if (status === 404) {
      add('token role', 'fail', `${role} does not exist: run provision (or set CHILD_TOKEN_ROLE)`)
    } else {
      add('token role', 'unknown', `cannot read ${tokenRolePath(role)} (${status ?? 'no answer'})`)
    }
  }
}

async function checkPolicies(
  client: NodeVaultClient,
  o: VaultChecksOptions,
  held: string[] | undefined,
  add: Add,
): Promise<void> {
  const prefix = o.childToken.policyPrefix
  for (const agent of o.agents) {
    const name = `policy ${agent}`
    if (!isAgentPolicyNameSafe(prefix, agent)) {
      add(name, 'fail', `"${agent}" cannot have a Vault policy (Vault lower-cases policy names)`)
      continue
    }
    const policy = agentPolicyName(prefix, agent)
    try {
      await client.read(`sys/policies/acl/${policy}`)
      if (o.childToken.enabled || held === undefined || held.includes(policy)) {
        add(name, 'ok', `${policy} exists`)
      } else {
        add(
          name,
          'unknown',
          `${policy} exists, but the bridge's token does not carry it (needed without child ` +
            'tokens, unless another of its policies grants the same paths)',
        )
      }
    } catch (err) {
      const status = vaultStatus(err)
      if (status === 404) {
        add(
          name,
          'fail',
          `${policy} does not exist: provision --agents <every agent>,${agent} (or gen-policy)`,
        )
      } else {
        add(name, 'unknown', `cannot read sys/policies/acl/${policy} (${status ?? 'no answer'})`)
      }
    }
  }
}

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((p): p is string => typeof p === 'string') : undefined
