/**
 * @module vault/vault-port: the bridge's own Vault login (token or AppRole) with renewal and
 * re-login, readiness, outage recovery, and per-request child tokens bound to one agent's policy.
 */
import type { Config } from '../config/schema.js'
import { AppError } from '../core/errors.js'
import type { CallContext } from '../core/identity.js'
import type { VaultPort, VaultReadiness, VaultSession } from '../core/ports.js'
import type { Logger } from '../observability/logger.js'
import type { Metrics } from '../observability/metrics.js'
import { createNodeVaultClientFactory, type NodeVaultClient } from './node-vault-client.js'
import { createNodeVaultSession } from './node-vault-session.js'
import { agentPolicyName, isAgentPolicyNameSafe } from './policy.js'
import {
  VAULT_RETRY_AFTER_SECONDS,
  VaultCallError,
  vaultCause,
  vaultStatus,
} from './vault-errors.js'
import { VaultStartupError } from './vault-startup-error.js'

export interface VaultPortDeps {
  vault: Config['vault']
  childToken: Config['childToken']
  logger: Logger
  /** Current time in ms (tests share one controllable clock with the dev vault). */
  now?: () => number
  /** How often token upkeep compares the clock with the renewal time (default 1000 ms). */
  upkeepTickMs?: number
  /** Vault call latency and outcomes, child tokens minted and failed revocations. */
  metrics?: Pick<Metrics, 'vaultCall' | 'childTokenMinted' | 'childTokenRevokeFailed'>
}

/** The VaultPort the composition root starts and closes. */
export type ManagedVaultPort = VaultPort & {
  /**
   * Logs in (AppRole) or looks the token up. An unreachable Vault is not fatal: the port starts
   * not ready and recovers by itself once Vault answers.
   * @throws VaultStartupError no credentials, token invalid, AppRole credentials rejected, or
   *   unreadable TLS files (serve exits 2).
   */
  start(): Promise<void>
  /** Stops upkeep, revokes live child tokens and the bridge's own AppRole token (best effort). */
  close(): Promise<void>
}

/** A probe of an unreachable Vault happens at most this often, whatever the request rate. */
const PROBE_INTERVAL_MS = 1000
/** readiness() answers from a cache this young, so /readyz polling does not load Vault. */
const READINESS_CACHE_MS = 1500
/** Renewal happens at this fraction of the token's TTL. */
const RENEW_AT = 2 / 3

interface BridgeToken {
  token: string
  client: NodeVaultClient
  /** Seconds of validity at `since` (0 = never expires). */
  ttl: number
  renewable: boolean
  /** When `ttl` was learnt (ms, `now()`). */
  since: number
  /** The TTL granted at login: a renewal that grants less has hit the max TTL. */
  loginTtl: number
  /** Next upkeep (ms); Infinity when none is due. */
  upkeepAt: number
}

interface ChildLease {
  agent: string
  token: string
  client: NodeVaultClient
  /** Uses granted (0 = unlimited: reused tokens) and uses made so far. */
  uses: number
  used: number
  /** The bridge token it was minted under (a child dies with its parent). */
  parent: string
  /** Reused tokens: usable for new sessions until then (ms). */
  reuseUntil: number
  refs: number
  retired: boolean
}

/**
 * Creates the Vault side of the bridge. Call `start()` before serving and `close()` at shutdown.
 *
 * Sessions throw AppErrors: VAULT_UNAVAILABLE (with `details.retryAfterSeconds`) while Vault is
 * unreachable or the bridge cannot authenticate, FORBIDDEN when Vault denies the agent (with a
 * gen-policy hint under child tokens), and whatever the VaultSession throws.
 */
