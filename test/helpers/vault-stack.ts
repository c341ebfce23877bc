/**
 * @module test/helpers/vault-stack: the bridge's core as the composition root builds it (Vault
 * port, secrets service, operation runner) against the dev vault or a real Vault, with names
 * unique to the run so that it can share a real Vault.
 */
import nodeVault from 'node-vault'
import { createBridgeCore, type BridgeCore } from '../../src/bridge.js'
import { loadConfig } from '../../src/config/load.js'
import type { Config } from '../../src/config/schema.js'
import { SCOPES, type Principal, type Scope } from '../../src/core/identity.js'
import type { OperationRunner } from '../../src/core/operations.js'
import type { OperationEvent, SecurityEvent, VaultPort } from '../../src/core/ports.js'
import type { SecretsService } from '../../src/core/secrets-service.js'
import { createNodeVaultSession } from '../../src/vault/node-vault-session.js'
import { renderAgentPolicy } from '../../src/vault/admin/policy.js'
import { agentPolicyName } from '../../src/vault/policy-name.js'
import type { ManagedVaultPort } from '../../src/vault/vault-port.js'
import { uniqueName, vaultForTests, type TestVault } from '@vault-mcp-bridge/dev-vault/testing'
import { recordingLogger, type LogLine } from './loggers.js'
import { writeTestTokenRole } from './token-role.js'

// Re-exported: the suites import it from here, the module the child-token run substitutes.
export { recordingLogger, type LogLine } from './loggers.js'

export interface VaultStack {
  vault: TestVault
  config: Config
  /** DEFAULT_PREFIX of this stack, unique to the run (`mcp-<run>-<n>`). */
  prefix: string
  /** The core from src/bridge.ts; `port`, `service` and `runner` are its parts. */
  core: BridgeCore
  port: ManagedVaultPort
  service: SecretsService
  runner: OperationRunner
  /** Every operation the runner finished (the audit observer's view). */
  events: OperationEvent[]
  /** Every security refusal (a refused MCP requestState), as the audit trail gets it. */
  security: SecurityEvent[]
  logs: LogLine[]
  /** A node-vault client with the root token, to look at what Vault really holds. */
  root: nodeVault.client
  /** Whether the transit mount exists (enabling it failed otherwise). */
  transit: boolean
  /** A fresh agent id unique to the run (lower-case, so its policy name is safe). */
  agent(name?: string): string
  /** Writes the agent policies Vault needs for child tokens (gen-policy's text). */
  provision(...agents: string[]): Promise<void>
  close(): Promise<void>
}

export interface VaultStackOptions {
  listMaxKeys?: number
  /** Per-request child tokens bound to each agent's policy (call `provision` for each agent). */
  childTokens?: boolean
  /** METRICS_ENABLED: the core keeps its metrics (`core.metrics`), as serve does. */
  metrics?: boolean
  /** TRANSIT_MOUNT, and whether the stack mounts Transit there (default true). */
  transitMount?: string
  mountTransit?: boolean
  /** More configuration (`OPERATIONS`, `READ_ONLY`, `WRAP_TTL_MAX`, ...), over the stack's own. */
  env?: Record<string, string>
}

/**
 * Starts the stack against `vaultForTests()` (a real Vault when VAULT_ADDR and VAULT_TOKEN are
 * set, else a dev vault on 127.0.0.1:0). The transit mount is enabled when missing.
 */
