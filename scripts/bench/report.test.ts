/** @module scripts/bench/report tests: the bench's percentiles, paired ratios and PASS/FAIL rules. */
import { describe, expect, it } from 'vitest'
import {
  evaluate,
  formatTable,
  median,
  medianInterval,
  percentile,
  poolResults,
  roundDeltas,
  roundRatios,
  summarize,
  targetTable,
  type RunSample,
  type TargetResult,
} from './report.js'

const run = (rps: number, p99 = 5, errors = 0): RunSample => ({
  rps,
  p50: 1,
  p99,
  errors,
  requests: 100,
})

describe('percentile and median', () => {
  it('uses the nearest rank and ignores input order', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6]
    expect(percentile(values, 0.5)).toBe(5)
    expect(percentile(values, 0.99)).toBe(10)
    expect(percentile(values, 0.1)).toBe(1)
    expect(percentile([], 0.5)).toBeNaN()
  })

  it('takes the mean of the middle two for an even count', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })
})

describe('paired figures', () => {
  it('is the median of per-round ratios, not the ratio of medians', () => {
    // Round 2 ran on a busy machine: both scenarios slowed alike.
    const a = summarize('a', 'a', [run(900), run(300), run(700)])
    const b = summarize('b', 'b', [run(1000), run(340), run(1000)])
    expect(median(roundRatios(a, b))).toBeCloseTo(300 / 340, 9)
    expect(a.rps / b.rps).toBe(0.7)
  })

  it('takes p99 differences round by round', () => {
    const a = summarize('a', 'a', [run(1, 7), run(1, 30), run(1, 8)])
    const b = summarize('b', 'b', [run(1, 6), run(1, 29), run(1, 5)])
    expect(roundDeltas(a, b)).toEqual([1, 1, 3])
    expect(median(roundDeltas(a, b))).toBe(1)
    expect(a.p99 - b.p99).toBe(2)
  })
})

describe('evaluate', () => {
  const scenarios = new Map([
    ['bridge', summarize('bridge', 'bridge', [run(850), run(860)])],
    ['proxy', summarize('proxy', 'proxy', [run(1000), run(1000)])],
    ['broken', summarize('broken', 'broken', [run(990, 5, 3)])],
  ])

  it('passes a ratio at its bound and fails one below it', () => {
    const [at, below] = evaluate(
      [
        { kind: 'ratio', id: 'at', label: 'at', a: 'bridge', b: 'proxy', min: 0.85 },
        { kind: 'ratio', id: 'below', label: 'below', a: 'bridge', b: 'proxy', min: 0.86 },
      ],
      scenarios,
    )
    expect(at).toMatchObject({ pass: true })
    expect(at!.measured).toBeCloseTo(0.855, 5)
    expect(at!.rounds).toEqual([0.85, 0.86])
    expect(below).toMatchObject({ pass: false })
  })

  it("prints each target's interval beside its figure, with its coverage below 95%", () => {
    const results = evaluate(
      [
        { kind: 'ratio', id: 'r', label: 'bridge / proxy', a: 'bridge', b: 'proxy', min: 0.85 },
        { kind: 'max', id: 'x', label: 'rss', value: 80.04, max: 100, unit: 'MB' },
      ],
      scenarios,
    )
    const [, , ratio, max] = targetTable(results).split('\n')
    // Two rounds: the interval is both of them, and holds the median with probability 1/2, too
    // little to decide by.
    expect(ratio).toMatch(
      /^bridge \/ proxy\s+0\.85\s+0\.85 \.\. 0\.86 \(50%\)\s+≥ 0\.85\s+PASS \(undecided\)$/,
    )
    expect(max).toMatch(/^rss\s+80\.0\s+-\s+≤ 100 MB\s+PASS$/)
  })

  it('says when the interval straddles the bound: the verdict is then undecided', () => {
    // 12 rounds: the interval runs from the 3rd lowest to the 3rd highest round.
    const ratios = [0.7, 0.75, 0.78, 0.84, 0.86, 0.88, 0.9, 0.91, 0.92, 0.95, 1.0, 1.1]
    const twelve = new Map([
      [
        'mcp',
        summarize(
          'mcp',
          'mcp',
          ratios.map((r) => run(1000 * r)),
        ),
      ],
      [
        'rest',
        summarize(
          'rest',
          'rest',
          ratios.map(() => run(1000)),
        ),
      ],
    ])
    const [firm, straddling] = evaluate(
      [
        { kind: 'ratio', id: 'f', label: 'firm', a: 'mcp', b: 'rest', min: 0.75 },
        { kind: 'ratio', id: 's', label: 'straddling', a: 'mcp', b: 'rest', min: 0.8 },
      ],
      twelve,
    )
    expect(firm).toMatchObject({ pass: true, decided: true })
    expect(firm!.interval!.low).toBeCloseTo(0.78, 9)
    expect(firm!.interval!.high).toBeCloseTo(0.95, 9)
    expect(straddling).toMatchObject({ pass: true, decided: false })
    const [, , firmRow, straddlingRow] = targetTable([firm!, straddling!]).split('\n')
    expect(firmRow).toMatch(/^firm\s+0\.89\s+0\.78 \.\. 0\.95\s+≥ 0\.75\s+PASS$/)
    expect(straddlingRow).toMatch(/0\.78 \.\. 0\.95\s+≥ 0\.8\s+PASS \(undecided\)$/)
  })

  it('fails a target whose scenario has errors or was not measured', () => {
    const [errors, missing] = evaluate(
      [
        { kind: 'ratio', id: 'e', label: 'e', a: 'broken', b: 'proxy', min: 0.5 },
        { kind: 'ratio', id: 'm', label: 'm', a: 'mcp-2026', b: 'proxy', min: 0.5 },
      ],
      scenarios,
    )
    expect(errors).toMatchObject({ pass: false, note: '3 failed requests' })
    expect(missing).toMatchObject({ pass: false, measured: undefined })
    expect(missing!.note).toContain('mcp-2026')
  })

  it('checks deltas and plain maxima, and an absent value fails', () => {
    const [delta, max, absent] = evaluate(
      [
        { kind: 'delta', id: 'd', label: 'd', a: 'bridge', b: 'proxy', max: 2, unit: 'ms' },
        { kind: 'max', id: 'x', label: 'x', value: 150.5, max: 150, unit: 'MB' },
        { kind: 'max', id: 'n', label: 'n', value: undefined, max: 150, unit: 'MB' },
      ],
      scenarios,
    )
    expect(delta).toMatchObject({ measured: 0, pass: true })
    expect(max).toMatchObject({ pass: false })
    expect(absent).toMatchObject({ pass: false, note: 'not measured' })
  })
})

