/**
 * @module scripts/bench/report: the bench's arithmetic and its table: percentiles, medians over
 * rounds, the ratios of issue 15's targets with PASS/FAIL, and the printed table. Pure functions,
 * unit-tested in report.test.ts; scripts/bench.ts feeds them measurements.
 */

/** One load run of one scenario (one round). */
export interface RunSample {
  /** Completed requests per second over the run. */
  rps: number
  /** Latency percentiles of the run, in ms. */
  p50: number
  p99: number
  /** Requests that failed: non-2xx answers, socket errors and timeouts. */
  errors: number
  requests: number
}

/** A scenario's rounds, summarised: medians over rounds, errors summed. */
export interface ScenarioSummary {
  id: string
  label: string
  rounds: number
  rps: number
  p50: number
  p99: number
  errors: number
  requests: number
  /** Per-round req/s, in round order (for paired ratios). */
  rpsByRound: number[]
  p99ByRound: number[]
}

/** What a target compares. `ratio`: a/b ≥ min; `delta`: a−b ≤ max; `max`: a ≤ max. */
export type TargetSpec =
  | { kind: 'ratio'; id: string; label: string; a: string; b: string; min: number }
  | { kind: 'delta'; id: string; label: string; a: string; b: string; max: number; unit: string }
  | { kind: 'max'; id: string; label: string; value: number | undefined; max: number; unit: string }

export interface TargetResult {
  id: string
  label: string
  /** The measured figure: a ratio, a difference or a value. */
  measured: number | undefined
  /**
   * A ratio's or difference's figure in each round, of which `measured` is the median: how far
   * apart they are says how firmly one run decides the target.
   */
  rounds?: number[]
  /** Where the median of `rounds` lies, with the stated confidence (see {@link medianInterval}). */
  interval?: MedianInterval
  /**
   * Whether the verdict holds at 95% confidence: `interval` reaches 95% and lies wholly on one
   * side of the bound. False when it straddles the bound, or when too few rounds (under 6) give
   * no 95% interval; the verdict is then the median's alone.
   */
  decided?: boolean
  /** The bound, as text (`≥ 0.85`, `≤ 2 ms`). */
  bound: string
  pass: boolean
  /** Why there is no figure (a scenario was not measured). */
  note?: string
}

/** The `p`-quantile (0..1) of `values` by the nearest-rank method; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((x, y) => x - y)
  const rank = Math.ceil(p * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

/** The median (mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((x, y) => x - y)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/**
 * The confidence a verdict needs to be "decided": the interval the bench prints, the coverage a
 * decided verdict's interval must reach, and the coverage below which the table shows it.
 */
export const CONFIDENCE = 0.95

/** A confidence interval of a median: between two of the values, and how sure it is. */
export interface MedianInterval {
  low: number
  high: number
  /** The probability that the interval holds the true median (at least `confidence` if n ≥ 6). */
  coverage: number
}

/**
 * The distribution-free confidence interval of the median of `values` (order statistics): the
 * k-th lowest and k-th highest value, with the largest k whose coverage, 1 − 2·P(Bin(n, ½) < k),
 * is at least `confidence`. It assumes only that the rounds are independent draws, not that they
 * are normal. Below 6 values no interval reaches 95%: it is then the lowest to the highest value,
 * with its lower coverage (5 values: 93.75%). Undefined for no values.
 */
export function medianInterval(
  values: readonly number[],
  confidence = CONFIDENCE,
): MedianInterval | undefined {
  const n = values.length
  if (n === 0) return undefined
  const sorted = [...values].sort((x, y) => x - y)
  // below[k]: P(Bin(n, ½) < k), for k = 0, 1, ...
  const coverageOf = (k: number) => {
    let below = 0
    let choose = 1
    for (let i = 0; i < k; i++) {
      below += choose
      choose = (choose * (n - i)) / (i + 1)
    }
    return 1 - (2 * below) / 2 ** n
  }
  let k = 1
  while (k + 1 <= n - k && coverageOf(k + 1) >= confidence) k += 1
  return { low: sorted[k - 1]!, high: sorted[n - k]!, coverage: coverageOf(k) }
}

