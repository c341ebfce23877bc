/**
 * @module test/helpers/jwt-exchange: a Vault set up for JWT exchange as `provision` sets it up
 * (agent policies, the JWT auth method trusting a JWKS served on loopback, one role per agent),
 * with names unique to the run, behind a recording proxy; plus the callers' RS256 tokens.
 */
import { randomUUID } from 'node:crypto'
import nodeVault from 'node-vault'
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose'
import { loadConfig } from '../../src/config/load.js'
import type { Config } from '../../src/config/schema.js'
import { withCredential, type CallContext, type Principal } from '../../src/core/identity.js'
import { jwtRoleName } from '../../src/vault/jwt-role.js'
import { jwtExchangeSetup } from '../../src/vault/admin/jwt-setup.js'
import {
  createVaultPort,
  type ManagedVaultPort,
  type VaultPortDeps,
} from '../../src/vault/vault-port.js'
import { createNodeVaultClient } from '../../src/vault/node-vault-client.js'
import { provisionVault, type ProvisionResult } from '../../src/vault/admin/provision.js'
import { uniqueName, vaultForTests, type TestVault } from '@vault-mcp-bridge/dev-vault/testing'
import { startKeyServer, type KeyServer } from './auth-app.js'
import { recordingLogger, silentLogger } from './loggers.js'
import { startVaultProxy, type ProxiedRequest, type VaultProxy } from './vault-proxy.js'

export const ISSUER = 'https://idp.exchange.test'
export const AUDIENCE = 'vault-mcp-bridge-exchange'

export interface ExchangeVault {
  vault: TestVault
  root: nodeVault.client
  proxy: VaultProxy
  keys: KeyServer
  /**
   * The bridge's environment for this Vault (through the proxy, with the root token as the
   * bridge's own): JWKS, issuer, audience and JWT exchange set; `extra` on top.
   */
  env(extra?: Record<string, string>): Record<string, string>
  /** `loadConfig(env(extra))`. */
  config(extra?: Record<string, string>): Config
  prefix: string
  policyPrefix: string
  mount: string
  /** The agents provisioned (each with its policy and JWT role). */
  agents: string[]
  /** The JWT role of `agent`. */
  role(agent: string): string
  /** What `provision` reported. */
  provisioned: ProvisionResult
  /** The bridge's own policy that `provision` wrote. */
  bridgePolicyName: string
  /**
   * Provisions again with the same settings, or with `agents`, `prune` and the bridge settings
   * `env` on top of the stack's.
   */
  provision(o?: {
    agents?: string[]
    prune?: boolean
    env?: Record<string, string>
  }): Promise<ProvisionResult>
  /** An RS256 token from the JWKS (subject `agent`, the audience, 10 minutes); `claims` on top. */
  token(agent: string, claims?: Record<string, unknown>): Promise<string>
  /**
   * A started Vault port with the bridge's settings (`env(extra)`), closed with the stack;
   * `deps` are the port's seams (logger, metrics, clock).
   */
  port(
    extra?: Record<string, string>,
    deps?: Partial<Pick<VaultPortDeps, 'logger' | 'metrics' | 'now'>>,
  ): Promise<ManagedVaultPort>
  /** A request context as the JWT strategy makes it for `token` (no check of its own). */
  ctx(agent: string, token: string): CallContext
  /** The logins the proxy saw at the mount. */
  logins(): ProxiedRequest[]
  /** The revocations the proxy saw. */
  revokes(): ProxiedRequest[]
  /** Whether Vault still knows `token` (root lookup). */
  alive(token: string): Promise<boolean>
  close(): Promise<void>
}

