/**
 * @module vault/bridge-token: the bridge's own Vault token through its life: login (token or
 * AppRole), renewal at two thirds of its TTL, re-login, the probe of an unreachable Vault, the
 * recovery after a 403, and the readiness answer (cached once, here).
 */
import type { Config } from '../config/schema.js'
import { trimSlashes } from '../core/paths.js'
import type { VaultReadiness } from '../core/ports.js'
import type { LogFields, Logger } from '../observability/logger.js'
import type { NodeVaultClient, NodeVaultClientFactory } from './node-vault-client.js'
import {
  describeVaultFailure,
  isRejection,
  isVaultUnavailable,
  vaultCause,
  vaultStatus,
  vaultUnavailable,
} from './vault-errors.js'
import { tlsInsteadOfHttp, type VaultConnection } from './vault-connection.js'
import { VaultStartupError } from './vault-startup-error.js'

/** A probe of an unreachable Vault happens at most this often, whatever the request rate. */
const PROBE_INTERVAL_MS = 1000
/** readiness() answers from a cache this young, so /readyz polling does not load Vault. */
const READINESS_CACHE_MS = 1500
/** Renewal happens at this fraction of the token's TTL. */
const RENEW_AT = 2 / 3

/** The token the bridge holds, and what it knows of its life. */
export interface BridgeToken {
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
  /** The token's policies, as Vault reported them at login or lookup (undefined: not told). */
  policies?: string[]
}

export interface BridgeTokenDeps {
  vault: Config['vault']
  log: Logger
  now: () => number
  /** The clients of the port (made in `start()`, once the TLS files are read). */
  clients: () => NodeVaultClientFactory
  /** Called whenever a new bridge token is in place (child tokens of the old one retire). */
  onNewToken: () => void
}

/** Holds the bridge token; every method but `start` is safe to call at any time. */
export interface BridgeTokenKeeper {
  /**
   * The first login, unless `connection` found Vault unreachable. An unreachable Vault is not
   * fatal: the keeper starts without a token and the first request (or readiness check) probes
   * again.
   * @throws VaultStartupError when Vault rejects the token or the AppRole credentials.
   */
  start(connection?: VaultConnection): Promise<void>
  /**
   * A token that can be used now.
   * @throws VAULT_UNAVAILABLE while Vault is unreachable or rejects the bridge's credentials
   *   (probing it at most once a second), or once `close()` has begun.
   */
  ensure(): Promise<BridgeToken>
  /** The token in place, if any (possibly stale while Vault is away). */
  current(): BridgeToken | undefined
  /**
   * After a Vault 403 on a request made with `used`: true when the bridge's token was the
   * cause and a fresh one is in place (the caller retries once); false when the token is fine,
   * so the 403 is a real denial.
   * @throws VAULT_UNAVAILABLE when the token is dead and cannot be replaced.
   */
  recover(used: BridgeToken): Promise<boolean>
  /** Renews (or replaces) the token once its renewal time has come; never throws. */
  upkeep(): Promise<void>
  /**
   * Vault answers, is unsealed and initialised, and accepts the bridge's token (cached briefly).
   * Security: only this probe and the bridge's own calls (login, renewal) decide whether Vault
   * is reachable; a request's failure never does, so no agent can make Vault look down for the
   * others.
   */
  readiness(): Promise<VaultReadiness>
  /** Stops handing out tokens (VAULT_UNAVAILABLE from now on) and stops upkeep. */
  stop(): void
  /** Revokes the bridge's own AppRole login, and with it its child tokens (best effort). */
  revokeLogin(): Promise<void>
  /**
   * The bridge's token `used` lacks `policy` (an agent's), which may have been added to the
   * bridge's AppRole role since it logged in (`provision` of a new agent): AppRole only, logs in
   * again, and keeps the new token if it carries the policy (a useless one is revoked at once).
   * One such login at a time, at most one a second per policy; never throws.
   * @returns true when a token with the policy is in place (the caller retries once).
   */
  gainPolicy(used: BridgeToken, policy: string): Promise<boolean>
}

interface AuthBlock {
  client_token?: string
  lease_duration?: number
  renewable?: boolean
  policies?: unknown
  token_policies?: unknown
}

/** A login to gain one policy happens this often at most (each one is a Vault login). */
const POLICY_LOGIN_INTERVAL_MS = 1000

