/**
 * @module scripts/bench/pool: the targets of several `npm run bench` runs of the same build, judged
 * together (`poolResults`): a ratio's rounds from every run pooled into one median and one 95%
 * interval, where one run's interval straddles the bound on a noisy host. Prints which runs went
 * in (with the commit each measured) and the targets' table; exits 1 when a pooled target fails.
 *
 *   npx tsx scripts/bench/pool.ts run18.json run19.json run20.json
 */
import { readFileSync } from 'node:fs'
import { poolResults, targetTable, type TargetResult } from './report.js'

interface BenchJson {
  when: string
  vault: string
  settings: {
    commit?: string
    seed?: number
    rounds: number
    duration: number
    connections: number
  }
  targets: TargetResult[]
}

const files = process.argv.slice(2)
if (files.length === 0) throw new Error('name the JSON files of two or more bench runs')
const runs = files.map((file) => ({
  file,
  json: JSON.parse(readFileSync(file, 'utf8')) as BenchJson,
}))
// The same run twice would count its rounds twice and narrow the interval for nothing.
const seen = new Map<string, string>()
for (const { file, json } of runs) {
  const twin = seen.get(json.when)
  if (twin) throw new Error(`${file} and ${twin} are the same run (${json.when})`)
  seen.set(json.when, file)
}
const pooled = poolResults(runs.map((r) => r.json.targets))
const lines = runs.map(
  ({ file, json }) =>
    `  ${file}: ${json.when}, ${json.vault}, ${json.settings.rounds} rounds of ` +
    `${json.settings.duration}s, c=${json.settings.connections}, seed ` +
    `${json.settings.seed ?? '-'}, commit ${json.settings.commit ?? '-'}`,
)
process.stdout.write(
  `${[`${runs.length} runs pooled:`, ...lines, '', targetTable(pooled)].join('\n')}\n`,
)
if (pooled.some((r) => !r.pass)) process.exitCode = 1