/** Summarises one scenario's rounds. */
export function summarize(
  id: string,
  label: string,
  samples: readonly RunSample[],
): ScenarioSummary {
  return {
    id,
    label,
    rounds: samples.length,
    rps: median(samples.map((s) => s.rps)),
    p50: median(samples.map((s) => s.p50)),
    p99: median(samples.map((s) => s.p99)),
    errors: samples.reduce((n, s) => n + s.errors, 0),
    requests: samples.reduce((n, s) => n + s.requests, 0),
    rpsByRound: samples.map((s) => s.rps),
    p99ByRound: samples.map((s) => s.p99),
  }
}

/** `combine` of a's and b's figure of the same round, round by round. */
function byRound(
  a: readonly number[],
  b: readonly number[],
  combine: (x: number, y: number) => number,
): number[] {
  return Array.from({ length: Math.min(a.length, b.length) }, (_, i) => combine(a[i]!, b[i]!))
}

/** a's req/s over b's, round by round (rounds alternate, so a round's two ran close together). */
export const roundRatios = (a: ScenarioSummary, b: ScenarioSummary): number[] =>
  byRound(a.rpsByRound, b.rpsByRound, (x, y) => x / y)

/** a's p99 minus b's (ms), round by round. */
export const roundDeltas = (a: ScenarioSummary, b: ScenarioSummary): number[] =>
  byRound(a.p99ByRound, b.p99ByRound, (x, y) => x - y)

/**
 * Evaluates the targets. A target whose scenarios were not measured FAILS with a note: an
 * unmeasured target is not a met one. Scenarios with errors fail their targets too.
 */
export function evaluate(
  targets: readonly TargetSpec[],
  scenarios: ReadonlyMap<string, ScenarioSummary>,
): TargetResult[] {
  return targets.map((t): TargetResult => {
    if (t.kind === 'max') {
      const pass = t.value !== undefined && Number.isFinite(t.value) && t.value <= t.max
      return {
        id: t.id,
        label: t.label,
        measured: t.value,
        bound: `≤ ${t.max} ${t.unit}`,
        pass,
        ...(t.value === undefined ? { note: 'not measured' } : {}),
      }
    }
    const a = scenarios.get(t.a)
    const b = scenarios.get(t.b)
    const bound = t.kind === 'ratio' ? `≥ ${t.min}` : `≤ ${t.max} ${t.unit}`
    if (!a || !b) {
      const missing = [!a ? t.a : undefined, !b ? t.b : undefined].filter(Boolean).join(', ')
      return {
        id: t.id,
        label: t.label,
        measured: undefined,
        bound,
        pass: false,
        note: `not measured: ${missing}`,
      }
    }
    const meets = (x: number) => (t.kind === 'ratio' ? x >= t.min : x <= t.max)
    const { meetsBound, ...judged } = judgeRounds(
      t.kind === 'ratio' ? roundRatios(a, b) : roundDeltas(a, b),
      meets,
    )
    const failing = a.errors + b.errors
    return {
      id: t.id,
      label: t.label,
      ...judged,
      bound,
      pass: meetsBound && failing === 0,
      ...(failing > 0 ? { note: `${failing} failed requests` } : {}),
    }
  })
}

/**
 * The targets of several runs of the same build judged together (`scripts/bench/pool.ts`): a
 * ratio or difference over all the runs' rounds (each run's rounds are independent draws of the
 * same measurement, so pooling them narrows the interval of the median), a plain maximum by its
 * worst run. A failure that no number of rounds excuses carries over: failed requests or an
 * unmeasured scenario in any run, and a maximum exceeded in any run. A target missing from a
 * run fails.
 */
