// usage: npx tsx scripts/bench/_soak.ts "opts1" "opts2" ... (env SOAK seconds, ROOT2 optional)
import { runLoad } from './load.js'
import { READ_KEY, WRITE_KEY, probeMcp, soakRequests } from './scenarios.js'
import { API_KEY, makeRunDir, provision, rssMb, startBridgeProcess, startJwt, startVault } from './stack.js'
const seconds = Number(process.env.SOAK ?? 120)
const dir = makeRunDir()
const jwt = await startJwt()
const vault = await startVault(dir)
const provisioned = await provision(vault, jwt)
for (const opts of process.argv.slice(2)) {
  const [nodeOptions, root, flags] = opts.split('@')
  const bridge = await startBridgeProcess({ vault, provisioned, jwt, logDir: dir, name: 'b' + Math.random().toString(36).slice(2, 6), env: { NODE_OPTIONS: nodeOptions! }, ...(root ? { root } : {}), ...(flags ? { nodeFlags: flags.split(' ') } : {}) })
  for (const key of [READ_KEY, WRITE_KEY]) await fetch(`${bridge.url}/secrets/${key}`, { method: 'PUT', headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' }, body: JSON.stringify({ data: { seeded: 'yes' } }) })
  const mcp = await probeMcp(bridge.url)
  await new Promise((r) => setTimeout(r, 5000))
  const idle = rssMb(bridge.pid)
  const samples: { t: number; mb: number }[] = []
  const t0 = Date.now()
  const timer = setInterval(() => samples.push({ t: (Date.now() - t0) / 1000, mb: rssMb(bridge.pid) ?? NaN }), 2000)
  const r = await runLoad({ url: bridge.url, requests: soakRequests(mcp.speaks), connections: 20, durationSeconds: seconds })
  clearInterval(timer)
  const win = (end: number) => { const w = samples.filter((s) => s.t > end - 10 && s.t <= end + 1).map((s) => s.mb); return w.reduce((a, b) => a + b, 0) / w.length }
  await new Promise((res) => setTimeout(res, 10000))
  console.log(`${opts.padEnd(40)} idle ${idle?.toFixed(1)} mid ${win(seconds / 2).toFixed(1)} end ${win(seconds).toFixed(1)} growth ${(win(seconds) - win(seconds / 2)).toFixed(1)} after ${rssMb(bridge.pid)?.toFixed(1)} rps ${r.rps.toFixed(0)} errors ${r.errors}`)
  console.log('   ' + samples.filter((_, i) => i % 5 === 4).map((s) => s.mb.toFixed(0)).join(' '))
  await bridge.stop()
}
await vault.proc?.stop(); await jwt.close()
