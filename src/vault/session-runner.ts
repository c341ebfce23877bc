/**
 * @module vault/session-runner: runs one request's Vault session with the caller's own token
 * (JWT exchange), the bridge token or a child token, and recovers once from a 403 that was the
 * token's fault rather than a denial.
 */
import type { Config } from '../config/schema.js'
import { AppError } from '../core/errors.js'
import type { CallContext } from '../core/identity.js'
import type { VaultIdentity, VaultPort, VaultSession } from '../core/ports.js'
import type { Logger } from '../observability/logger.js'
import type { BridgeToken, BridgeTokenKeeper } from './bridge-token.js'
import { childMayHaveDied, isMintRefusal, type ChildTokenPool } from './child-tokens.js'
import { exchangeableCredential, type JwtExchange } from './jwt-exchange.js'
import type { NodeVaultClient } from './node-vault-client.js'
import { createNodeVaultSession } from './node-vault-session.js'
import { agentPolicyName, isAgentPolicyNameSafe } from './policy-name.js'

export interface SessionRunnerDeps {
  vault: Pick<Config['vault'], 'kvMount' | 'transitMount'>
  /** Whether each session runs under a child token (CHILD_TOKEN_ENABLED). */
  childTokens: boolean
  /** CHILD_TOKEN_POLICY_PREFIX: names the agent policy the bridge token may lack. */
  policyPrefix: string
  bridge: Pick<BridgeTokenKeeper, 'ensure' | 'current' | 'recover' | 'gainPolicy'>
  children: Pick<ChildTokenPool, 'acquire' | 'release' | 'retire'>
  /**
   * JWT exchange (VAULT_JWT_EXCHANGE_ENABLED): callers with a JWKS/OIDC token reach Vault with
   * the token Vault's JWT method gives them; the others as above, unless `only` refuses them.
   */
  exchange?: Pick<JwtExchange, 'acquire' | 'release' | 'retire'> & { only: boolean }
  log: Logger
  /** Clock of the child tokens' expiry (ms). */
  now: () => number
}

/** What one attempt learnt about its failure. */
interface Seen {
  /** The FORBIDDEN error that came from a Vault call (a 403), if any. */
  vault403?: unknown
  /** The child token itself was invalid. */
  childDied?: boolean
}

/**
 * `VaultPort.identity`: through which token a session for `ctx` reaches Vault, decided as the
 * session decides it: the caller's own login when JWT exchange takes its credential, else nothing
 * under VAULT_JWT_EXCHANGE_ONLY, else a child token or the bridge token.
 */
export function sessionIdentity(
  deps: Pick<SessionRunnerDeps, 'childTokens' | 'exchange'>,
  ctx: CallContext,
): VaultIdentity {
  if (deps.exchange && exchangeableCredential(ctx)) return 'own_login'
  if (deps.exchange?.only) return 'none'
  return deps.childTokens ? 'child_token' : 'bridge_token'
}

/**
 * `VaultPort.session`: a token that can be used now (else VAULT_UNAVAILABLE), then `fn` with a
 * session over it. A FORBIDDEN from Vault, or a refused child-token mint, is checked once: when
 * the bridge token was dead (and is replaced), the child token died, or (without child tokens)
 * the bridge token lacked the agent's policy and an AppRole login brought it, `fn` runs once
 * more; otherwise the FORBIDDEN is a real denial and is thrown.
 */
