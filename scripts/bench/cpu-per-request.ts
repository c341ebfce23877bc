/**
 * @module scripts/bench/cpu-per-request: the bridge's own CPU time per request for chosen
 * scenarios of the bench, each on a bridge in its mode (child tokens, JWT exchange: as the bench
 * runs it) or on the bare proxy: the process's user and system time (`/proc/<pid>/stat`) around a
 * closed-loop run of each scenario, divided by the requests it answered, and the dev vault's the
 * same way. On a shared machine this moves far less than requests per second do, because time
 * the bridge waits for a core is not counted. The bare proxy's scenarios (`proxy-read`,
 * `proxy-write`) are measured the same way on the bench's bare proxy, the yardstick of the REST
 * targets.
 *
 * With `--against DIR`, a second bridge runs another checkout's built `dist/` (build it there
 * first) and every bridge scenario is measured on both, in alternation: two builds compared in
 * one run.
 *
 *   npx tsx scripts/bench/cpu-per-request.ts proxy-read rest-read mcp-read-2026 [--rounds 2]
 *   npx tsx scripts/bench/cpu-per-request.ts rest-read child-reuse-read child-on-read
 *   npx tsx scripts/bench/cpu-per-request.ts rest-read --against ../main [--rounds 3]
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { runLoad } from './load.js'
import {
  loadScenarios,
  probeMcp,
  seedKeys,
  BRIDGE_MODES,
  type BridgeTarget,
  type Scenario,
} from './scenarios.js'
import {
  buildBridge,
  makeRunDir,
  provision,
  startBridgeProcess,
  startJwt,
  startProxy,
  startVault,
  type Proc,
} from './stack.js'

const { values: args, positionals: ids } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '2' },
    duration: { type: 'string', default: '6' },
    connections: { type: 'string', default: '20' },
    against: { type: 'string' },
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
    await seedKeys(bridge.url)
    const mcp = await probeMcp(bridge.url)
    const chosen = loadScenarios(provisioned.roleToken, jwt, mcp.speaks).filter(
      (s) => s.target !== 'vault' && ids.includes(s.id),
    )
    if (chosen.length === 0)
      throw new Error('name scenarios of the bench on a bridge or its bare proxy')
    const proxy = chosen.some((s) => s.target === 'proxy')
      ? await startProxy(vault, provisioned.roleToken, dir)
      : undefined
    if (proxy) procs.push(proxy)
    // One bridge per mode the chosen scenarios run on (child tokens, JWT exchange: the bench's
    // BRIDGE_MODES), and with --against the same mode on the other build.
    const started = new Map<string, Proc>([['bridge', bridge]])
    const bridgeFor = async (target: BridgeTarget, root?: string): Promise<Proc> => {
      const name = root ? `${target}-against` : target
      let proc = started.get(name)
      if (!proc) {
        proc = await startBridgeProcess({
          vault,
          provisioned,
          jwt,
          logDir: dir,
          name,
          env: BRIDGE_MODES[target],
          ...(root ? { root } : {}),
        })
        procs.push(proc)
        started.set(name, proc)
      }
      return proc
    }
    const against = args.against ? resolve(args.against) : undefined
    // Every scenario on its process; a bridge scenario also on the other build, right after.
    const runs: { s: Scenario; proc: Proc; name: string }[] = []
    for (const s of chosen) {
      if (s.target === 'proxy') {
        runs.push({ s, proc: proxy!, name: s.id })
        continue
      }
      const target = s.target as BridgeTarget
      runs.push({ s, proc: await bridgeFor(target), name: s.id })
      if (against)
        runs.push({ s, proc: await bridgeFor(target, against), name: `${s.id} (against)` })
    }
    const load = (r: (typeof runs)[number], durationSeconds: number) =>
      runLoad({
        url: r.proc.url,
        requests: r.s.requests,
        connections: Number(args.connections),
        durationSeconds,
      })
    for (const r of runs) await load(r, 2)
    for (let round = 1; round <= Number(args.rounds); round++) {
      // The order alternates between rounds, so neither build always runs first.
      for (const r of round % 2 ? runs : [...runs].reverse()) {
        const before = cpuTicks(r.proc.pid)
        // The dev vault's share too (a real Vault runs elsewhere: not measured).
        const vaultBefore = vault.proc ? cpuTicks(vault.proc.pid) : undefined
        const sample = await load(r, seconds)
        const used = (cpuTicks(r.proc.pid) - before) * US_PER_TICK
        const answered = sample.rps * seconds
        const vaultUsed =
          vault.proc && vaultBefore !== undefined
            ? (cpuTicks(vault.proc.pid) - vaultBefore) * US_PER_TICK
            : undefined
        process.stdout.write(
          `round ${round} ${r.name.padEnd(28)} ${sample.rps.toFixed(0).padStart(6)} req/s ` +
            `${(used / answered).toFixed(0).padStart(5)} µs CPU a request` +
            (vaultUsed === undefined
              ? ''
              : `, dev vault ${(vaultUsed / answered).toFixed(0).padStart(4)} µs`) +
            `, ${sample.errors} errors\n`,
        )
      }
    }
  } finally {
    for (const p of procs.reverse()) await p.stop()
    await jwt.close()
  }
}

await main()
