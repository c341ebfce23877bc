/**
 * @module scripts/bench/cpu-per-request: the bridge's own CPU time per request for chosen
 * scenarios of the bench, all on one bridge: the process's user and system time
 * (`/proc/<pid>/stat`) around a closed-loop run of each scenario, divided by the requests it
 * answered. On a shared machine this moves far less than requests per second do, because time the
 * bridge waits for a core is not counted.
 *
 *   npx tsx scripts/bench/cpu-per-request.ts rest-read mcp-read-2025 mcp-read-2026 [--rounds 2]
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { runLoad } from './load.js'
import { READ_KEY, WRITE_KEY, loadScenarios, probeMcp } from './scenarios.js'
import {
  API_KEY,
  buildBridge,
  makeRunDir,
  provision,
  startBridgeProcess,
  startJwt,
  startVault,
  type Proc,
} from './stack.js'

const { values: args, positionals: ids } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '2' },
    duration: { type: 'string', default: '6' },
    connections: { type: 'string', default: '20' },
  },
})
const seconds = Number(args.duration)

/** Clock ticks (utime + stime) the process has used. */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return Number(fields[11]) + Number(fields[12])
}
// Linux reports /proc times in USER_HZ, which is 100 on every Linux Node runs on.
const US_PER_TICK = 10_000

async function main(): Promise<void> {
  const dir = makeRunDir()
  await buildBridge()
  const procs: Proc[] = []
  const jwt = await startJwt()
  try {
    const vault = await startVault(dir)
    if (vault.proc) procs.push(vault.proc)
    const provisioned = await provision(vault, jwt)
    const bridge = await startBridgeProcess({
      vault,
      provisioned,
      jwt,
      logDir: dir,
      name: 'bridge',
    })
    procs.push(bridge)
    for (const key of [READ_KEY, WRITE_KEY]) {
      await fetch(`${bridge.url}/secrets/${key}`, {
        method: 'PUT',
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ data: { seeded: 'yes' } }),
      })
    }
    const mcp = await probeMcp(bridge.url)
    const chosen = loadScenarios(provisioned.roleToken, jwt, mcp.speaks).filter(
      (s) => s.target === 'bridge' && ids.includes(s.id),
    )
    if (chosen.length === 0) throw new Error('name scenarios of the bench on its main bridge')
    const load = (requests: (typeof chosen)[number]['requests'], durationSeconds: number) =>
      runLoad({
        url: bridge.url,
        requests,
        connections: Number(args.connections),
        durationSeconds,
      })
    for (const s of chosen) await load(s.requests, 2)
    for (let round = 1; round <= Number(args.rounds); round++) {
      for (const s of chosen) {
        const before = cpuTicks(bridge.pid)
        const sample = await load(s.requests, seconds)
        const used = (cpuTicks(bridge.pid) - before) * US_PER_TICK
        const answered = sample.rps * seconds
        process.stdout.write(
          `round ${round} ${s.id.padEnd(18)} ${sample.rps.toFixed(0).padStart(6)} req/s ` +
            `${(used / answered).toFixed(0).padStart(5)} µs CPU a request, ${sample.errors} errors\n`,
        )
      }
    }
  } finally {
    for (const p of procs.reverse()) await p.stop()
    await jwt.close()
  }
}

await main()