export function poolResults(runs: readonly (readonly TargetResult[])[]): TargetResult[] {
  return (runs[0] ?? []).map((first): TargetResult => {
    const found = runs.map((run) => run.find((r) => r.id === first.id))
    const results = found.filter((r): r is TargetResult => r !== undefined)
    const { atLeast, limit } = parseBound(first.bound)
    const meets = (x: number) => (atLeast ? x >= limit : x <= limit)
    const notes = results.flatMap((r) => (r.note ? [r.note] : []))
    if (results.length < runs.length) notes.push(`missing in ${runs.length - results.length} runs`)
    const base = { id: first.id, label: first.label, bound: first.bound }
    const note = notes.length > 0 ? { note: [...new Set(notes)].join('; ') } : {}
    if (results.every((r) => r.rounds !== undefined)) {
      const { meetsBound, ...judged } = judgeRounds(
        results.flatMap((r) => r.rounds!),
        meets,
      )
      return { ...base, ...judged, pass: meetsBound && notes.length === 0, ...note }
    }
    const values = results.map((r) => r.measured ?? Number.NaN)
    const worst = atLeast ? Math.min(...values) : Math.max(...values)
    return {
      ...base,
      measured: worst,
      pass: results.every((r) => r.pass) && notes.length === 0 && meets(worst),
      ...note,
    }
  })
}

/** A target's bound from its text (`≥ 0.85`, `≤ 2 ms`, `≤ 150 MB`). */
function parseBound(bound: string): { atLeast: boolean; limit: number } {
  const m = /^(≥|≤) (-?\d+(?:\.\d+)?)/.exec(bound)
  if (!m) throw new Error(`a target bound the bench does not write: "${bound}"`)
  return { atLeast: m[1] === '≥', limit: Number(m[2]) }
}

/**
 * A ratio's or difference's rounds judged against its bound (`meets`): their median, the 95%
 * interval of the median, and whether the median, and the interval, are on the right side.
 */
function judgeRounds(
  rounds: number[],
  meets: (x: number) => boolean,
): Pick<TargetResult, 'measured' | 'rounds' | 'interval' | 'decided'> & { meetsBound: boolean } {
  const measured = median(rounds)
  const interval = medianInterval(rounds)
  return {
    measured,
    rounds,
    ...(interval
      ? {
          interval,
          decided: interval.coverage >= CONFIDENCE && meets(interval.low) === meets(interval.high),
        }
      : {}),
    meetsBound: Number.isFinite(measured) && meets(measured),
  }
}

/** A plain-text table: the first column left-aligned, the others right-aligned. */
export function formatTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd()
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

const fixed = (n: number | undefined, digits: number) =>
  n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits)

/** The scenarios' table: req/s, p50, p99, errors. */
export function scenarioTable(scenarios: readonly ScenarioSummary[]): string {
  return formatTable(
    ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'errors'],
    scenarios.map((s) => [
      s.label,
      fixed(s.rps, 0),
      fixed(s.p50, 2),
      fixed(s.p99, 2),
      String(s.requests),
      String(s.errors),
    ]),
  )
}

/**
 * The targets' table: the measured figure (the median of the rounds), the 95% interval of that
 * median, the bound, and PASS/FAIL, marked "undecided" where the interval straddles the bound
 * (one run on this machine cannot then tell which side the figure is on) or falls short of 95%
 * (fewer than 6 rounds: it then shows its coverage).
 */
export function targetTable(results: readonly TargetResult[]): string {
  return formatTable(
    ['target', 'measured', `${CONFIDENCE * 100}% interval`, 'bound', 'result'],
    results.map((r) => {
      const digits = parseBound(r.bound).atLeast ? 2 : 1
      const i = r.interval
      const interval = i
        ? `${fixed(i.low, digits)} .. ${fixed(i.high, digits)}` +
          (i.coverage < CONFIDENCE ? ` (${(i.coverage * 100).toFixed(0)}%)` : '')
        : '-'
      const notes = [r.decided === false ? 'undecided' : undefined, r.note].filter(Boolean)
      return [
        r.label,
        fixed(r.measured, digits),
        interval,
        r.bound,
        `${r.pass ? 'PASS' : 'FAIL'}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`,
      ]
    }),
  )
}