/**
 * Creates the keeper. With AppRole it logs in (and again whenever its token dies or nears its
 * max TTL); with VAULT_TOKEN it looks the token up and renews it while Vault allows.
 */
export function createBridgeTokenKeeper(deps: BridgeTokenDeps): BridgeTokenKeeper {
  const { vault, log, now, clients } = deps
  const appRole = vault.appRole

  let current: BridgeToken | undefined
  /** Whether the last contact with Vault worked. */
  let reachable = false
  /** Set when Vault rejects the bridge's credentials at run time: only an operator can fix it. */
  let rejected: string | undefined
  let lastProbe = Number.NEGATIVE_INFINITY
  let probing: Promise<BridgeToken> | undefined
  let relogging: Promise<BridgeToken> | undefined
  let upkeepRunning = false
  let readyCache: { at: number; value: Promise<VaultReadiness> } | undefined
  let closed = false
  let policyLogin: Promise<boolean> | undefined
  /** When a login last tried to gain each policy (ms); entries older than the interval go. */
  const policyLogins = new Map<string, number>()

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
      const t = bridgeToken(auth.client_token, ttl, auth.renewable === true)
      t.policies = stringsOf(auth.token_policies) ?? stringsOf(auth.policies)
      return t
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
      data?: { ttl?: unknown; renewable?: unknown; policies?: unknown }
    }
    t.ttl = numberOr(res.data?.ttl, 0)
    t.renewable = res.data?.renewable === true
    t.policies = stringsOf(res.data?.policies) ?? t.policies
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
    deps.onNewToken()
  }

  /** Vault refuses the bridge's credentials: only an operator can fix that. */
  function reject(reason: string, message: string, facts: LogFields = {}): void {
    rejected = reason
    readyCache = undefined
    log.error({ event: 'vault_credentials_rejected', ...facts }, message)
  }

  const APPROLE_REJECTED = 'Vault rejects the AppRole credentials (VAULT_ROLE_ID/VAULT_SECRET_ID).'

  async function ensure(): Promise<BridgeToken> {
    if (closed) throw vaultUnavailable('closing')
    if (current && reachable && !rejected) return current
    if (probing) return probing
    if (now() - lastProbe < PROBE_INTERVAL_MS)
      throw vaultUnavailable(rejected ? 'rejected' : 'down')
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
        reject(
          appRole ? 'approle credentials rejected' : 'token invalid',
          appRole ? APPROLE_REJECTED : 'Vault rejects VAULT_TOKEN.',
          { vault: describeVaultFailure(err, 'login') },
        )
      } else {
        reachable = false
      }
      throw vaultUnavailable(rejected ? 'rejected' : 'down', err)
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
          reject('approle credentials rejected', APPROLE_REJECTED, {
            vault: describeVaultFailure(err, 'login'),
          })
        } else {
          reachable = false
        }
        lastProbe = now()
        throw vaultUnavailable(rejected ? 'rejected' : 'down', err)
      } finally {
        relogging = undefined
      }
    })()
    return relogging
  }

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
        if (isVaultUnavailable(err)) {
          // Vault is away: try again soon, while the token is still valid.
          markUnreachable()
          const remaining = t.since + t.ttl * 1000 - now()
          t.upkeepAt = now() + Math.min(10_000, Math.max(1000, remaining / 4))
          log.warn(
            { event: 'vault_renew_failed', vault: describeVaultFailure(err, 'renew') },
            'Renewal failed.',
          )
          return
        }
        if (appRole) {
          await relogin(t, 'renewal refused')
        } else if (isRejection(err) && vaultStatus(err) === 403) {
          reject('token invalid', 'Vault no longer accepts VAULT_TOKEN.')
        } else {
          t.upkeepAt = Number.POSITIVE_INFINITY
          log.warn(
            { event: 'vault_token_expiring', vault: describeVaultFailure(err, 'renew') },
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
      log.warn(
        { event: 'vault_upkeep_failed', vault: describeVaultFailure(err, 'upkeep') },
        'Upkeep failed.',
      )
      if (current === t) t.upkeepAt = now() + 5000
    } finally {
      upkeepRunning = false
    }
  }

  async function recover(used: BridgeToken): Promise<boolean> {
    if (current && current.token !== used.token) return true
    try {
      await used.client.read('auth/token/lookup-self')
      return false
    } catch (err) {
      if (vaultStatus(err) !== 403) return false
      if (!appRole) {
        // By status alone: the bridge started only because this token could look itself up
        // (authenticate), so a 403 now means the token is dead, or its policy was taken from
        // it; either way only an operator can help.
        reject('token invalid', 'Vault no longer accepts VAULT_TOKEN.')
        throw vaultUnavailable('rejected', err)
      }
      await relogin(used, 'token rejected during a request')
      return true
    }
  }

  async function gainPolicy(used: BridgeToken, policy: string): Promise<boolean> {
    const has = (t: BridgeToken | undefined) => t?.policies?.includes(policy) === true
    if (current && current.token !== used.token && has(current)) return true
    if (!appRole || closed || rejected || has(used)) return false
    if (policyLogin) {
      await policyLogin
      return has(current)
    }
    const at = now()
    for (const [p, t] of policyLogins)
      if (at - t >= POLICY_LOGIN_INTERVAL_MS) policyLogins.delete(p)
    if (policyLogins.has(policy)) return false
    policyLogins.set(policy, at)
    policyLogin = (async () => {
      try {
        log.info({ event: 'vault_relogin', why: 'policy missing' }, 'Logging in to Vault again.')
        const fresh = await authenticate()
        if (!has(fresh)) {
          // The role does not carry the policy either: no use keeping a second token alive.
          await fresh.client.write('auth/token/revoke-self', {}).catch(() => undefined)
          return false
        }
        install(fresh)
        return true
      } catch (err) {
        log.warn(
          { event: 'vault_relogin_failed', vault: describeVaultFailure(err, 'login') },
          'Could not log in to Vault again.',
        )
        return false
      } finally {
        policyLogin = undefined
      }
    })()
    return policyLogin
  }

  function markUnreachable(): void {
    reachable = false
    readyCache = undefined
  }

  async function checkReadiness(): Promise<VaultReadiness> {
    if (!current || !reachable || rejected) {
      try {
        await ensure()
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
    async start(connection) {
      if (appRole && vault.token) {
        log.info(
          { event: 'vault_auth_choice' },
          'Both VAULT_TOKEN and AppRole are set; using AppRole.',
        )
      }
      if (connection && !connection.reachable) {
        reachable = false
        lastProbe = now()
        log.warn(
          { event: 'vault_unreachable', vault: { network: connection.code } },
          `Vault is unreachable (${connection.code}); starting anyway. Requests get ` +
            'VAULT_UNAVAILABLE until it answers.',
        )
        return
      }
      try {
        install(await authenticate())
      } catch (err) {
        const status = vaultStatus(err)
        if (status === 400 || status === undefined) {
          // Plain HTTP to a TLS listener gets a 400 (Vault) or a closed connection.
          const wrongScheme = await tlsInsteadOfHttp(vault)
          if (wrongScheme) throw wrongScheme
        }
        if (isRejection(err)) {
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
          { event: 'vault_unreachable', vault: describeVaultFailure(err, 'start') },
          'Vault is unreachable, sealed or failing; starting anyway. Requests get ' +
            'VAULT_UNAVAILABLE until it answers.',
        )
      }
    },
    ensure,
    current: () => current,
    recover,
    gainPolicy,
    upkeep,
    readiness() {
      // One check at a time, and its answer reused while it is young: probes never pile up.
      const at = now()
      if (!readyCache || at - readyCache.at >= READINESS_CACHE_MS) {
        const value = checkReadiness()
        readyCache = { at, value }
        // Stamped again when the answer came, so a slow check is not stale the moment it returns
        // (unless a newer check has started meanwhile).
        const entry = readyCache
        void value.then(() => {
          if (readyCache === entry || readyCache === undefined) readyCache = { at: now(), value }
        })
      }
      return readyCache.value
    },
    stop() {
      closed = true
    },
    async revokeLogin() {
      const t = current
      if (appRole && t && reachable) {
        // Our own login: revoking it also revokes any child token still alive.
        await t.client.write('auth/token/revoke-self', {}).catch((err: unknown) => {
          log.warn(
            { event: 'vault_revoke_self_failed', vault: describeVaultFailure(err, 'revoke') },
            'Revoke failed.',
          )
        })
      }
    },
  }
}

/** A list of strings from Vault, or undefined when it sent none. */
const stringsOf = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((p): p is string => typeof p === 'string') : undefined

const numberOr = (v: unknown, d: number): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : d
