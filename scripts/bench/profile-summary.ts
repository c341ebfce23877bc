/**
 * @module scripts/bench/profile-summary: the top self-time entries of `node --cpu-prof` profiles,
 * by function and by package (node_modules package, Node internals, the bridge's own files, the
 * garbage collector), as shares of the busy (non-idle) time.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { formatTable } from './report.js'

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]
  samples: number[]
  timeDeltas: number[]
}

/** Self time (µs) per profile node id. */
function selfTimes(p: CpuProfile): Map<number, number> {
  const self = new Map<number, number>()
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0))
  }
  return self
}

/** The package a script URL belongs to: `axios`, `node:internal/…`, `bridge src/http`, … */
export function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)'
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (nm) return nm[1]!
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/').slice(0, 2).join('/')}`
  const own = /\/(dist|src)\/([^/]+)\//.exec(url)
  if (own) return `bridge ${own[2]}`
  return url.replace(/^file:\/\//, '')
}

/** Formats the top entries of every `.cpuprofile` in `dir` (summed). */
export function summarizeProfile(dir: string, top = 25): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))
  if (files.length === 0) return `no .cpuprofile in ${dir}`
  const byFunction = new Map<string, number>()
  const byPackage = new Map<string, number>()
  let busy = 0
  let idle = 0
  for (const file of files) {
    const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile
    const nodes = new Map(p.nodes.map((n) => [n.id, n.callFrame]))
    for (const [id, us] of selfTimes(p)) {
      const f = nodes.get(id)!
      if (f.functionName === '(idle)') {
        idle += us
        continue
      }
      busy += us
      const pkg = packageOf(f.url, f.functionName)
      const where = f.url
        ? `${f.url.replace(/^.*\/(node_modules|dist|src)\//, '$1/')}:${f.lineNumber + 1}`
        : ''
      const name = `${f.functionName || '(anonymous)'} ${where}`.trim()
      byFunction.set(name, (byFunction.get(name) ?? 0) + us)
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us)
    }
  }
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1)}%`
  const rows = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => [k, pct(us)])
  return [
    `${files.join(', ')}: busy ${(busy / 1e6).toFixed(1)} s, idle ${(idle / 1e6).toFixed(1)} s`,
    '',
    formatTable(['self time by package', 'share of busy'], rows(byPackage, 20)),
    '',
    formatTable(['self time by function', 'share of busy'], rows(byFunction, top)),
  ].join('\n')
}

if (process.argv[1]?.endsWith('profile-summary.ts') && process.argv[2]) {
  process.stdout.write(`${summarizeProfile(process.argv[2], Number(process.argv[3] ?? 25))}\n`)
}
