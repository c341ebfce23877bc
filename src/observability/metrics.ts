/** @module observability/metrics: Prometheus metrics (prom-client) on the bridge's own registry, with hooks for each layer. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { OperationEvent, OperationObserver } from '../core/ports.js'

/** Every series starts with this. */
export const METRICS_PREFIX = 'vault_mcp_bridge_'

/** Which limiter refused a request. */
export type RateLimitKind = 'agent' | 'auth_failure'

/** How a JWT-exchange login at Vault ended. */
export type JwtExchangeLoginOutcome = 'ok' | 'refused' | 'unavailable' | 'failed'
/** Why a cached JWT-exchange login left the cache before its Vault token expired. */
export type JwtExchangeEviction = 'capacity' | 'expired' | 'refused' | 'shutdown'

/**
 * The bridge's metrics. Labels are bounded sets on purpose (route patterns, operation names,
 * error codes, auth methods, Vault operation names): never an agent id, path or key name, which
 * would grow without bound and would name what agents hold.
 */
export interface Metrics extends OperationObserver {
  readonly registry: Registry
  /** The `Content-Type` of {@link Metrics.render}. */
  readonly contentType: string
  /** The exposition text for `GET /metrics`. */
  render(): Promise<string>
  /** One HTTP request: `route` is the route pattern (`/secrets/*`), never the raw URL. */
  httpRequest(method: string, route: string, status: number, seconds: number): void
  /**
   * One call to Vault, for the Vault layer to call after each request it sends. `op` is the
   * engine and endpoint (`kv/data`, `transit/encrypt`, `auth/token/create`, `sys/health`: see
   * `vaultCallLabel` in src/vault/node-vault-client.ts); `status` is Vault's HTTP status, or
   * `'network'` when no answer came. Statuses other than 2xx count as errors.
   */
  vaultCall(op: string, status: number | 'network', seconds: number): void
  /** A request refused by a rate limit. */
  rateLimitRejected(kind: RateLimitKind): void
  /** A failed authentication, by the method that was attempted (`api_key`, `jwt`, `mtls`, `none`). */
  authFailure(method: string): void
  /** A child token was minted for a request. */
  childTokenMinted(): void
  /** Revoking a child token failed (it will expire by its TTL). */
  childTokenRevokeFailed(): void
  /** A login at Vault's JWT auth method with a caller's token (one per cache miss). */
  jwtExchangeLogin(outcome: JwtExchangeLoginOutcome): void
  /**
   * A request served by a caller's cached Vault login (`cached`), or by a login another request
   * with the same token had started (`shared`).
   */
  jwtExchangeCacheHit(kind: 'cached' | 'shared'): void
  /** A cached login dropped, and its Vault token revoked. */
  jwtExchangeEviction(reason: JwtExchangeEviction): void
  /** Revoking an exchanged Vault token failed (it expires by its TTL). */
  jwtExchangeRevokeFailed(): void
  /** Reports how many caller logins the cache holds now (read at each scrape). */
  jwtExchangeCacheSize(read: () => number): void
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * Creates the metrics on a fresh registry (so tests and several apps in one process never
 * collide), with the default process metrics (CPU, memory, event loop lag, GC, handles).
 */
export function createMetrics(options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry()
  if (options.processMetrics ?? true)
    collectDefaultMetrics({ register: registry, prefix: METRICS_PREFIX })
  const registers = [registry]
  const p = METRICS_PREFIX

  const httpRequests = new Counter({
    name: `${p}http_requests_total`,
    help: 'HTTP requests by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'],
    registers,
  })
  const httpDuration = new Histogram({
    name: `${p}http_request_duration_seconds`,
    help: 'HTTP request latency by method and route pattern.',
    labelNames: ['method', 'route'],
    buckets: LATENCY_BUCKETS,
    registers,
  })
  const operations = new Counter({
    name: `${p}operations_total`,
    help: 'Operations (REST routes and MCP tools alike) by operation, auth method and outcome (ok or error code).',
    labelNames: ['operation', 'auth_method', 'outcome'],
    registers,
  })
  const operationDuration = new Histogram({
    name: `${p}operation_duration_seconds`,
    help: 'Operation latency by operation.',
    labelNames: ['operation'],
    buckets: LATENCY_BUCKETS,
    registers,
  })
  const vaultRequests = new Counter({
    name: `${p}vault_requests_total`,
    help: 'Calls to Vault by operation and HTTP status (network = no answer).',
    labelNames: ['op', 'status'],
    registers,
  })
  const vaultErrors = new Counter({
    name: `${p}vault_errors_total`,
    help: 'Calls to Vault that failed (non-2xx status or no answer) by operation and status.',
    labelNames: ['op', 'status'],
    registers,
  })
  const vaultDuration = new Histogram({
    name: `${p}vault_request_duration_seconds`,
    help: 'Latency of calls to Vault by operation.',
    labelNames: ['op'],
    buckets: LATENCY_BUCKETS,
    registers,
  })
  const rateLimited = new Counter({
    name: `${p}rate_limit_rejections_total`,
    help: 'Requests refused by a rate limit (agent budget or auth-failure limit).',
    labelNames: ['kind'],
    registers,
  })
  const authFailures = new Counter({
    name: `${p}auth_failures_total`,
    help: 'Failed authentications by attempted method.',
    labelNames: ['method'],
    registers,
  })
  const childTokens = new Counter({
    name: `${p}child_tokens_minted_total`,
    help: 'Per-request child tokens minted.',
    registers,
  })
  const revokeFailures = new Counter({
    name: `${p}child_token_revoke_failures_total`,
    help: 'Child tokens whose revocation failed (they expire by their TTL).',
    registers,
  })
  const exchangeLogins = new Counter({
    name: `${p}jwt_exchange_logins_total`,
    help: "Logins at Vault's JWT auth method with a caller's token, by outcome (ok, refused, unavailable, failed).",
    labelNames: ['outcome'],
    registers,
  })
  const exchangeHits = new Counter({
    name: `${p}jwt_exchange_cache_hits_total`,
    help: 'Requests served by a cached caller login (cached) or by a login another request started (shared).',
    labelNames: ['kind'],
    registers,
  })
  const exchangeEvictions = new Counter({
    name: `${p}jwt_exchange_evictions_total`,
    help: 'Cached caller logins dropped with their Vault token revoked, by reason (capacity, expired, refused, shutdown).',
    labelNames: ['reason'],
    registers,
  })
  const exchangeRevokeFailures = new Counter({
    name: `${p}jwt_exchange_revoke_failures_total`,
    help: 'Exchanged Vault tokens whose revocation failed (they expire by their TTL).',
    registers,
  })
  let exchangeSize: () => number = () => 0
  new Gauge({
    name: `${p}jwt_exchange_cache_entries`,
    help: 'Caller logins the JWT-exchange cache holds.',
    registers,
    collect() {
      this.set(exchangeSize())
    },
  })
  // Pre-create the zero series, so dashboards and alerts see them before the first event.
  for (const kind of ['agent', 'auth_failure']) rateLimited.inc({ kind }, 0)
  for (const method of ['api_key', 'jwt', 'mtls', 'none']) authFailures.inc({ method }, 0)
  for (const outcome of ['ok', 'refused', 'unavailable', 'failed'])
    exchangeLogins.inc({ outcome }, 0)
  for (const kind of ['cached', 'shared']) exchangeHits.inc({ kind }, 0)
  for (const reason of ['capacity', 'expired', 'refused', 'shutdown']) {
    exchangeEvictions.inc({ reason }, 0)
  }

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    httpRequest(method, route, status, seconds) {
      httpRequests.inc({ method, route, status: String(status) })
      httpDuration.observe({ method, route }, seconds)
    },
    operationFinished(event: OperationEvent) {
      try {
        operations.inc({
          operation: event.operation,
          auth_method: event.method,
          outcome: event.outcome,
        })
        operationDuration.observe({ operation: event.operation }, event.durationMs / 1000)
      } catch {
        // An observer must not throw into the request (OperationObserver contract).
      }
    },
    vaultCall(op, status, seconds) {
      const s = String(status)
      vaultRequests.inc({ op, status: s })
      vaultDuration.observe({ op }, seconds)
      if (status === 'network' || status < 200 || status > 299) vaultErrors.inc({ op, status: s })
    },
    rateLimitRejected: (kind) => rateLimited.inc({ kind }),
    authFailure: (method) => authFailures.inc({ method }),
    childTokenMinted: () => childTokens.inc(),
    childTokenRevokeFailed: () => revokeFailures.inc(),
    jwtExchangeLogin: (outcome) => exchangeLogins.inc({ outcome }),
    jwtExchangeCacheHit: (kind) => exchangeHits.inc({ kind }),
    jwtExchangeEviction: (reason) => exchangeEvictions.inc({ reason }),
    jwtExchangeRevokeFailed: () => exchangeRevokeFailures.inc(),
    jwtExchangeCacheSize(read) {
      exchangeSize = read
    },
  }
}

/** Tells several observers (audit trail, metrics) about each operation; one failing stops none. */
export function combineObservers(
  ...observers: (OperationObserver | undefined)[]
): OperationObserver {
  const list = observers.filter((o): o is OperationObserver => o !== undefined)
  return {
    operationFinished(event) {
      for (const o of list) {
        try {
          o.operationFinished(event)
        } catch {
          // Observers must not throw; a broken one must not silence the others.
        }
      }
    },
  }
}