export async function startVaultStack(options: VaultStackOptions = {}): Promise<VaultStack> {
  const vault = await vaultForTests()
  const prefix = uniqueName('mcp')
  const root = nodeVault({
    endpoint: vault.url,
    token: vault.rootToken,
    debug: () => {},
    noCustomHTTPVerbs: true,
  })
  const config = loadConfig({
    CHILD_TOKEN_ROLE: uniqueName('bridge-agents'),
    VAULT_ADDR: vault.url,
    VAULT_TOKEN: vault.rootToken,
    DEFAULT_PREFIX: prefix,
    LIST_MAX_KEYS: String(options.listMaxKeys ?? 1000),
    ...(options.transitMount ? { TRANSIT_MOUNT: options.transitMount } : {}),
    CHILD_TOKEN_ENABLED: options.childTokens ? 'true' : 'false',
    MAX_BODY_BYTES: String(64 * 1024),
    RATE_LIMIT_ENABLED: 'false',
    // HTTP layers over this core answer many unauthenticated test requests from one address.
    AUTH_FAILURE_LIMIT: '1000000',
    METRICS_ENABLED: options.metrics ? 'true' : 'false',
    // The suites look at `events` instead.
    AUDIT_LOG: 'off',
    ...options.env,
  })
  // Child tokens are minted through a token role, as `provision` writes it.
  const tokenRole = await writeTestTokenRole(root, {
    policyPrefix: config.childToken.policyPrefix,
    name: config.childToken.role,
  })
  const transit =
    options.mountTransit === false
      ? false
      : await ensureTransitMount(root, config.vault.transitMount)

  const { logger, lines } = recordingLogger()
  const events: OperationEvent[] = []
  const security: SecurityEvent[] = []
  const core = await createBridgeCore(config, {
    logger,
    observer: { operationFinished: (e) => void events.push(e) },
    security: { securityEvent: (e) => void security.push(e) },
  })

  return {
    vault,
    config,
    prefix,
    core,
    port: core.vault,
    service: core.service,
    runner: core.runner,
    events,
    security,
    logs: lines,
    root,
    transit,
    agent: (name = 'agent') => uniqueName(name),
    async provision(...agents) {
      for (const agent of agents) {
        const name = agentPolicyName(config.childToken.policyPrefix, agent)
        const policy = renderAgentPolicy({
          agent,
          mount: config.vault.kvMount,
          prefix,
          transitMount: config.vault.transitMount,
          policyPrefix: config.childToken.policyPrefix,
        })
        await root.request({ path: `/sys/policies/acl/${name}`, method: 'PUT', json: { policy } })
        await tokenRole.allow(name)
      }
    },
    async close() {
      await core.close()
      await tokenRole.remove()
      await vault.close()
    },
  }
}

/** A principal as an authenticator would make it (all scopes unless given). */
export function principal(agent: string, scopes: readonly Scope[] = SCOPES): Principal {
  return { agent, scopes: [...scopes], method: 'api_key' }
}

/** Enables Transit at `mount` when it is missing; false when that failed (no permission). */
export async function ensureTransitMount(root: nodeVault.client, mount: string): Promise<boolean> {
  const mounts = (await root.request({ path: '/sys/mounts', method: 'GET' })) as {
    data?: Record<string, unknown>
  }
  const table = mounts.data ?? (mounts as Record<string, unknown>)
  if (`${mount}/` in table) return true
  try {
    await root.request({ path: `/sys/mounts/${mount}`, method: 'POST', json: { type: 'transit' } })
    return true
  } catch {
    return false
  }
}

/** One session of a counting port: the Vault calls it announced and the HTTP calls it made. */
export interface SessionUse {
  agent: string
  announced: number
  used: number
}

/**
 * A VaultPort over node-vault and the real session, with one token for every agent, that
 * counts the HTTP calls each session makes against the bound it announced (`uses`). Use it to
 * check the service's bounds exactly; production uses `createVaultPort`.
 */
export function createCountingVaultPort(options: {
  url: string
  token: string
  kvMount?: string
  transitMount?: string
}): VaultPort & { uses: SessionUse[] } {
  const client = nodeVault({ endpoint: options.url, token: options.token, debug: () => {} })
  const uses: SessionUse[] = []
  return {
    uses,
    // One token for every agent: the bridge's own, as without child tokens.
    identity: () => 'bridge_token',
    async session(ctx, calls, fn) {
      const use: SessionUse = { agent: ctx.principal.agent, announced: calls, used: 0 }
      uses.push(use)
      const counting = {
        request: (o: Parameters<nodeVault.client['request']>[0]) => {
          use.used += 1
          return client.request(o)
        },
      }
      const session = createNodeVaultSession(counting, {
        kvMount: options.kvMount ?? 'secret',
        transitMount: options.transitMount ?? 'transit',
        ...(ctx.trace ? { trace: ctx.trace } : {}),
      })
      return fn(session)
    },
    async readiness() {
      try {
        await client.request({ path: '/sys/health', method: 'GET' })
        return { ready: true }
      } catch {
        return { ready: false, reason: 'vault unreachable' }
      }
    },
  }
}
