/**
 * @module scripts/bench/bare-proxy: the bench's yardstick, run as its own process: a bare Hono +
 * fetch proxy that forwards the same KV read and write the bridge makes to the same Vault, with
 * a fixed token and nothing else (no auth, no limits, no logs, no audit, no validation).
 * Environment: VAULT_ADDR, VAULT_TOKEN, KV_PATH (`secret/data/mcp/bench`), PORT.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const vault = process.env.VAULT_ADDR!.replace(/\/+$/, '')
const token = process.env.VAULT_TOKEN!
const base = `${vault}/v1/${process.env.KV_PATH!}`

const app = new Hono()
app.get('/secrets/:path{.+}', async (c) => {
  const res = await fetch(`${base}/${c.req.param('path')}`, { headers: { 'X-Vault-Token': token } })
  return new Response(res.body, {
    status: res.status,
    headers: { 'content-type': 'application/json' },
  })
})
app.put('/secrets/:path{.+}', async (c) => {
  const res = await fetch(`${base}/${c.req.param('path')}`, {
    method: 'POST',
    headers: { 'X-Vault-Token': token, 'content-type': 'application/json' },
    body: await c.req.text(),
  })
  return new Response(res.body, {
    status: res.status,
    headers: { 'content-type': 'application/json' },
  })
})

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT) }, (info) => {
  process.stdout.write(`listening ${info.port}\n`)
})
process.on('SIGTERM', () => process.exit(0))
