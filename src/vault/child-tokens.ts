/**
 * @module vault/child-tokens: the pool of per-request child tokens, each bound to one agent's
 * Vault policy: minted under the bridge token through the token role (CHILD_TOKEN_ROLE), reused
 * for CHILD_TOKEN_REUSE_SECONDS when asked, and revoked once no session holds them. A refused
 * mint tells the operator what to do.
 */
import type { Config } from '../config/schema.js'
import { AppError } from '../core/errors.js'
import type { CallContext } from '../core/identity.js'
import type { Logger } from '../observability/logger.js'
import type { Metrics } from '../observability/metrics.js'
import type { BridgeToken } from './bridge-token.js'
import type { NodeVaultClient, NodeVaultClientFactory } from './node-vault-client.js'
import { agentPolicyName, isAgentPolicyNameSafe } from './policy-name.js'
import { mintPath, roleAllowsPolicy, tokenRolePath } from './token-role.js'
import {
  VaultCallError,
  describeVaultFailure,
  fromVaultError,
  isRecord,
  isVaultUnavailable,
  vaultCause,
  vaultStatus,
  vaultUnavailable,
} from './vault-errors.js'

/** One child token and who holds it. */
export interface ChildLease {
  agent: string
  token: string
  client: NodeVaultClient
  /** Uses granted (0 = unlimited: reused tokens) and uses made so far. */
  uses: number
  used: number
  /** The bridge token it was minted under (a child dies with its parent). */
  parent: string
  /** Reused tokens: usable for new sessions until then (ms); 0 for single-request tokens. */
  reuseUntil: number
  /** When Vault lets the token expire (ms, its TTL from the mint). */
  expiresAt: number
  refs: number
  retired: boolean
}

export interface ChildTokenPoolDeps {
  childToken: Config['childToken']
  log: Logger
  now: () => number
  clients: () => NodeVaultClientFactory
  /** The bridge token in place now (child tokens are revoked with it). */
  currentBridgeToken: () => BridgeToken | undefined
  /**
   * Without a token role, the bridge token lacks an agent's policy: AppRole logs in again to
   * pick it up (true: a token with it is in place; `currentBridgeToken()` returns it).
   */
  gainPolicy: (used: BridgeToken, policy: string) => Promise<boolean>
  metrics?: Pick<Metrics, 'childTokenMinted' | 'childTokenRevokeFailed'>
}

export interface ChildTokenPool {
  /**
   * A child token for one session of `ctx`'s agent that makes at most `calls` Vault calls:
   * a fresh one with just enough uses, or the agent's reused one.
   * @throws FORBIDDEN when the agent can have no policy of its own, its policy does not exist in
   *   Vault, or Vault refuses the mint (a 403 is `isMintRefusal`), each with what an operator
   *   can do; VAULT_UNAVAILABLE when Vault is unreachable.
   */
  acquire(ctx: CallContext, calls: number, parent: BridgeToken): Promise<ChildLease>
  /** The session is done with the lease; a retired lease is revoked once nobody holds it. */
  release(lease: ChildLease): void
  /** No new session may use the lease (it died, or its parent changed). */
  retire(lease: ChildLease): void
  /** Retires every reused token (the bridge token changed: new sessions get its children). */
  retireReused(): void
  /** Retires reused tokens whose window has passed. */
  sweep(): void
  /** Revokes every live child token. */
  close(): Promise<void>
}