export function createVaultPort(deps: VaultPortDeps): ManagedVaultPort {
  const { vault, childToken: childCfg, logger } = deps
  const now = deps.now ?? Date.now
  const appRole = vault.appRole
  const log = logger.child({ component: 'vault' })
  let factory: ReturnType<typeof createNodeVaultClientFactory> | undefined

  let current: BridgeToken | undefined
  /** Whether the last contact with Vault worked. */
  let reachable = false
  /** Set when Vault rejects the bridge's credentials at run time: only an operator can fix it. */
  let rejected: string | undefined
  let lastProbe = Number.NEGATIVE_INFINITY
  let probing: Promise<BridgeToken> | undefined
  let relogging: Promise<BridgeToken> | undefined
  let upkeepRunning = false
  let ticker: NodeJS.Timeout | undefined
  let readyCache: { at: number; value: VaultReadiness } | undefined
  let closed = false
  const reuse = new Map<string, ChildLease | Promise<ChildLease>>()
  const live = new Set<ChildLease>()

  const clients = () => {
    if (!factory) throw new Error('createVaultPort: start() was not called')
    return factory
  }

  // ------------------------------------------------------------------------------------------
  // The bridge's own token

  async function authenticate(): Promise<BridgeToken> {
    if (appRole) {
      const res = (await clients()
        .client()
        .write(`auth/${trimSlashes(appRole.mount)}/login`, {
          role_id: appRole.roleId,
          secret_id: appRole.secretId,
        })) as { auth?: AuthBlock }
      const auth = res.auth
      if (!auth?.client_token) throw new Error('AppRole login answered without a token')
      const ttl = numberOr(auth.lease_duration, 0)
      log.info(
        { event: 'vault_login', method: 'approle', ttlSeconds: ttl, renewable: auth.renewable },
        'Logged in to Vault with AppRole.',
      )
      return bridgeToken(auth.client_token, ttl, auth.renewable === true)
    }
    const token = vault.token ?? ''
    const t = bridgeToken(token, 0, false)
    await lookupSelf(t)
    t.loginTtl = t.ttl
    log.info(
      { event: 'vault_login', method: 'token', ttlSeconds: t.ttl, renewable: t.renewable },
      'Vault accepted the configured token.',
    )
    return t
  }

  function bridgeToken(token: string, ttl: number, renewable: boolean): BridgeToken {
    const t: BridgeToken = {
      token,
      client: clients().client(token),
      ttl,
      renewable,
      since: now(),
      loginTtl: ttl,
      upkeepAt: Number.POSITIVE_INFINITY,
    }
    planUpkeep(t)
    return t
  }

  /** Refreshes what we know of the token's life; throws node-vault errors as they come. */
  async function lookupSelf(t: BridgeToken): Promise<void> {
    const res = (await t.client.read('auth/token/lookup-self')) as {
      data?: { ttl?: unknown; renewable?: unknown }
    }
    t.ttl = numberOr(res.data?.ttl, 0)
    t.renewable = res.data?.renewable === true
    t.since = now()
    planUpkeep(t)
  }

  function planUpkeep(t: BridgeToken): void {
    t.upkeepAt = t.ttl > 0 ? t.since + t.ttl * 1000 * RENEW_AT : Number.POSITIVE_INFINITY
  }

  function install(t: BridgeToken): void {
    current = t
    reachable = true
    rejected = undefined
    readyCache = undefined
    // Reused child tokens belong to the old token; new sessions get children of the new one.
    for (const [agent, entry] of reuse) {
      if (!(entry instanceof Promise)) retire(entry)
      reuse.delete(agent)
    }
  }

  /** A token that can be used now, or VAULT_UNAVAILABLE; probes Vault at most once a second. */
  async function ensureToken(): Promise<BridgeToken> {
    if (closed) throw unavailable('closing')
    if (current && reachable && !rejected) return current
    if (probing) return probing
    if (now() - lastProbe < PROBE_INTERVAL_MS) throw unavailable(rejected ? 'rejected' : 'down')
    probing = probe().finally(() => {
      probing = undefined
    })
    return probing
  }

  async function probe(): Promise<BridgeToken> {
    lastProbe = now()
    try {
      if (current) {
        try {
          await lookupSelf(current)
          reachable = true
          rejected = undefined
          readyCache = undefined
          log.info({ event: 'vault_reachable' }, 'Vault answers again.')
          return current
        } catch (err) {
          if (!isRejection(err)) throw err
          // The token died while Vault was away (expired, or a new Vault): log in again.
          if (!appRole) throw err
        }
      }
      const t = await authenticate()
      install(t)
      return t
    } catch (err) {
      if (isRejection(err)) {
        rejected = appRole ? 'approle credentials rejected' : 'token invalid'
        log.error(
          { event: 'vault_credentials_rejected', vault: describe(err, 'login') },
          appRole
            ? 'Vault rejects the AppRole credentials (VAULT_ROLE_ID/VAULT_SECRET_ID).'
            : 'Vault rejects VAULT_TOKEN.',
        )
      } else {
        reachable = false
      }
      throw unavailable(rejected ? 'rejected' : 'down', err)
    }
  }

  /** One AppRole login shared by everyone who noticed that `old` is no longer good. */
  function relogin(old: BridgeToken, why: string): Promise<BridgeToken> {
    if (current && current.token !== old.token && !rejected) return Promise.resolve(current)
    relogging ??= (async () => {
      try {
        log.info({ event: 'vault_relogin', why }, 'Logging in to Vault again.')
        const t = await authenticate()
        install(t)
        return t
      } catch (err) {
        if (isRejection(err)) {
          rejected = 'approle credentials rejected'
          log.error(
            { event: 'vault_credentials_rejected', vault: describe(err, 'login') },
            'Vault rejects the AppRole credentials (VAULT_ROLE_ID/VAULT_SECRET_ID).',
          )
        } else {
          reachable = false
        }
        lastProbe = now()
        throw unavailable(rejected ? 'rejected' : 'down', err)
      } finally {
        relogging = undefined
      }
    })()
    return relogging
  }

  /** Renews (or replaces) the bridge token once its renewal time has come. */
  async function upkeep(): Promise<void> {
    const t = current
    if (!t || closed || upkeepRunning || now() < t.upkeepAt || rejected) return
    upkeepRunning = true
    try {
      if (!t.renewable) {
        if (appRole) await relogin(t, 'token not renewable')
        else {
          log.warn(
            { event: 'vault_token_expiring', ttlSeconds: t.ttl },
            'VAULT_TOKEN cannot be renewed and will expire; give the bridge a renewable token.',
          )
          t.upkeepAt = Number.POSITIVE_INFINITY
        }
        return
      }
      let res: { auth?: AuthBlock }
      try {
        res = (await t.client.write('auth/token/renew-self', {})) as { auth?: AuthBlock }
      } catch (err) {
        if (vaultStatus(err) === undefined || (vaultStatus(err) ?? 0) >= 500) {
          // Vault is away: try again soon, while the token is still valid.
          reachable = false
          readyCache = undefined
          const remaining = t.since + t.ttl * 1000 - now()
          t.upkeepAt = now() + Math.min(10_000, Math.max(1000, remaining / 4))
          log.warn(
            { event: 'vault_renew_failed', vault: describe(err, 'renew') },
            'Renewal failed.',
          )
          return
        }
        if (appRole) {
          await relogin(t, 'renewal refused')
        } else if (isRejection(err) && vaultStatus(err) === 403) {
          rejected = 'token invalid'
          readyCache = undefined
          log.error({ event: 'vault_credentials_rejected' }, 'Vault no longer accepts VAULT_TOKEN.')
        } else {
          t.upkeepAt = Number.POSITIVE_INFINITY
          log.warn(
            { event: 'vault_token_expiring', vault: describe(err, 'renew') },
            'VAULT_TOKEN can no longer be renewed and will expire; give the bridge a new token.',
          )
        }
        return
      }
      const ttl = numberOr(res.auth?.lease_duration, 0)
      if (current !== t) return
      if (appRole && ttl < t.loginTtl) {
        // Vault capped the renewal: the max TTL is near. A fresh login restarts the clock.
        await relogin(t, 'max TTL near')
        return
      }
      t.ttl = ttl
      t.renewable = res.auth?.renewable === true
      t.since = now()
      planUpkeep(t)
      log.info({ event: 'vault_token_renewed', ttlSeconds: ttl }, 'Renewed the Vault token.')
      if (!appRole && ttl < t.loginTtl) {
        log.warn(
          { event: 'vault_token_expiring', ttlSeconds: ttl },
          'VAULT_TOKEN is near its max TTL and will expire; give the bridge a new token.',
        )
      }
    } catch (err) {
      log.warn({ event: 'vault_upkeep_failed', vault: describe(err, 'upkeep') }, 'Upkeep failed.')
      if (current === t) t.upkeepAt = now() + 5000
    } finally {
      upkeepRunning = false
    }
  }

  /**
   * After a Vault 403: true when the bridge's token was the cause and a fresh one is in place
   * (the caller retries once); false when the token is fine, so the 403 is a real denial.
   * @throws VAULT_UNAVAILABLE when the token is dead and cannot be replaced.
   */
  async function recoverBridgeToken(used: BridgeToken): Promise<boolean> {
    if (current && current.token !== used.token) return true
    try {
      await used.client.read('auth/token/lookup-self')
      return false
    } catch (err) {
      if (vaultStatus(err) !== 403) return false
      if (!appRole) {
        // Only Vault ≥1.16 says "invalid token"; a plain 403 may be a policy without
        // lookup-self, which must not stop a working bridge.
        if (!mentionsInvalidToken(err)) return false
        rejected = 'token invalid'
        readyCache = undefined
        log.error({ event: 'vault_credentials_rejected' }, 'Vault no longer accepts VAULT_TOKEN.')
        throw unavailable('rejected', err)
      }
      await relogin(used, 'token rejected during a request')
      return true
    }
  }

  // ------------------------------------------------------------------------------------------
  // Child tokens

  async function acquireChild(ctx: CallContext, calls: number, parent: BridgeToken) {
    const agent = ctx.principal.agent
    if (!isAgentPolicyNameSafe(childCfg.policyPrefix, agent)) {
      throw new AppError(
        'FORBIDDEN',
        'This agent id cannot have its own Vault policy (Vault lower-cases policy names); ' +
          'ask the operator for a lower-case agent id.',
      )
    }
    if (childCfg.reuseSeconds <= 0) {
      const lease = await mintChild(ctx, parent, usesFor(calls), 0)
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
      const minting = mintChild(ctx, parent, 0, childCfg.reuseSeconds)
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
    const lease = await mintChild(ctx, parent, usesFor(calls), 0)
    lease.refs = 1
    return lease
  }

  /** Retires reused tokens whose window has passed (revoked once no session holds them). */
  function sweepReuse(): void {
    for (const [agent, entry] of reuse) {
      if (entry instanceof Promise || now() < entry.reuseUntil) continue
      reuse.delete(agent)
      retire(entry)
    }
  }

  async function mintChild(
    ctx: CallContext,
    parent: BridgeToken,
    uses: number,
    reuseSeconds: number,
  ): Promise<ChildLease> {
    const agent = ctx.principal.agent
    const ttl = Math.max(1, Math.ceil(childCfg.ttlSeconds + reuseSeconds))
    let res: { auth?: AuthBlock }
    try {
      res = (await parent.client.write('auth/token/create', {
        policies: [agentPolicyName(childCfg.policyPrefix, agent)],
        no_default_policy: true,
        ttl: `${ttl}s`,
        explicit_max_ttl: `${ttl}s`,
        num_uses: uses,
        renewable: false,
        display_name: `mcp-${agent}`,
        // Vault's own audit log attributes every call of this token to the agent and request.
        meta: { agent, auth_method: ctx.principal.method, request_id: ctx.requestId },
      })) as { auth?: AuthBlock }
    } catch (err) {
      throw childMintError(err, agent)
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
      refs: 0,
      retired: reuseSeconds <= 0,
    }
    live.add(lease)
    deps.metrics?.childTokenMinted()
    return lease
  }

  function childMintError(err: unknown, agent: string): AppError {
    if (err instanceof AppError) return err
    const status = vaultStatus(err)
    const cause = vaultCause(err, 'POST', 'auth/token/create')
    if (status === undefined || status >= 500) {
      reachable = false
      readyCache = undefined
      return unavailable('down', cause)
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

  function releaseChild(lease: ChildLease): void {
    lease.refs -= 1
    if (lease.retired && lease.refs <= 0) void revokeChild(lease)
  }

  function retire(lease: ChildLease): void {
    lease.retired = true
    if (lease.refs <= 0) void revokeChild(lease)
  }

  async function revokeChild(lease: ChildLease): Promise<void> {
    if (!live.delete(lease)) return
    // A token whose last use is spent has already been revoked by Vault.
    if (lease.uses > 0 && lease.used >= lease.uses) return
    const revoker = current ?? undefined
    try {
      await (revoker?.client ?? clients().client(lease.parent)).write('auth/token/revoke', {
        token: lease.token,
      })
    } catch (err) {
      deps.metrics?.childTokenRevokeFailed()
      log.warn(
        { event: 'child_token_revoke_failed', agent: lease.agent, vault: describe(err, 'revoke') },
        'Could not revoke a child token; it expires by its TTL.',
      )
    }
  }

  // ------------------------------------------------------------------------------------------
  // Sessions

  /** Runs `fn` once with the bridge token or a fresh child token. */
  async function attempt<T>(
    ctx: CallContext,
    calls: number,
    fn: (vault: VaultSession) => Promise<T>,
    parent: BridgeToken,
    seen: { vault403?: unknown; childDied?: boolean },
  ): Promise<T> {
    const sessionOptions = {
      kvMount: vault.kvMount,
      transitMount: vault.transitMount,
      ...(ctx.trace ? { trace: ctx.trace } : {}),
    }
    if (!childCfg.enabled) {
      return fn(tracked(createNodeVaultSession(parent.client, sessionOptions), seen))
    }
    const lease = await acquireChild(ctx, calls, parent)
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
      if (seen.vault403 === err && mentionsInvalidToken(err)) {
        seen.childDied = true
        if (lease.reuseUntil > 0) retire(lease)
      }
      throw err
    } finally {
      if (lease.uses > 0 && lease.used > lease.uses) {
        log.warn(
          { event: 'child_token_uses_exceeded', agent: lease.agent, uses: lease.uses },
          'A session made more Vault calls than it announced.',
        )
      }
      releaseChild(lease)
    }
  }

  /** Wraps a session to see which errors came from Vault calls (and count the calls). */
  function tracked(session: VaultSession, seen: { vault403?: unknown }): VaultSession {
    const out: Record<string, unknown> = {}
    for (const [name, method] of Object.entries(session)) {
      if (typeof method !== 'function') continue
      out[name] = async (...args: unknown[]) => {
        try {
          return await (method as (...a: unknown[]) => Promise<unknown>).apply(session, args)
        } catch (err) {
          if (err instanceof AppError && err.code === 'FORBIDDEN') seen.vault403 = err
          if (err instanceof AppError && err.code === 'VAULT_UNAVAILABLE') {
            reachable = false
            readyCache = undefined
          }
          throw err
        }
      }
    }
    return out as unknown as VaultSession
  }

  async function session<T>(
    ctx: CallContext,
    calls: number,
    fn: (vault: VaultSession) => Promise<T>,
  ): Promise<T> {
    const parent = await ensureToken()
    const seen: { vault403?: unknown; childDied?: boolean } = {}
    try {
      return await attempt(ctx, calls, fn, parent, seen)
    } catch (err) {
      const vaultDenied = seen.vault403 !== undefined && seen.vault403 === err
      const mintDenied = err instanceof AppError && err.code === 'FORBIDDEN' && isMintFailure(err)
      if (!vaultDenied && !mintDenied) throw err
      // A 403: was it the bridge's token (expired or revoked just now), a child token that
      // died, or a real policy denial? Retry exactly once in the first two cases.
      const recovered = await recoverBridgeToken(parent)
      if (!recovered && !seen.childDied) throw err
      return attempt(ctx, calls, fn, current ?? parent, {})
    }
  }

  // ------------------------------------------------------------------------------------------
  // Readiness

  async function checkReadiness(): Promise<VaultReadiness> {
    if (!current || !reachable || rejected) {
      try {
        await ensureToken()
      } catch {
        return { ready: false, reason: rejected ?? 'vault unreachable' }
      }
    }
    const t = current
    if (!t) return { ready: false, reason: 'vault unreachable' }
    try {
      const health = (await t.client.request({
        path: '/sys/health?standbyok=true&perfstandbyok=true',
        method: 'GET',
      })) as { sealed?: unknown; initialized?: unknown } | undefined
      if (health?.sealed === true) return { ready: false, reason: 'vault sealed' }
      if (health?.initialized === false) return { ready: false, reason: 'vault not initialized' }
      return { ready: true }
    } catch {
      reachable = false
      return { ready: false, reason: 'vault unreachable' }
    }
  }

  return {
    async start() {
      if (!appRole && !vault.token) {
        throw new VaultStartupError(
          'no_credentials',
          'No Vault credentials: set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID for AppRole.',
        )
      }
      if (childCfg.enabled && !/^[a-z0-9_.-]*$/.test(childCfg.policyPrefix)) {
        // Security: Vault lower-cases policy names; a prefix it would change names no policy.
        throw new VaultStartupError(
          'policy_prefix',
          'CHILD_TOKEN_POLICY_PREFIX must be lower-case letters, digits, "_", "." or "-".',
        )
      }
      factory = createNodeVaultClientFactory(vault, { logger: log, metrics: deps.metrics })
      if (appRole && vault.token) {
        log.info(
          { event: 'vault_auth_choice' },
          'Both VAULT_TOKEN and AppRole are set; using AppRole.',
        )
      }
      try {
        install(await authenticate())
      } catch (err) {
        if (isRejection(err)) {
          factory.close()
          throw appRole
            ? new VaultStartupError(
                'approle_rejected',
                `Vault rejected the AppRole login at auth/${trimSlashes(appRole.mount)}: check ` +
                  'VAULT_ROLE_ID, VAULT_SECRET_ID and VAULT_APPROLE_MOUNT.',
                { cause: vaultCause(err, 'POST', 'login') },
              )
            : new VaultStartupError(
                'token_invalid',
                'Vault rejected VAULT_TOKEN (invalid, expired or revoked): give the bridge a ' +
                  'valid token, or use AppRole.',
                { cause: vaultCause(err, 'GET', 'auth/token/lookup-self') },
              )
        }
        reachable = false
        lastProbe = now()
        log.warn(
          { event: 'vault_unreachable', vault: describe(err, 'start') },
          'Vault is unreachable; starting anyway. Requests get VAULT_UNAVAILABLE until it answers.',
        )
      }
      ticker = setInterval(() => {
        sweepReuse()
        void upkeep()
      }, deps.upkeepTickMs ?? 1000)
      ticker.unref()
    },

    async close() {
      if (closed) return
      closed = true
      if (ticker) clearInterval(ticker)
      const leases = [...live]
      reuse.clear()
      await Promise.all(leases.map((lease) => revokeChild(lease)))
      const t = current
      if (appRole && t && reachable) {
        // Our own login: revoking it also revokes any child token still alive.
        await t.client.write('auth/token/revoke-self', {}).catch((err: unknown) => {
          log.warn(
            { event: 'vault_revoke_self_failed', vault: describe(err, 'revoke') },
            'Revoke failed.',
          )
        })
      }
      factory?.close()
    },

    session,

    async readiness() {
      const at = now()
      if (readyCache && at - readyCache.at < READINESS_CACHE_MS) return readyCache.value
      const value = await checkReadiness()
      readyCache = { at: now(), value }
      return value
    },
  }
}

// ---------------------------------------------------------------------------------------------

interface AuthBlock {
  client_token?: string
  lease_duration?: number
  renewable?: boolean
}

/**
 * Uses of a per-request child token: the calls the operation announced, plus one for the
 * metadata read a session makes to explain a refused check-and-set write.
 */
const usesFor = (calls: number): number => Math.max(1, Math.ceil(calls)) + 1

const trimSlashes = (s: string): string => s.replace(/^\/+|\/+$/g, '')

const numberOr = (v: unknown, d: number): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : d

/** Vault refused the credentials (as opposed to being unreachable or failing). */
function isRejection(err: unknown): boolean {
  const status = vaultStatus(err)
  return status !== undefined && status >= 400 && status < 500 && status !== 429
}

function mentionsInvalidToken(err: unknown): boolean {
  const cause = err instanceof AppError ? err.cause : vaultCause(err, '', '')
  return (
    cause instanceof VaultCallError && cause.vaultErrors.some((e) => e.includes('invalid token'))
  )
}

function isMintFailure(err: AppError): boolean {
  return err.cause instanceof VaultCallError && err.cause.path === 'auth/token/create'
}

function unavailable(kind: 'down' | 'rejected' | 'closing', cause?: unknown): AppError {
  const safeCause =
    cause === undefined || cause instanceof AppError || cause instanceof VaultCallError
      ? cause
      : vaultCause(cause, 'CALL', 'vault')
  const options = safeCause === undefined ? {} : { cause: safeCause }
  if (kind === 'rejected') {
    return new AppError(
      'VAULT_UNAVAILABLE',
      'The bridge cannot authenticate to Vault; an operator must fix its Vault credentials.',
      { ...options, details: { retryAfterSeconds: 30 } },
    )
  }
  if (kind === 'closing') {
    return new AppError('VAULT_UNAVAILABLE', 'The bridge is shutting down; retry shortly.', {
      details: { retryAfterSeconds: VAULT_RETRY_AFTER_SECONDS },
    })
  }
  return new AppError(
    'VAULT_UNAVAILABLE',
    'Vault is unreachable, sealed or failing. Retry in a few seconds.',
    { ...options, details: { retryAfterSeconds: VAULT_RETRY_AFTER_SECONDS } },
  )
}

/** Safe facts about a failed Vault call for the logs (never the axios error: it holds the token). */
function describe(err: unknown, what: string): Record<string, unknown> {
  if (err instanceof AppError) return { code: err.code }
  const cause = err instanceof VaultCallError ? err : vaultCause(err, 'CALL', what)
  return { status: cause.status, network: cause.networkCode, errors: cause.vaultErrors }
}
