/**
 * @module vault/jwt-exchange: a caller's own Vault token, from Vault's JWT auth method. One login
 * per caller token (concurrent requests share it), reused until shortly before the earlier of the
 * JWT's expiry and the Vault token's TTL, in a bounded LRU cache keyed by an HMAC of the token;
 * a token that leaves the cache early is revoked. A refused login says what to configure.
 */
import { createHmac, randomBytes } from 'node:crypto'
import type { Config } from '../config/schema.js'
import { AppError } from '../core/errors.js'
import { credentialOf, type CallContext, type VerifiedCredential } from '../core/identity.js'
import type { Logger } from '../observability/logger.js'
import type { JwtExchangeEviction, Metrics } from '../observability/metrics.js'
import type { BridgeToken } from './bridge-token.js'
import {
  isJwtRoleNameSafe,
  jwtLoginPath,
  jwtRoleName,
  jwtRolePath,
  jwtRoleRefusal,
} from './jwt-role.js'
import type { NodeVaultClient, NodeVaultClientFactory } from './node-vault-client.js'
import {
  VaultCallError,
  describeVaultFailure,
  fromVaultError,
  isRecord,
  isVaultUnavailable,
  vaultStatus,
  vaultUnavailable,
} from './vault-errors.js'

/**
 * A cached login is not handed to a new request in its last seconds: a request that starts with
 * it must be able to finish before the token (or the caller's JWT) ends.
 */
export const EXCHANGE_MARGIN_MS = 15_000

/** One caller's Vault login. */
interface Entry {
  key: string
  agent: string
  token: string
  client: NodeVaultClient
  /** New requests may use it until then (ms). */
  until: number
  /** When Vault lets the token expire (ms); Infinity for a token without TTL. */
  expiresAt: number
  refs: number
  retired: boolean
}

/** A login under way, and how many requests wait for it. */
interface Flight {
  waiters: number
  login: Promise<Entry>
}

/** A login one request holds; give it back with `release`. */
export interface ExchangeLease {
  agent: string
  client: NodeVaultClient
  /** True when this request's own login (or one it joined) made it: a 403 with it is a denial. */
  fresh: boolean
  /** @internal */
  readonly entry: Entry
}

export interface JwtExchangeDeps {
  exchange: Pick<Config['jwtExchange'], 'mount' | 'roleTemplate' | 'cacheSize'>
  log: Logger
  now: () => number
  clients: () => NodeVaultClientFactory
  /** The bridge's own token: it revokes evicted logins and reads a role to explain a refusal. */
  bridgeToken: () => BridgeToken | undefined
  metrics?: Pick<
    Metrics,
    | 'jwtExchangeLogin'
    | 'jwtExchangeCacheHit'
    | 'jwtExchangeEviction'
    | 'jwtExchangeRevokeFailed'
    | 'jwtExchangeCacheSize'
  >
}

export interface JwtExchange {
  /**
   * The caller's Vault token for one request: from the cache, from a login another request with
   * the same JWT has started, or from a new login at `auth/<mount>/login` with the role and the
   * caller's JWT (nothing else of the caller's).
   * @throws FORBIDDEN when the caller has no JWT from the JWKS/OIDC issuer or the agent id cannot
   *   name a role; VAULT_LOGIN_REFUSED when Vault refuses the login (with what to configure);
   *   VAULT_UNAVAILABLE when Vault is unreachable or the bridge is closing.
   */
  acquire(ctx: CallContext): Promise<ExchangeLease>
  /** The request is done with the lease; a retired login is revoked once nobody holds it. */
  release(lease: ExchangeLease): void
  /** Vault refused a call made with the lease: no new request gets that login. */
  retire(lease: ExchangeLease): void
  /** Drops (and revokes) logins whose time is up. */
  sweep(): void
  /** Revokes every login the bridge still holds (best effort); later acquires fail. */
  close(): Promise<void>
}

/** The caller's JWT when Vault's JWT method can verify it (JWKS/OIDC, not HS256). */
export function exchangeableCredential(ctx: CallContext): VerifiedCredential | undefined {
  const credential = credentialOf(ctx.principal)
  return credential?.kind === 'jwt' && credential.source === 'jwks' ? credential : undefined
}

