/** @module scripts/bench/report tests: the bench's percentiles, paired ratios and PASS/FAIL rules. */
import { describe, expect, it } from 'vitest'
import {
  evaluate,
  formatTable,
  median,
  percentile,
  roundDeltas,
  roundRatios,
  summarize,
  targetTable,
  type RunSample,
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

  it("prints each target's rounds, lowest to highest, beside its figure", () => {
    const results = evaluate(
      [
        { kind: 'ratio', id: 'r', label: 'bridge / proxy', a: 'bridge', b: 'proxy', min: 0.85 },
        { kind: 'max', id: 'x', label: 'rss', value: 80.04, max: 100, unit: 'MB' },
      ],
      scenarios,
    )
    const [, , ratio, max] = targetTable(results).split('\n')
    expect(ratio).toMatch(/^bridge \/ proxy\s+0\.85\s+0\.85 \.\. 0\.86\s+≥ 0\.85\s+PASS$/)
    expect(max).toMatch(/^rss\s+80\.0\s+-\s+≤ 100 MB\s+PASS$/)
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