describe('medianInterval', () => {
  it('takes the order statistics whose binomial coverage reaches 95%', () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => n - i)
    // n = 12: the 3rd lowest and 3rd highest, 1 - 2·(1 + 12 + 66)/4096.
    expect(medianInterval(values(12))).toEqual({ low: 3, high: 10, coverage: 1 - 158 / 4096 })
    // n = 6: the lowest and highest, 1 - 2/64; n = 25: the 8th, 1 - 2·P(Bin(25, ½) ≤ 7).
    expect(medianInterval(values(6))).toEqual({ low: 1, high: 6, coverage: 1 - 2 / 64 })
    const n25 = medianInterval(values(25))!
    expect([n25.low, n25.high]).toEqual([8, 18])
    expect(n25.coverage).toBeCloseTo(0.9567, 4)
    for (let n = 6; n <= 60; n++) expect(medianInterval(values(n))!.coverage).toBeGreaterThan(0.95)
  })

  it('falls back to the lowest and highest value, with its coverage, below 6 values', () => {
    expect(medianInterval([0.9, 0.7, 1.1, 0.8, 1.0])).toEqual({
      low: 0.7,
      high: 1.1,
      coverage: 1 - 2 / 32,
    })
    expect(medianInterval([2])).toEqual({ low: 2, high: 2, coverage: 0 })
    expect(medianInterval([])).toBeUndefined()
  })
})

describe('poolResults', () => {
  const ratio = (rounds: number[], extra: Partial<TargetResult> = {}): TargetResult => ({
    id: 'mcp',
    label: 'MCP / REST',
    measured: median(rounds),
    rounds,
    bound: '≥ 0.8',
    pass: median(rounds) >= 0.8,
    ...extra,
  })
  const rss = (value: number): TargetResult => ({
    id: 'rss',
    label: 'RSS (MB)',
    measured: value,
    bound: '≤ 150 MB',
    pass: value <= 150,
  })

  it("judges a ratio on every run's rounds: a run's miss on its own median does not decide", () => {
    const first = ratio([0.7, 0.75, 0.78, 0.79, 0.95, 1.0])
    const second = ratio([0.85, 0.86, 0.88, 0.9, 0.92, 0.93])
    expect(first.pass).toBe(false)
    const [pooled] = poolResults([[first], [second]])
    expect(pooled!.rounds).toHaveLength(12)
    expect(pooled!.measured).toBeCloseTo((0.86 + 0.88) / 2, 9)
    expect(pooled!.interval).toMatchObject({ low: 0.78, high: 0.93 })
    expect(pooled).toMatchObject({ pass: true, decided: false })
  })

  it('carries failed requests over, takes a maximum at its worst run, and fails a missing target', () => {
    const [errors, worst] = poolResults([
      [ratio([0.9, 0.9], { pass: false, note: '3 failed requests' }), rss(130)],
      [ratio([0.95, 0.95]), rss(151)],
    ])
    expect(errors).toMatchObject({ pass: false, note: '3 failed requests' })
    expect(worst).toMatchObject({ measured: 151, pass: false })
    const [missing] = poolResults([[rss(120)], [ratio([0.9])]])
    expect(missing).toMatchObject({ pass: false, note: 'missing in 1 runs' })
  })
})

describe('formatTable', () => {
  it('pads the first column left and the others right', () => {
    const text = formatTable(
      ['name', 'n'],
      [
        ['a', '1'],
        ['long name', '100'],
      ],
    )
    expect(text.split('\n')).toEqual([
      'name         n',
      '---------  ---',
      'a            1',
      'long name  100',
    ])
  })
})
