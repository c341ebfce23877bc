import { runLoad } from './load.js'
import { READ_KEY, WRITE_KEY, loadScenarios, probeMcp } from './scenarios.js'
import { API_KEY, makeRunDir, provision, startBridgeProcess, startJwt, startVault } from './stack.js'
const dir = makeRunDir()
const jwt = await startJwt()
const vault = await startVault(dir)
const provisioned = await provision(vault, jwt)
const bridge = await startBridgeProcess({ vault, provisioned, jwt, logDir: dir, name: 'bridge', nodeFlags: ['--import', '/work/notes/perf/alloc-preload.mjs'], env: { ALLOC_OUT: '/tmp/allocp', ALLOC_DELAY_MS: '6000' } })
for (const key of [READ_KEY, WRITE_KEY]) await fetch(`${bridge.url}/secrets/${key}`, { method: 'PUT', headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' }, body: JSON.stringify({ data: { seeded: 'yes' } }) })
const mcp = await probeMcp(bridge.url)
const ids = (process.env.SCEN ?? 'rest-read').split(',')
const chosen = loadScenarios(provisioned.roleToken, jwt, mcp.speaks).filter((s) => ids.includes(s.id))
const sample = await runLoad({ url: bridge.url, requests: chosen.flatMap((s) => s.requests), connections: 20, durationSeconds: Number(process.env.DUR ?? 10) })
console.log(sample.rps, sample.errors)
await bridge.stop(); await vault.proc?.stop(); await jwt.close()