export function createSessionRunner(deps: SessionRunnerDeps): VaultPort['session'] {
  const { bridge, children, log } = deps

  /** Runs `fn` once with the bridge token or a fresh child token. */
  async function attempt<T>(
    ctx: CallContext,
    calls: number,
    fn: (vault: VaultSession) => Promise<T>,
    parent: BridgeToken,
    seen: Seen,
  ): Promise<T> {
    const sessionOptions = {
      kvMount: deps.vault.kvMount,
      transitMount: deps.vault.transitMount,
      ...(ctx.trace ? { trace: ctx.trace } : {}),
    }
    if (!deps.childTokens) {
      return fn(tracked(createNodeVaultSession(parent.client, sessionOptions), seen))
    }
    const lease = await children.acquire(ctx, calls, parent)
    // Count the HTTP calls themselves: a session method may make more than one.
    const counting = {
      request: (options: Parameters<NodeVaultClient['request']>[0]) => {
        lease.used += 1
        return lease.client.request(options)
      },
    }
    try {
      return await fn(tracked(createNodeVaultSession(counting, sessionOptions), seen))
    } catch (err) {
      if (seen.vault403 === err && childMayHaveDied(lease, deps.now())) {
        seen.childDied = true
        if (lease.reuseUntil > 0) children.retire(lease)
      }
      throw err
    } finally {
      if (lease.uses > 0 && lease.used > lease.uses) {
        log.warn(
          { event: 'child_token_uses_exceeded', agent: lease.agent, uses: lease.uses },
          'A session made more Vault calls than it announced.',
        )
      }
      children.release(lease)
    }
  }

  /**
   * Wraps a session to see which errors came from Vault calls: a proxy that wraps only the
   * methods a request uses (one or two), not every method of the port.
   */
  function tracked(session: VaultSession, seen: Seen): VaultSession {
    return new Proxy(session, {
      get(target, name, receiver) {
        const method: unknown = Reflect.get(target, name, receiver)
        if (typeof method !== 'function') return method
        return async (...args: unknown[]) => {
          try {
            return await (method as (...a: unknown[]) => Promise<unknown>).apply(target, args)
          } catch (err) {
            if (err instanceof AppError && err.code === 'FORBIDDEN') seen.vault403 = err
            // Security: a failure here, VAULT_UNAVAILABLE included, changes nothing another
            // request sees; whether Vault is reachable is the readiness probe's to decide.
            throw err
          }
        }
      },
    })
  }

  /**
   * Without child tokens the bridge token itself needs the agent's policy: an agent provisioned
   * since the last AppRole login is picked up by logging in again.
   */
  async function gainedPolicy(ctx: CallContext, parent: BridgeToken): Promise<boolean> {
    const agent = ctx.principal.agent
    if (deps.childTokens || !isAgentPolicyNameSafe(deps.policyPrefix, agent)) return false
    return bridge.gainPolicy(parent, agentPolicyName(deps.policyPrefix, agent))
  }

  /**
   * The session as the caller: with the Vault token its own JWT got at Vault's JWT method. A 403
   * with a login this request did not make itself (a cached one, which someone may have revoked)
   * retires that login and runs `fn` once more with a fresh one; a 403 with a fresh login is
   * Vault's denial.
   */
  async function asCaller<T>(
    ctx: CallContext,
    fn: (vault: VaultSession) => Promise<T>,
    exchange: NonNullable<SessionRunnerDeps['exchange']>,
  ): Promise<T> {
    const sessionOptions = {
      kvMount: deps.vault.kvMount,
      transitMount: deps.vault.transitMount,
      ...(ctx.trace ? { trace: ctx.trace } : {}),
    }
    for (let round = 0; ; round++) {
      const lease = await exchange.acquire(ctx)
      const seen: Seen = {}
      try {
        return await fn(tracked(createNodeVaultSession(lease.client, sessionOptions), seen))
      } catch (err) {
        const denied = seen.vault403 !== undefined && seen.vault403 === err
        if (!denied || lease.fresh || round > 0) throw err
        exchange.retire(lease)
      } finally {
        exchange.release(lease)
      }
    }
  }

  return async function session<T>(
    ctx: CallContext,
    calls: number,
    fn: (vault: VaultSession) => Promise<T>,
  ): Promise<T> {
    const exchange = deps.exchange
    const identity = sessionIdentity(deps, ctx)
    if (exchange && identity === 'own_login') return asCaller(ctx, fn, exchange)
    if (identity === 'none') {
      // Security: fail closed; the configuration checks keep such callers out in the first place.
      throw new AppError(
        'FORBIDDEN',
        'This bridge reaches Vault only as the caller (VAULT_JWT_EXCHANGE_ONLY=true), which ' +
          "needs a token from the bridge's identity provider (JWT_JWKS_URL or JWT_ISSUER); " +
          'authenticate with one.',
      )
    }
    const parent = await bridge.ensure()
    const seen: Seen = {}
    try {
      return await attempt(ctx, calls, fn, parent, seen)
    } catch (err) {
      const vaultDenied = seen.vault403 !== undefined && seen.vault403 === err
      if (!vaultDenied && !isMintRefusal(err)) throw err
      // A 403: was it the bridge's token (expired or revoked just now), a child token that
      // died, a bridge token without a newly provisioned agent's policy, or a real policy
      // denial? Retry exactly once in all but the last case.
      const recovered =
        (await bridge.recover(parent)) || seen.childDied || (await gainedPolicy(ctx, parent))
      if (!recovered) throw err
      return attempt(ctx, calls, fn, bridge.current() ?? parent, {})
    }
  }
}
