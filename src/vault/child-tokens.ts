/**
 * @module vault/child-tokens: the pool of per-request child tokens, each bound to one agent's
 * Vault policy: minted under the bridge token, reused for CHILD_TOKEN_REUSE_SECONDS when asked,
 * and revoked once no session holds them.
 */
import type { Config } from '../config/schema.js'
import { AppError } from '../core/errors.js'
import type { CallContext } from '../core/identity.js'
import type { Logger } from '../observability/logger.js'
import type { Metrics } from '../observability/metrics.js'
import type { BridgeToken } from './bridge-token.js'
import type { NodeVaultClient, NodeVaultClientFactory } from './node-vault-client.js'
import { agentPolicyName, isAgentPolicyNameSafe } from './policy-name.js'
import {
  VaultCallError,
  describeVaultFailure,
  fromVaultError,
  isVaultUnavailable,
  vaultCause,
  vaultStatus,
  vaultUnavailable,
} from './vault-errors.js'

/** Vault's path for minting child tokens (a refused mint is told apart by it). */
const MINT_PATH = 'auth/token/create'

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
  metrics?: Pick<Metrics, 'childTokenMinted' | 'childTokenRevokeFailed'>
}

export interface ChildTokenPool {
  /**
   * A child token for one session of `ctx`'s agent that makes at most `calls` Vault calls:
   * a fresh one with just enough uses, or the agent's reused one.
   * @throws FORBIDDEN when the agent can have no policy of its own or Vault refuses the mint
   *   (`isMintRefusal`), VAULT_UNAVAILABLE when Vault is unreachable.
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
    const ttl = Math.max(1, Math.ceil(cfg.ttlSeconds + reuseSeconds))
    let res: { auth?: { client_token?: string } }
    try {
      res = (await parent.client.write(MINT_PATH, {
        policies: [agentPolicyName(cfg.policyPrefix, agent)],
        no_default_policy: true,
        ttl: `${ttl}s`,
        explicit_max_ttl: `${ttl}s`,
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
      })) as { auth?: { client_token?: string } }
    } catch (err) {
      throw mintError(err, agent)
    }
    const token = res.auth?.client_token
    if (!token) throw new AppError('INTERNAL', 'Vault returned no child token.')
    const lease: ChildLease = {
      agent,
      token,
      client: clients().client(token),
      uses,
      used: 0,
      parent: parent.token,
      reuseUntil: reuseSeconds > 0 ? now() + reuseSeconds * 1000 : 0,
      expiresAt: now() + ttl * 1000,
      refs: 0,
      retired: reuseSeconds <= 0,
    }
    live.add(lease)
    deps.metrics?.childTokenMinted()
    return lease
  }

  function mintError(err: unknown, agent: string): AppError {
    if (err instanceof AppError) return err
    const status = vaultStatus(err)
    const cause = vaultCause(err, 'POST', MINT_PATH)
    if (isVaultUnavailable(err)) return vaultUnavailable('down', cause)
    if (status === undefined || status >= 500) {
      return fromVaultError(err, 'vault', { method: 'POST', path: MINT_PATH })
    }
    if (status === 400) {
      // "child policies must be subset of parent": the bridge does not hold this agent's policy.
      return new AppError(
        'FORBIDDEN',
        `Vault has no policy for agent "${agent}" that the bridge may hand out. An operator ` +
          'can add it with `vault-mcp-bridge provision --agents ...` (or `gen-policy`).',
        { cause },
      )
    }
    return new AppError('FORBIDDEN', 'Vault refused to create a token for this request.', {
      cause,
    })
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
    try {
      await revoker.write('auth/token/revoke', { token: lease.token })
    } catch (err) {
      deps.metrics?.childTokenRevokeFailed()
      log.warn(
        {
          event: 'child_token_revoke_failed',
          agent: lease.agent,
          vault: describeVaultFailure(err, 'revoke'),
        },
        'Could not revoke a child token; it expires by its TTL.',
      )
    }
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

/** Whether `err` is Vault refusing to mint a child token (a 403 the session may recover from). */
export function isMintRefusal(err: unknown): boolean {
  return (
    err instanceof AppError &&
    err.code === 'FORBIDDEN' &&
    err.cause instanceof VaultCallError &&
    err.cause.path === MINT_PATH
  )
}

/**
 * Uses of a per-request child token: the calls the operation announced, plus one for the
 * metadata read a session makes to explain a refused check-and-set write.
 */
const usesFor = (calls: number): number => Math.max(1, Math.ceil(calls)) + 1
