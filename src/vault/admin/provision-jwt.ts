/**
 * @module vault/admin/provision-jwt: the JWT-exchange part of `provision`: Vault's JWT auth
 * method at VAULT_JWT_EXCHANGE_MOUNT, configured with the bridge's own JWKS or OIDC issuer, and
 * one role per agent. Idempotent like the rest of provision: read, compare, write what differs.
 */
import { AGENT_PLACEHOLDER } from '../../config/schema.js'
import { jwtConfigPath, jwtRoleName, jwtRolePath } from '../jwt-role.js'
import type { NodeVaultClient } from '../node-vault-client.js'
import { agentPolicyName } from '../policy-name.js'
import {
  canHaveJwtRole,
  jwtAuthConfig,
  jwtRoleSettings,
  type JwtExchangeSetup,
} from './jwt-setup.js'

type Body = Record<string, unknown>

/** What provisionVault lends this step: its client, its error handling and its report. */
export interface JwtProvisionContext {
  client: NodeVaultClient
  setup: JwtExchangeSetup
  agents: string[]
  policyPrefix: string
  prune: boolean
  /** `sys/auth`'s table (`<path>/` → entry). */
  auths: Body
  /** Runs a Vault call; a failure becomes a ProvisionError that says `Could not <what>`. */
  call<T>(what: string, fn: () => Promise<T>, hint?: string): Promise<T>
  /** Reads `path`; undefined on a 404. */
  readOrAbsent(what: string, path: string): Promise<Body | undefined>
  /** Throws the ProvisionError for a setting an operator must change. */
  refuse(message: string): never
  changes: string[]
  warnings: string[]
}

/**
 * Enables the JWT auth method at the mount (a mount of another type is the operator's to move),
 * writes its config when it differs from the bridge's JWT settings (keeping a CA PEM an operator
 * set), writes each agent's role when it differs, and reports (or with `prune` deletes) roles of
 * agents that are no longer listed.
 */
export async function provisionJwtExchange(x: JwtProvisionContext): Promise<void> {
  const { client, setup } = x
  const mount = setup.mount
  const unnamed = x.agents.filter((a) => !canHaveJwtRole(setup, a))
  if (unnamed.length > 0) {
    x.refuse(
      `${unnamed.map((a) => `"${a}"`).join(', ')} cannot name a JWT role under ` +
        `VAULT_JWT_EXCHANGE_ROLE "${setup.roleTemplate}": role names start and end with a ` +
        'letter, digit or "_".',
    )
  }
  const entry = x.auths[`${mount}/`] as Body | undefined
  if (entry && entry.type !== 'jwt' && entry.type !== 'oidc') {
    x.refuse(
      `auth/${mount}/ is a ${String(entry.type)} auth method; set VAULT_JWT_EXCHANGE_MOUNT to ` +
        'another path.',
    )
  }
  if (!entry) {
    await x.call(`enable jwt at auth/${mount}/`, () =>
      client.write(`sys/auth/${mount}`, {
        type: 'jwt',
        description: 'vault-mcp-bridge: callers log in with their own JWT',
      }),
    )
    x.changes.push(`enabled jwt at auth/${mount}/`)
  }

  const wantedConfig = jwtAuthConfig(setup)
  const existing = (await x.readOrAbsent(`read auth/${mount}/config`, jwtConfigPath(mount)))
    ?.data as Body | undefined
  if (!existing || !sameSettings(existing, wantedConfig)) {
    // An operator's CA for the identity provider stays (the bridge has no setting for it).
    const caField = 'jwks_url' in wantedConfig ? 'jwks_ca_pem' : 'oidc_discovery_ca_pem'
    const ca = existing?.[caField]
    const body = {
      ...wantedConfig,
      ...(typeof ca === 'string' && ca !== '' ? { [caField]: ca } : {}),
    }
    await x.call(
      `configure auth/${mount}`,
      () => client.write(jwtConfigPath(mount), body),
      'Vault fetches the JWKS (or the OIDC discovery document) when the config is written, so ' +
        'it must reach JWT_JWKS_URL (or JWT_ISSUER) itself',
    )
    x.changes.push(`${existing ? 'updated' : 'wrote'} config of auth/${mount}`)
  }

  for (const agent of x.agents) {
    const role = jwtRoleName(setup.roleTemplate, agent)
    const wanted = jwtRoleSettings(setup, agent, agentPolicyName(x.policyPrefix, agent))
    const path = jwtRolePath(mount, role)
    const current = (await x.readOrAbsent(`read JWT role ${role}`, path))?.data as Body | undefined
    if (current && sameSettings(current, wanted)) continue
    await x.call(`write JWT role ${role}`, () => client.write(path, wanted))
    x.changes.push(`${current ? 'updated' : 'created'} JWT role ${role} at auth/${mount}`)
  }

  // Roles named like an agent's that belong to no listed agent still let that agent log in.
  const [before, after] = setup.roleTemplate.split(AGENT_PLACEHOLDER) as [string, string]
  const listed = await x.readOrAbsent(`list roles of auth/${mount}`, `auth/${mount}/role?list=true`)
  const keys = (listed?.data as Body | undefined)?.keys
  const roles = Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : []
  const ours = new Set(x.agents.map((a) => jwtRoleName(setup.roleTemplate, a)))
  for (const role of roles) {
    const named = role.length > before.length + after.length
    if (!named || !role.startsWith(before) || !role.endsWith(after) || ours.has(role)) continue
    if (x.prune) {
      await x.call(`delete JWT role ${role}`, () => client.delete(jwtRolePath(mount, role)))
      x.changes.push(`deleted JWT role ${role} at auth/${mount}`)
    } else {
      x.warnings.push(
        `JWT role ${role} at auth/${mount} belongs to an agent not in --agents; its callers can ` +
          'log in while it exists (--prune deletes it)',
      )
    }
  }
}

/**
 * Whether Vault's read-back `actual` has the `wanted` settings: lists compared as sets, and an
 * empty list or map the same as one Vault shows as null.
 */
export function sameSettings(actual: Body, wanted: Body): boolean {
  return Object.entries(wanted).every(([key, value]) => same(actual[key], value))
}

function same(have: unknown, want: unknown): boolean {
  if (Array.isArray(want)) {
    const a = Array.isArray(have) ? have.map(String).sort() : []
    return JSON.stringify(a) === JSON.stringify(want.map(String).sort())
  }
  if (want !== null && typeof want === 'object') {
    const h = have !== null && typeof have === 'object' ? (have as Body) : {}
    const w = want as Body
    const keys = new Set([...Object.keys(h), ...Object.keys(w)])
    return [...keys].every((k) => k in h && k in w && same(h[k], w[k]))
  }
  return have === want
}