export function createJwtExchange(deps: JwtExchangeDeps): JwtExchange {
  const { exchange: cfg, log, now, clients, metrics } = deps
  const loginPath = jwtLoginPath(cfg.mount)
  // Security: entries are found by an HMAC of the token under a key of this process only, so
  // the cache never holds the caller's JWT, and its keys are worthless outside the process.
  const hmacKey = randomBytes(32)
  const keyOf = (role: string, jwt: string) =>
    createHmac('sha256', hmacKey).update(role).update('\0').update(jwt).digest('base64url')
  /** Reusable logins, least recently used first. */
  const cache = new Map<string, Entry>()
  /** Logins under way, with how many requests wait for each. */
  const pending = new Map<string, Flight>()
  /** Every login whose Vault token the bridge may still have to revoke. */
  const live = new Set<Entry>()
  let closed = false
  metrics?.jwtExchangeCacheSize(() => cache.size)

  const lease = (entry: Entry, fresh: boolean): ExchangeLease => ({
    agent: entry.agent,
    client: entry.client,
    fresh,
    entry,
  })

  async function acquire(ctx: CallContext): Promise<ExchangeLease> {
    if (closed) throw vaultUnavailable('closing')
    const credential = exchangeableCredential(ctx)
    const agent = ctx.principal.agent
    if (!credential) {
      throw new AppError(
        'FORBIDDEN',
        'This request has no token from the identity provider to log in to Vault with.',
      )
    }
    if (!isJwtRoleNameSafe(cfg.roleTemplate, agent)) {
      throw new AppError(
        'FORBIDDEN',
        'This agent id cannot have a Vault role of its own (Vault lower-cases role names); ' +
          'ask the operator for a lower-case agent id.',
      )
    }
    const role = jwtRoleName(cfg.roleTemplate, agent)
    const key = keyOf(role, credential.token)
    const cached = cache.get(key)
    if (cached && !cached.retired && now() < cached.until) {
      cache.delete(key)
      cache.set(key, cached)
      cached.refs += 1
      metrics?.jwtExchangeCacheHit('cached')
      return lease(cached, false)
    }
    if (cached) retire(cached, 'expired')
    const running = pending.get(key)
    if (running) {
      running.waiters += 1
      metrics?.jwtExchangeCacheHit('shared')
      return lease(await running.login, true)
    }
    const flight = { waiters: 1 } as Flight
    // Registered before the login starts, so that every request with this token joins it.
    pending.set(key, flight)
    flight.login = loginOnce(ctx, credential, role, key, flight)
    return lease(await flight.login, true)
  }

  async function loginOnce(
    ctx: CallContext,
    credential: VerifiedCredential,
    role: string,
    key: string,
    flight: Flight,
  ): Promise<Entry> {
    try {
      const entry = await login(ctx, credential, role, key)
      // Every request that joined is counted before any of them can release it.
      entry.refs += flight.waiters
      if (closed || cfg.cacheSize <= 0 || now() >= entry.until) {
        // Not reusable: it serves the requests that waited for it, then it is revoked.
        entry.retired = true
      } else {
        cache.set(key, entry)
        for (const [, oldest] of cache) {
          if (cache.size <= cfg.cacheSize) break
          retire(oldest, 'capacity')
        }
      }
      return entry
    } finally {
      if (pending.get(key) === flight) pending.delete(key)
    }
  }

  async function login(
    ctx: CallContext,
    credential: VerifiedCredential,
    role: string,
    key: string,
  ): Promise<Entry> {
    const agent = ctx.principal.agent
    let res: unknown
    try {
      // Security: the role and the caller's JWT, nothing else; no token of the bridge's.
      res = await clients().client().write(loginPath, { role, jwt: credential.token })
    } catch (err) {
      throw await refusal(err, agent, role, credential)
    }
    const auth = isRecord(res) && isRecord(res.auth) ? res.auth : undefined
    const token = typeof auth?.client_token === 'string' ? auth.client_token : ''
    if (!token) {
      metrics?.jwtExchangeLogin('failed')
      throw new AppError('INTERNAL', 'Vault answered the login without a token.')
    }
    metrics?.jwtExchangeLogin('ok')
    const at = now()
    const ttl = typeof auth?.lease_duration === 'number' ? auth.lease_duration : 0
    const expiresAt = ttl > 0 ? at + ttl * 1000 : Number.POSITIVE_INFINITY
    const exp = credential.claims.exp
    const jwtEnds = typeof exp === 'number' ? exp * 1000 : expiresAt
    const entry: Entry = {
      key,
      agent,
      token,
      client: clients().client(token),
      until: Math.min(expiresAt, jwtEnds) - EXCHANGE_MARGIN_MS,
      expiresAt,
      refs: 0,
      retired: false,
    }
    live.add(entry)
    log.info(
      {
        event: 'jwt_exchange_login',
        agent,
        role,
        requestId: ctx.requestId,
        ttlSeconds: ttl,
        entityId: typeof auth?.entity_id === 'string' ? auth.entity_id : undefined,
      },
      "Logged the caller in to Vault's JWT auth method.",
    )
    return entry
  }

  /**
   * The AppError for a failed login. Vault's words are never passed on (they can name the
   * token's claims): a refusal is explained from the role's definition, which the bridge may
   * read, compared with the claims the bridge itself verified.
   */
  async function refusal(
    err: unknown,
    agent: string,
    role: string,
    credential: VerifiedCredential,
  ): Promise<AppError> {
    const status = vaultStatus(err)
    const code = (err as { code?: unknown } | null)?.code
    // Security: a cause without the node-vault error (it holds the request body: the JWT) and
    // without Vault's error text.
    const cause = new VaultCallError(
      'POST',
      loginPath,
      status,
      typeof code === 'string' ? code : undefined,
      [],
    )
    if (isVaultUnavailable(err)) {
      metrics?.jwtExchangeLogin('unavailable')
      return vaultUnavailable('down', cause)
    }
    if (status === undefined || status >= 500 || status === 429) {
      metrics?.jwtExchangeLogin('failed')
      return fromVaultError(err, 'vault', { method: 'POST', path: loginPath })
    }
    metrics?.jwtExchangeLogin('refused')
    const why = await explain(role, credential)
    log.warn(
      { event: 'jwt_exchange_refused', agent, role, mount: cfg.mount, status, why },
      "Vault's JWT auth method refused a caller's token.",
    )
    return new AppError(
      'VAULT_LOGIN_REFUSED',
      `Vault refused to log agent "${agent}" in with its token at ${loginPath} (role "${role}"): ` +
        `${why}. An operator can set this up with \`vault-mcp-bridge provision\` ` +
        "(VAULT_JWT_EXCHANGE_ENABLED=true, with the bridge's JWT settings), or apply what " +
        `\`vault-mcp-bridge gen-policy --agent ${agent} --jwt-exchange\` prints.`,
      { cause },
    )
  }

  async function explain(role: string, credential: VerifiedCredential): Promise<string> {
    const bridge = deps.bridgeToken()
    const path = jwtRolePath(cfg.mount, role)
    if (bridge) {
      try {
        const read = (await bridge.client.read(path)) as unknown
        const data = isRecord(read) && isRecord(read.data) ? read.data : {}
        return (
          jwtRoleRefusal(data, credential.claims, now()) ??
          `the role accepts this caller, so the mount's config is wrong: ${configHint}`
        )
      } catch (readErr) {
        if (vaultStatus(readErr) === 404) {
          return `Vault has no role "${role}" at auth/${cfg.mount} (or no JWT auth method is mounted there)`
        }
      }
    }
    return (
      `the JWT auth method at auth/${cfg.mount} must have a role "${role}" of role_type jwt ` +
      "binding this agent's subject and the bridge's audience, and " +
      configHint
    )
  }

  const configHint =
    `auth/${cfg.mount}/config must trust the bridge's identity provider ` +
    '(bound_issuer = JWT_ISSUER, and jwks_url = JWT_JWKS_URL or oidc_discovery_url = JWT_ISSUER)'

  function release(l: ExchangeLease): void {
    const entry = l.entry
    entry.refs -= 1
    if (entry.retired && entry.refs <= 0) void revoke(entry)
  }

  /** No new request may use `entry`; revoked once nobody holds it. */
  function retire(entry: Entry, reason?: JwtExchangeEviction): void {
    if (entry.retired) return
    entry.retired = true
    if (cache.get(entry.key) === entry) cache.delete(entry.key)
    if (reason && now() < entry.expiresAt) metrics?.jwtExchangeEviction(reason)
    if (entry.refs <= 0) void revoke(entry)
  }

  async function revoke(entry: Entry): Promise<void> {
    if (!live.delete(entry)) return
    // A token past its TTL is gone from Vault already.
    if (now() >= entry.expiresAt) return
    const bridge = deps.bridgeToken()
    try {
      if (!bridge) throw new Error('the bridge has no Vault token to revoke with')
      await bridge.client.write('auth/token/revoke', { token: entry.token })
    } catch (err) {
      metrics?.jwtExchangeRevokeFailed()
      log.warn(
        {
          event: 'jwt_exchange_revoke_failed',
          agent: entry.agent,
          vault: describeVaultFailure(err, 'revoke'),
        },
        "Could not revoke a caller's Vault token; it expires by its TTL.",
      )
    }
  }

  return {
    acquire,
    release,
    retire: (l) => retire(l.entry, 'refused'),
    sweep() {
      const at = now()
      for (const entry of [...cache.values()]) if (at >= entry.until) retire(entry, 'expired')
    },
    async close() {
      closed = true
      const entries = [...live]
      cache.clear()
      for (const entry of entries) {
        if (!entry.retired && now() < entry.expiresAt) metrics?.jwtExchangeEviction('shutdown')
        entry.retired = true
      }
      // In-flight requests lose their token: the bridge is closing after they drained.
      await Promise.all(entries.map((entry) => revoke(entry)))
    },
  }
}