/** Starts it: `agents` fresh agent names (lower-case, unique to the run). */
export async function startExchangeVault(
  agentNames: string[] = ['alice', 'bob'],
): Promise<ExchangeVault> {
  const vault = await vaultForTests()
  const closers: (() => Promise<unknown>)[] = [() => vault.close()]
  const root = nodeVault({
    endpoint: vault.url,
    token: vault.rootToken,
    debug: () => {},
    noCustomHTTPVerbs: true,
  })
  const signer: { privateKey: CryptoKey; publicKey: CryptoKey } = await generateKeyPair('RS256')
  const jwk = { ...(await exportJWK(signer.publicKey)), kid: 'exchange', alg: 'RS256', use: 'sig' }
  const keys = await startKeyServer({ keys: [jwk] })
  closers.push(() => keys.stop())
  const proxy = await startVaultProxy(vault.url)
  closers.push(() => proxy.close())

  const prefix = uniqueName('mcp')
  const policyPrefix = `${uniqueName('agent')}-`
  const mount = uniqueName('jwt')
  const childTokenRole = uniqueName('bridge-agents')
  const appRoleMount = uniqueName('approle')
  const agents = agentNames.map((n) => uniqueName(n))
  const env = (extra: Record<string, string> = {}) => ({
    VAULT_ADDR: proxy.url,
    VAULT_TOKEN: vault.rootToken,
    DEFAULT_PREFIX: prefix,
    CHILD_TOKEN_POLICY_PREFIX: policyPrefix,
    CHILD_TOKEN_ROLE: childTokenRole,
    VAULT_APPROLE_MOUNT: appRoleMount,
    JWT_JWKS_URL: keys.jwksUrl,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    VAULT_JWT_EXCHANGE_ENABLED: 'true',
    VAULT_JWT_EXCHANGE_MOUNT: mount,
    RATE_LIMIT_ENABLED: 'false',
    AUDIT_LOG: 'off',
    ...extra,
  })
  const config = (extra?: Record<string, string>) => loadConfig(env(extra))
  // Provisioned straight at Vault (not through the proxy), as an operator would.
  const admin = createNodeVaultClient(config({ VAULT_ADDR: vault.url }).vault, {
    token: vault.rootToken,
    logger: silentLogger(),
  })
  closers.push(async () => admin.close())
  const bridgePolicyName = uniqueName('bridge')
  const roleName = uniqueName('bridge')
  const provision = (
    o: { agents?: string[]; prune?: boolean; env?: Record<string, string> } = {},
  ) => {
    const c = config(o.env)
    return provisionVault({
      client: admin,
      agents: o.agents ?? agents,
      kvMount: c.vault.kvMount,
      transitMount: c.vault.transitMount,
      prefix,
      policyPrefix,
      appRoleMount,
      bridgePolicyName,
      roleName,
      childTokenRole,
      jwtExchange: jwtExchangeSetup(c),
      prune: o.prune === true,
    })
  }
  closers.push(async () => {
    await root.delete(`sys/auth/${mount}`).catch(() => 0)
    await root.delete(`sys/auth/${appRoleMount}`).catch(() => 0)
    await root.delete(`auth/token/roles/${childTokenRole}`).catch(() => 0)
  })
  const provisioned = await provision()

  return {
    vault,
    root,
    proxy,
    keys,
    env,
    config,
    prefix,
    policyPrefix,
    mount,
    agents,
    role: (agent) => jwtRoleName(config().jwtExchange.roleTemplate, agent),
    provisioned,
    bridgePolicyName,
    provision,
    async port(extra, deps = {}) {
      const c = config(extra)
      const port = createVaultPort({
        vault: c.vault,
        childToken: c.childToken,
        jwtExchange: c.jwtExchange,
        logger: recordingLogger().logger,
        ...deps,
      })
      closers.push(() => port.close())
      await port.start()
      return port
    },
    token(agent, claims = {}) {
      const now = Math.floor(Date.now() / 1000)
      return new SignJWT({
        iss: ISSUER,
        aud: AUDIENCE,
        sub: agent,
        iat: now,
        exp: now + 600,
        scope: 'read write delete list',
        jti: randomUUID(),
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', kid: 'exchange' })
        .sign(signer.privateKey)
    },
    ctx(agent, token) {
      const [, payload] = token.split('.')
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >
      const principal: Principal = withCredential(
        { agent, scopes: ['read', 'write', 'delete', 'list'], method: 'jwt' },
        { kind: 'jwt', token, source: 'jwks', claims },
      )
      return { principal, requestId: uniqueName('req') }
    },
    logins: () => proxy.requests.filter((r) => r.path === `auth/${mount}/login`),
    revokes: () => proxy.requests.filter((r) => r.path === 'auth/token/revoke'),
    alive: (token) =>
      root.write('auth/token/lookup', { token }).then(
        () => true,
        () => false,
      ),
    async close() {
      for (const fn of closers.reverse()) await fn().catch(() => undefined)
    },
  }
}
