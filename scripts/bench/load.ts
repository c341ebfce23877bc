/**
 * @module scripts/bench/load: one load run with autocannon (closed loop at full load, or a fixed
 * overall rate), with every response's latency kept at sub-millisecond resolution (autocannon's
 * own histogram rounds to whole milliseconds).
 */
import autocannon from 'autocannon'
import { percentile, type RunSample } from './report.js'

/** One HTTP request the load generator repeats. */
export interface RequestSpec {
  method: 'GET' | 'PUT' | 'POST'
  /** Path and query on the target. */
  path: string
  headers: Record<string, string>
  body?: string
  /**
   * Header sets used in turn, one per request sent, over all connections together (each on top
   * of `headers`): requests sent at the same moment carry different credentials.
   */
  rotate?: readonly Record<string, string>[]
}

export interface LoadOptions {
  /** `http://host:port` */
  url: string
  /** Requests sent in turn by each connection. */
  requests: readonly RequestSpec[]
  connections: number
  durationSeconds: number
  /** Requests per second over all connections; omitted: as fast as answers come. */
  rate?: number
}

/** Runs the load and returns its sample; a non-2xx answer counts as an error. */
export async function runLoad(o: LoadOptions): Promise<RunSample> {
  const latencies: number[] = []
  let errors = 0
  let done!: (r: { result?: autocannon.Result; err?: unknown }) => void
  const finished = new Promise<{ result?: autocannon.Result; err?: unknown }>((r) => (done = r))
  const instance = autocannon(
    {
      url: o.url,
      connections: o.connections,
      duration: o.durationSeconds,
      ...(o.rate ? { overallRate: o.rate } : {}),
      timeout: 10,
      requests: o.requests.map((r) => ({
        method: r.method,
        path: r.path,
        headers:
          r.body === undefined ? r.headers : { ...r.headers, 'content-type': 'application/json' },
        ...(r.body === undefined ? {} : { body: r.body }),
        ...(r.rotate ? { setupRequest: rotating(r.rotate) } : {}),
      })),
    },
    (err, result) => done({ err, result }),
  )
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime)
    else errors += 1
  })
  const { err, result } = await finished
  if (!result) throw new Error(`autocannon failed: ${String(err)}`)
  errors += result.errors + result.timeouts
  const seconds = result.duration > 0 ? result.duration : o.durationSeconds
  return {
    rps: latencies.length / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    errors,
    requests: latencies.length + errors,
  }
}

/** An autocannon `setupRequest` that puts the next header set of `sets` on each request. */
function rotating(sets: readonly Record<string, string>[]) {
  let next = 0
  return (req: autocannon.Request): autocannon.Request => {
    const set = sets[next++ % sets.length]
    return { ...req, headers: { ...req.headers, ...set } }
  }
}

/** `items` in an order fixed by `seed` (Fisher-Yates over a mulberry32 generator). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/**
 * The order of one round: the scenarios that a target compares run next to each other, so that
 * a ratio's two sides meet the same moment of the machine. `pairs` links scenario ids (a
 * target's two sides); the linked scenarios form groups (a read, its MCP reads, its RS256 read,
 * its child-token read and the bare proxy's read are one group). The groups run in an order fixed
 * by `seed`, and so do the scenarios within each group, so that in different rounds a scenario
 * follows different neighbours. Scenarios no target links run as groups of their own.
 */
export function groupedOrder<T extends { id: string }>(
  items: readonly T[],
  pairs: readonly (readonly [string, string])[],
  seed: number,
): T[] {
  const leader = new Map(items.map((s) => [s.id, s.id]))
  const find = (id: string): string => {
    let root = id
    while (leader.get(root) !== root) root = leader.get(root)!
    leader.set(id, root)
    return root
  }
  for (const [a, b] of pairs) {
    if (leader.has(a) && leader.has(b)) leader.set(find(a), find(b))
  }
  const groups = new Map<string, T[]>()
  for (const s of items) {
    const root = find(s.id)
    groups.set(root, [...(groups.get(root) ?? []), s])
  }
  return shuffled([...groups.values()], seed).flatMap((group, i) =>
    shuffled(group, seed * 1000 + i),
  )
}
