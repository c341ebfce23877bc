/**
 * @module vault/vault-port: the Vault side of the bridge, assembled from its jobs: the bridge's
 * own token (bridge-token.ts), the per-request child tokens (child-tokens.ts), the callers' own
 * tokens from Vault's JWT method (jwt-exchange.ts), and the session with its 403 recovery
 * (session-runner.ts).
 */
import type { Config } from '../config/schema.js'
import type { VaultPort } from '../core/ports.js'
import type { Logger } from '../observability/logger.js'
import type { Metrics } from '../observability/metrics.js'
import { createBridgeTokenKeeper } from './bridge-token.js'
import { createChildTokenPool } from './child-tokens.js'
import { createJwtExchange } from './jwt-exchange.js'
import {
  createNodeVaultClientFactory,
  readVaultTls,
  type NodeVaultClientFactory,
} from './node-vault-client.js'
import { checkVaultConnection } from './vault-connection.js'
import { isPolicyPrefixSafe } from './policy-name.js'
import { createSessionRunner, sessionIdentity } from './session-runner.js'
import { VaultStartupError } from './vault-startup-error.js'

export interface VaultPortDeps {
  vault: Config['vault']
  childToken: Config['childToken']
  /** VAULT_JWT_EXCHANGE_*; off when absent. */
  jwtExchange?: Config['jwtExchange']
  logger: Logger
  /** Current time in ms (tests share one controllable clock with the dev vault). */
  now?: () => number
  /** Vault call latency and outcomes, child tokens, JWT-exchange logins, cache and revocations. */
  metrics?: Pick<
    Metrics,
    | 'vaultCall'
    | 'childTokenMinted'
    | 'childTokenRevokeFailed'
    | 'jwtExchangeLogin'
    | 'jwtExchangeCacheHit'
    | 'jwtExchangeEviction'
    | 'jwtExchangeRevokeFailed'
    | 'jwtExchangeCacheSize'
  >
}

/** The VaultPort the composition root starts and closes. */
export type ManagedVaultPort = VaultPort & {
  /**
   * Looks at VAULT_ADDR once (bounded: DNS, TCP, TLS handshake), then logs in (AppRole) or
   * looks the token up. An unreachable Vault (refused, reset, timed out, sealed) is not fatal:
   * the port starts not ready and recovers by itself once Vault answers.
   * @throws VaultStartupError no credentials, token invalid, AppRole credentials rejected,
   *   unreadable TLS files, or a Vault that can never be reached as configured (unknown host,
   *   wrong scheme, a certificate that cannot be verified): serve exits 2.
   */
  start(): Promise<void>
  /**
   * One round of upkeep, now: renews or replaces the bridge token once its renewal time has come
   * (by `now`), and retires reused child tokens whose window has ended. The port runs it every
   * {@link UPKEEP_TICK_MS} after `start()`; tests that own the clock call it to step time. Never
   * throws.
   */
  upkeep(): Promise<void>
  /** Stops upkeep, revokes live child tokens and the bridge's own AppRole token (best effort). */
  close(): Promise<void>
}

/**
 * The Vault settings that are wrong whatever Vault says: no credentials at all, or a child-token
 * policy prefix Vault would change. Run before anything is contacted (serve's and
 * check-config's common checks, and `start`).
 * @throws VaultStartupError `no_credentials` or `policy_prefix`.
 */
export function checkVaultSettings(
  vault: Pick<Config['vault'], 'appRole' | 'token'>,
  childToken: Pick<Config['childToken'], 'enabled' | 'policyPrefix'>,
): void {
  if (!vault.appRole && !vault.token) {
    throw new VaultStartupError(
      'no_credentials',
      'No Vault credentials: set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID for AppRole.',
    )
  }
  if (childToken.enabled && !isPolicyPrefixSafe(childToken.policyPrefix)) {
    // Security: Vault lower-cases policy names; a prefix it would change names no policy.
    throw new VaultStartupError(
      'policy_prefix',
      'CHILD_TOKEN_POLICY_PREFIX must be lower-case letters, digits, "_", "." or "-".',
    )
  }
}

/** How often the port compares the clock with the renewal time of the bridge token (ms). */
export const UPKEEP_TICK_MS = 1000

/**
 * Creates the Vault side of the bridge. Call `start()` before serving and `close()` at shutdown.
 *
 * Sessions throw AppErrors: VAULT_UNAVAILABLE (with `details.retryAfterSeconds`) while Vault is
 * unreachable or the bridge cannot authenticate, FORBIDDEN when Vault denies the agent (with a
 * gen-policy hint under child tokens), VAULT_LOGIN_REFUSED when Vault's JWT method refuses a
 * caller's token (JWT exchange), and whatever the VaultSession throws.
 */
export function createVaultPort(deps: VaultPortDeps): ManagedVaultPort {
  const { vault, childToken } = deps
  const now = deps.now ?? Date.now
  const log = deps.logger.child({ component: 'vault' })
  let factory: NodeVaultClientFactory | undefined
  const clients = () => {
    if (!factory) throw new Error('createVaultPort: start() was not called')
    return factory
  }

  const bridge = createBridgeTokenKeeper({
    vault,
    log,
    now,
    clients,
    // Reused child tokens belong to the old token; new sessions get children of the new one.
    onNewToken: () => children.retireReused(),
  })
  const children = createChildTokenPool({
    childToken,
    log,
    now,
    clients,
    currentBridgeToken: bridge.current,
    gainPolicy: bridge.gainPolicy,
    metrics: deps.metrics,
  })
  const exchange = deps.jwtExchange?.enabled
    ? createJwtExchange({
        exchange: deps.jwtExchange,
        log,
        now,
        clients,
        bridgeToken: bridge.current,
        metrics: deps.metrics,
      })
    : undefined
  const sessionDeps = {
    vault,
    childTokens: childToken.enabled,
    policyPrefix: childToken.policyPrefix,
    bridge,
    children,
    ...(exchange ? { exchange: { ...exchange, only: deps.jwtExchange?.only === true } } : {}),
    log,
    now,
  }
  const session = createSessionRunner(sessionDeps)
  let ticker: NodeJS.Timeout | undefined
  let closed = false
  const upkeep = async () => {
    children.sweep()
    exchange?.sweep()
    await bridge.upkeep()
  }

  return {
    async start() {
      checkVaultSettings(vault, childToken)
      const tls = readVaultTls(vault)
      // Bounded, before the first login: what can never heal stops here (exit 2).
      const connection = await checkVaultConnection(vault, tls)
      factory = createNodeVaultClientFactory(vault, { logger: log, metrics: deps.metrics, tls })
      try {
        await bridge.start(connection)
      } catch (err) {
        factory.close()
        throw err
      }
      ticker = setInterval(() => void upkeep(), UPKEEP_TICK_MS)
      ticker.unref()
    },

    async close() {
      if (closed) return
      closed = true
      bridge.stop()
      if (ticker) clearInterval(ticker)
      await children.close()
      // Callers' tokens are revoked with the bridge's token, so before that one goes.
      await exchange?.close()
      await bridge.revokeLogin()
      factory?.close()
    },

    upkeep,
    session,
    identity: (ctx) => sessionIdentity(sessionDeps, ctx),
    readiness: bridge.readiness,
  }
}
