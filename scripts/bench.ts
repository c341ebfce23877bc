/**
 * @module scripts/bench: `npm run bench`. Starts a dev vault and the bridge in this process (the
 * production composition, AppRole from `provision`, REST over real HTTP on 127.0.0.1) and
 * measures read and write latency and throughput with child tokens off, on, and reused.
 * Bounded: a fixed number of requests per phase and a time cap per phase; whole run < 60 s.
 */
import { startBridge, type RunningBridge } from '../src/bridge.js'
import { loadConfig } from '../src/config/load.js'
import { startDevVault } from '@vault-mcp-bridge/dev-vault'
import { createLogger } from '../src/observability/logger.js'
import { createNodeVaultClient } from '../src/vault/node-vault-client.js'
import { provisionVault } from '../src/vault/admin/provision.js'

const AGENT = 'bench'
const API_KEY = 'bench-key-0123456789'
/** Per round: sequential requests (latency) and requests at CONCURRENCY (throughput). */
const SEQUENTIAL = 150
const CONCURRENCY = 8
const CONCURRENT_REQUESTS = 300
/** Rounds per mode and op, interleaved across modes so that machine noise hits all alike. */
const ROUNDS = 2
/** No phase runs longer than this, whatever the machine. */
const PHASE_CAP_MS = 1500
/** Rounds stop starting after this much of the run, to stay well under a minute. */
const RUN_BUDGET_MS = 40_000

const MODES = [
  { name: 'child tokens off', env: { CHILD_TOKEN_ENABLED: 'false' } },
  { name: 'child tokens on', env: { CHILD_TOKEN_ENABLED: 'true' } },
  { name: 'on, reuse 30s', env: { CHILD_TOKEN_ENABLED: 'true', CHILD_TOKEN_REUSE_SECONDS: '30' } },
] as const

interface Row {
  mode: string
  op: string
  n: number
  p50: number
  p95: number
  p99: number
  rps: number
  errors: number
}

async function main(): Promise<void> {
  const started = Date.now()
  const logger = createLogger({ level: 'silent' })
  const dev = await startDevVault({ port: 0 })
  const baseEnv = {
    VAULT_ADDR: dev.url,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    API_KEYS_JSON: JSON.stringify({ [API_KEY]: AGENT }),
    AUTH_JWT_ENABLED: 'false',
    RATE_LIMIT_ENABLED: 'false',
    METRICS_ENABLED: 'false',
    AUDIT_LOG: 'off',
  }
  const admin = createNodeVaultClient(loadConfig(baseEnv).vault, { token: dev.rootToken, logger })
  const base = loadConfig(baseEnv)
  const { roleId, secretId } = await provisionVault({
    client: admin,
    agents: [AGENT],
    kvMount: base.vault.kvMount,
    transitMount: base.vault.transitMount,
    prefix: base.prefix,
    policyPrefix: base.childToken.policyPrefix,
    appRoleMount: 'approle',
    childTokenRole: base.childToken.role,
  })
  admin.close()

  const bridges: { mode: string; bridge: RunningBridge }[] = []
  const rows: Row[] = []
  try {
    for (const mode of MODES) {
      const config = loadConfig({
        ...baseEnv,
        ...mode.env,
        VAULT_ROLE_ID: roleId,
        VAULT_SECRET_ID: secretId!,
      })
      bridges.push({ mode: mode.name, bridge: await startBridge(config, logger) })
    }
    const clients = bridges.map(({ mode, bridge }) => ({ mode, ops: operations(bridge) }))
    // Warm up: every key exists before reads, connections are open, code paths are hot.
    for (const c of clients) for (let k = 0; k < 100; k++) await c.ops.write().then(drain)
    for (const op of ['write', 'read'] as const) {
      const samples = new Map<string, Sample[]>()
      for (let round = 0; round < ROUNDS; round++) {
        if (round > 0 && Date.now() - started > RUN_BUDGET_MS) break
        for (const c of clients) {
          const list = samples.get(c.mode) ?? []
          list.push(await sample(c.ops[op]))
          samples.set(c.mode, list)
        }
      }
      for (const c of clients) rows.push(summarize(c.mode, op, samples.get(c.mode)!))
    }
  } finally {
    for (const { bridge } of bridges) await bridge.stop()
    await dev.close()
  }
  printTable(rows)
  process.stdout.write(
    `\n${ROUNDS} interleaved rounds per row: ${SEQUENTIAL} sequential requests (latency), then ` +
      `${CONCURRENT_REQUESTS} at concurrency ${CONCURRENCY} (req/s, mean of rounds); each phase ` +
      `capped at ${PHASE_CAP_MS / 1000}s. Vault calls per request: off 1; on 3 (create, the ` +
      `call, revoke in the background); reuse ~1. Dev vault and bridges share this process ` +
      `(${Math.round((Date.now() - started) / 1000)}s in all).\n`,
  )
}

interface Sample {
  latencies: number[]
  rps: number
  errors: number
}

const drain = (res: Response) => res.arrayBuffer()

function operations(bridge: RunningBridge) {
  const headers = { 'X-API-Key': API_KEY, 'Content-Type': 'application/json' }
  const body = JSON.stringify({ data: { user: 'bench', password: 'not-a-real-secret' } })
  let i = 0
  return {
    write: () =>
      fetch(`${bridge.url}/secrets/bench/k${i++ % 100}`, { method: 'PUT', headers, body }),
    read: () => fetch(`${bridge.url}/secrets/bench/k${i++ % 100}`, { headers }),
  }
}

/** One round: sequential requests for latency, then concurrent ones for throughput. */
async function sample(call: () => Promise<Response>): Promise<Sample> {
  let errors = 0
  const one = async (): Promise<number> => {
    const t0 = performance.now()
    const res = await call()
    await drain(res)
    if (res.status !== 200) errors += 1
    return performance.now() - t0
  }
  const latencies: number[] = []
  const seqEnd = Date.now() + PHASE_CAP_MS
  while (latencies.length < SEQUENTIAL && Date.now() < seqEnd) latencies.push(await one())
  let started = 0
  const t0 = performance.now()
  const capEnd = Date.now() + PHASE_CAP_MS
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (started < CONCURRENT_REQUESTS && Date.now() < capEnd) {
        started += 1
        await one()
      }
    }),
  )
  return { latencies, rps: started / ((performance.now() - t0) / 1000), errors }
}

function summarize(mode: string, op: string, samples: Sample[]): Row {
  const latencies = samples.flatMap((s) => s.latencies).sort((a, b) => a - b)
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!
  return {
    mode,
    op,
    n: latencies.length,
    p50: pct(0.5),
    p95: pct(0.95),
    p99: pct(0.99),
    rps: samples.reduce((sum, s) => sum + s.rps, 0) / samples.length,
    errors: samples.reduce((sum, s) => sum + s.errors, 0),
  }
}

function printTable(rows: Row[]): void {
  const head = [
    'mode',
    'op',
    'n',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    `req/s (c=${CONCURRENCY})`,
    'errors',
  ]
  const lines = rows.map((r) => [
    r.mode,
    r.op,
    String(r.n),
    r.p50.toFixed(2),
    r.p95.toFixed(2),
    r.p99.toFixed(2),
    r.rps.toFixed(0),
    String(r.errors),
  ])
  const widths = head.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c]!.length)))
  const fmt = (cells: string[]) =>
    cells.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')
  process.stdout.write(`${fmt(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`)
  for (const l of lines) process.stdout.write(`${fmt(l)}\n`)
}

await main()