export function createChildTokenPool(deps: ChildTokenPoolDeps): ChildTokenPool {
  const { childToken: cfg, log, now, clients } = deps
  const path = mintPath(cfg.role)
  const reuse = new Map<string, ChildLease | Promise<ChildLease>>()
  const live = new Set<ChildLease>()

  async function acquire(ctx: CallContext, calls: number, parent: BridgeToken) {
    const agent = ctx.principal.agent
    if (!isAgentPolicyNameSafe(cfg.policyPrefix, agent)) {
      throw new AppError(
        'FORBIDDEN',
        'This agent id cannot have its own Vault policy (Vault lower-cases policy names); ' +
          'ask the operator for a lower-case agent id.',
      )
    }
    if (cfg.reuseSeconds <= 0) {
      const lease = await mint(ctx, parent, usesFor(calls), 0)
      lease.refs = 1
      return lease
    }
    // Security: reuse is keyed by agent, and each token carries that agent's policy only, so
    // a reused token never serves another agent.
    for (let round = 0; round < 3; round++) {
      const entry = reuse.get(agent)
      if (entry instanceof Promise) {
        await entry.catch(() => undefined)
        continue
      }
      if (entry && !entry.retired && entry.parent === parent.token && now() < entry.reuseUntil) {
        entry.refs += 1
        return entry
      }
      if (entry) {
        reuse.delete(agent)
        retire(entry)
      }
      const minting = mint(ctx, parent, 0, cfg.reuseSeconds)
      reuse.set(agent, minting)
      try {
        const fresh = await minting
        fresh.refs += 1
        if (reuse.get(agent) === minting) reuse.set(agent, fresh)
        else fresh.retired = true
        return fresh
      } catch (err) {
        if (reuse.get(agent) === minting) reuse.delete(agent)
        throw err
      }
    }
    // Only under heavy churn: fall back to a token for this request alone.
    const lease = await mint(ctx, parent, usesFor(calls), 0)
    lease.refs = 1
    return lease
  }

  async function mint(
    ctx: CallContext,
    parent: BridgeToken,
    uses: number,
    reuseSeconds: number,
  ): Promise<ChildLease> {
    const agent = ctx.principal.agent
    const policy = agentPolicyName(cfg.policyPrefix, agent)
    const ttl = Math.max(1, Math.ceil(cfg.ttlSeconds + reuseSeconds))
    const body = {
      policies: [policy],
      no_default_policy: true,
      ttl: `${ttl}s`,
      // The role bounds the lifetime itself (and would warn about a second bound).
      ...(cfg.role === undefined ? { explicit_max_ttl: `${ttl}s` } : {}),
      num_uses: uses,
      renewable: false,
      display_name: `mcp-${agent}`,
      // Vault's own audit log attributes every call of this token to the agent and request.
      meta: {
        agent,
        auth_method: ctx.principal.method,
        request_id: ctx.requestId,
        ...(ctx.clientRequestId ? { client_request_id: ctx.clientRequestId } : {}),
      },
    }
    let minter = parent
    let res: MintResponse
    try {
      res = (await minter.client.write(path, body)) as MintResponse
    } catch (err) {
      // Without a role, Vault hands out only policies the bridge token holds (400): an AppRole
      // login picks up an agent provisioned since the last one.
      const retry =
        cfg.role === undefined &&
        vaultStatus(err) === 400 &&
        (await deps.gainPolicy(parent, policy))
      const fresh = retry ? deps.currentBridgeToken() : undefined
      if (!fresh) throw await mintError(err, agent, policy, parent)
      minter = fresh
      try {
        res = (await minter.client.write(path, body)) as MintResponse
      } catch (again) {
        throw await mintError(again, agent, policy, minter)
      }
    }
    const token = res.auth?.client_token
    if (!token) throw new AppError('INTERNAL', 'Vault returned no child token.')
    // Vault mints a token even for a policy that does not exist, and says so in a warning that
    // names it. Such a token can do nothing: revoke it and tell the operator what is missing.
    const warnings = Array.isArray(res.warnings) ? res.warnings : []
    if (warnings.some((w) => typeof w === 'string' && w.includes(`"${policy}"`))) {
      await revokeToken(minter.client, token, agent)
      log.warn(
        { event: 'child_token_policy_missing', agent, policy },
        'The agent has no Vault policy; refused its request.',
      )
      throw new AppError('FORBIDDEN', policyMissing(agent, policy))
    }
    const lease: ChildLease = {
      agent,
      token,
      client: clients().client(token),
      uses,
      used: 0,
      parent: minter.token,
      reuseUntil: reuseSeconds > 0 ? now() + reuseSeconds * 1000 : 0,
      expiresAt: now() + ttl * 1000,
      refs: 0,
      retired: reuseSeconds <= 0,
    }
    live.add(lease)
    deps.metrics?.childTokenMinted()
    return lease
  }

  /**
   * Why Vault refused to mint, as the operator's next step. Vault answers 400 for a policy the
   * role does not allow and for a role that does not exist; the role's definition (which the
   * bridge's policy lets it read) tells the two apart, by status, never by Vault's wording.
   */
  async function mintError(
    err: unknown,
    agent: string,
    policy: string,
    parent: BridgeToken,
  ): Promise<AppError> {
    if (err instanceof AppError) return err
    const status = vaultStatus(err)
    const cause = vaultCause(err, 'POST', path)
    if (isVaultUnavailable(err)) return vaultUnavailable('down', cause)
    if (status === undefined || status >= 500) {
      return fromVaultError(err, 'vault', { method: 'POST', path })
    }
    const forbidden = (message: string) => new AppError('FORBIDDEN', message, { cause })
    if (status === 403) {
      return forbidden(
        `The bridge's Vault policy does not allow it to create child tokens at ${path}. An ` +
          'operator can run `vault-mcp-bridge provision` (it writes the bridge policy mcp-bridge) ' +
          `or grant "update" on ${path} to the bridge's token.`,
      )
    }
    if (status !== 400) return forbidden('Vault refused to create a token for this request.')
    const role = cfg.role
    if (role === undefined) {
      return forbidden(
        `The bridge's own Vault token does not hold the policy "${policy}" of agent "${agent}", ` +
          'and with CHILD_TOKEN_ROLE=none it can hand out only policies it holds. An operator can ' +
          `add the agent with \`vault-mcp-bridge provision --agents <every agent>,${agent}\` ` +
          '(a bridge that logs in with AppRole picks it up by itself; one with VAULT_TOKEN needs ' +
          'a token that holds the policy), or let the bridge mint through a token role ' +
          '(CHILD_TOKEN_ROLE, written by provision).',
      )
    }
    let definition: unknown
    try {
      definition = await parent.client.read(tokenRolePath(role))
    } catch (readErr) {
      if (vaultStatus(readErr) === 404) {
        return forbidden(
          `The token role "${role}" (CHILD_TOKEN_ROLE) does not exist in Vault, so the bridge ` +
            'cannot create child tokens. An operator can write it with `vault-mcp-bridge ' +
            'provision`, or set CHILD_TOKEN_ROLE to the token role made for the bridge.',
        )
      }
    }
    const data = isRecord(definition) && isRecord(definition.data) ? definition.data : undefined
    if (data && roleAllowsPolicy(data, policy)) {
      return forbidden(`Vault refused to create a child token through the token role "${role}".`)
    }
    return forbidden(
      `The token role "${role}" (CHILD_TOKEN_ROLE) ` +
        (data ? 'does not allow' : 'is missing or does not allow') +
        ` the policy "${policy}" of agent "${agent}". An operator can run \`vault-mcp-bridge ` +
        `provision --agents <every agent>,${agent}\` with the bridge's ` +
        'CHILD_TOKEN_POLICY_PREFIX: it writes the role (on Vault 1.8, which has no policy globs, ' +
        'the role lists each agent).',
    )
  }

  async function revokeToken(client: NodeVaultClient, token: string, agent: string) {
    try {
      await client.write('auth/token/revoke', { token })
    } catch (err) {
      deps.metrics?.childTokenRevokeFailed()
      log.warn(
        { event: 'child_token_revoke_failed', agent, vault: describeVaultFailure(err, 'revoke') },
        'Could not revoke a child token; it expires by its TTL.',
      )
    }
  }

  function release(lease: ChildLease): void {
    lease.refs -= 1
    if (lease.retired && lease.refs <= 0) void revoke(lease)
  }

  function retire(lease: ChildLease): void {
    lease.retired = true
    if (lease.refs <= 0) void revoke(lease)
  }

  async function revoke(lease: ChildLease): Promise<void> {
    if (!live.delete(lease)) return
    // A token whose last use is spent has already been revoked by Vault.
    if (lease.uses > 0 && lease.used >= lease.uses) return
    const revoker = deps.currentBridgeToken()?.client ?? clients().client(lease.parent)
    await revokeToken(revoker, lease.token, lease.agent)
  }

  return {
    acquire,
    release,
    retire,
    retireReused() {
      for (const [agent, entry] of reuse) {
        if (!(entry instanceof Promise)) retire(entry)
        reuse.delete(agent)
      }
    },
    sweep() {
      for (const [agent, entry] of reuse) {
        if (entry instanceof Promise || now() < entry.reuseUntil) continue
        reuse.delete(agent)
        retire(entry)
      }
    },
    async close() {
      const leases = [...live]
      reuse.clear()
      await Promise.all(leases.map((lease) => revoke(lease)))
    },
  }
}

/**
 * Whether a child token may have died under its session, judged by what the bridge knows
 * (never by Vault's wording): its uses are spent, its TTL has passed, or it is a reused token,
 * which lives long enough for someone to revoke it (a reused token that is refused is retired
 * and the session retried once: at worst one extra mint for a real denial).
 */
export const childMayHaveDied = (lease: ChildLease, at: number): boolean =>
  (lease.uses > 0 && lease.used > lease.uses) || at >= lease.expiresAt || lease.reuseUntil > 0

/**
 * Whether `err` is Vault refusing to mint a child token with a 403: the bridge's own token may
 * have died, which the session recovers from.
 */
export function isMintRefusal(err: unknown): boolean {
  return (
    err instanceof AppError &&
    err.code === 'FORBIDDEN' &&
    err.cause instanceof VaultCallError &&
    err.cause.path.startsWith(mintPath(undefined)) &&
    err.cause.status === 403
  )
}

/** What Vault answers to a mint. */
interface MintResponse {
  auth?: { client_token?: string }
  warnings?: unknown
}

/** The agent's policy does not exist in the Vault (and namespace) the bridge uses. */
const policyMissing = (agent: string, policy: string): string =>
  `Vault has no policy "${policy}" for agent "${agent}", so the bridge cannot act for it. An ` +
  `operator can write it with \`vault-mcp-bridge provision --agents <every agent>,${agent}\` ` +
  `or apply \`vault-mcp-bridge gen-policy --agent ${agent}\`; if that was just done, check that ` +
  "it went to the bridge's Vault (VAULT_ADDR, VAULT_NAMESPACE) with the bridge's " +
  'CHILD_TOKEN_POLICY_PREFIX.'

/**
 * Uses of a per-request child token: the calls the operation announced, plus one for the
 * metadata read a session makes to explain a refused check-and-set write.
 */
const usesFor = (calls: number): number => Math.max(1, Math.ceil(calls)) + 1
