/**
 * @module `vault-mcp-bridge serve`, spawned: it serves against the Vault at VAULT_ADDR (the dev
 * vault here, over HTTP), refuses a token Vault rejects with exit 2, starts not-ready when Vault
 * is unreachable, and stops gracefully on SIGTERM without losing in-flight requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevVault, type DevVault } from '@vault-mcp-bridge/dev-vault'
import { spawnCli, type CliProcess } from '../helpers/cli.js'
import { freePort } from '../helpers/free-port.js'

const KEY = 'cli-serve-key-0123456789'
const TOKEN_MARKER = 'hvs.NotARealTokenButSecret123'

type Bridge = CliProcess & { url: Promise<string> }

/** Spawns serve with PORT=0 and learns its URL from the "listening" log line on stderr. */
function spawnServe(env: Record<string, string>): Bridge {
  const cli = spawnCli(['serve'], {
    PORT: '0',
    API_KEYS_JSON: JSON.stringify({ [KEY]: 'agent_cli' }),
    AUDIT_LOG: 'off',
    LOG_LEVEL: 'info',
    ...env,
  })
  const url = cli.waitFor(/"url":"(http:\/\/[^"]+)"/).then((m) => m[1]!)
  url.catch(() => undefined)
  return { ...cli, url }
}

let vault: DevVault
beforeAll(async () => {
  vault = await startDevVault({ port: 0 })
})
afterAll(async () => {
  await vault?.close()
})

describe('serve', () => {
  it('serves against the Vault at VAULT_ADDR and stops on SIGTERM with exit 0', async () => {
    const b = spawnServe({ VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken })
    const url = await b.url
    const health = await fetch(`${url}/healthz`)
    expect(health.status).toBe(200)
    expect(health.headers.get('X-Request-Id')).toBeTruthy()
    expect((await fetch(`${url}/readyz`)).status).toBe(200)
    const who = await fetch(`${url}/whoami`, { headers: { 'X-API-Key': KEY } })
    expect(who.status).toBe(200)
    expect(((await who.json()) as { agent: string }).agent).toBe('agent_cli')
    b.child.kill('SIGTERM')
    expect(await b.exited).toBe(0)
    expect(b.output()).not.toContain(vault.rootToken)
    expect(b.output()).not.toContain(KEY)
  })

  it('finishes in-flight requests after SIGTERM (none is lost)', async () => {
    const b = spawnServe({
      VAULT_ADDR: vault.url,
      VAULT_TOKEN: vault.rootToken,
      RATE_LIMIT_ENABLED: 'false',
    })
    const url = await b.url
    const headers = { 'X-API-Key': KEY, 'Content-Type': 'application/json' }
    const run = `run-${Date.now()}`
    let first: () => void = () => {}
    const firstDone = new Promise<void>((r) => (first = r))
    const requests = Array.from({ length: 200 }, (_, i) =>
      fetch(`${url}/secrets/${run}/s${i}`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ data: { n: String(i) } }),
      }).then(
        (r) => {
          first()
          return r.status
        },
        () => 'refused' as const,
      ),
    )
    // Ask it to stop as soon as the first answer is back, while the others are being served.
    await firstDone
    b.child.kill('SIGTERM')
    const statuses = await Promise.all(requests)
    expect(await b.exited).toBe(0)
    // Every request either completed normally or was never accepted; none was cut off or failed.
    for (const s of statuses) expect([200, 'refused']).toContain(s)
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(1)
  })

  it('exits 2 when Vault rejects the token, without printing it', async () => {
    const b = spawnServe({ VAULT_ADDR: vault.url, VAULT_TOKEN: TOKEN_MARKER })
    expect(await b.exited).toBe(2)
    expect(b.output()).toContain('VAULT_TOKEN')
    expect(b.output()).not.toContain(TOKEN_MARKER)
  })

  it('starts when Vault is unreachable (/readyz 503 with Retry-After) and stops on SIGINT', async () => {
    const port = await freePort()
    const b = spawnServe({ VAULT_ADDR: `http://127.0.0.1:${port}`, VAULT_TOKEN: TOKEN_MARKER })
    const url = await b.url
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    const ready = await fetch(`${url}/readyz`)
    expect(ready.status).toBe(503)
    expect(Number(ready.headers.get('Retry-After'))).toBeGreaterThan(0)
    b.child.kill('SIGINT')
    expect(await b.exited).toBe(0)
    expect(b.output()).not.toContain(TOKEN_MARKER)
  })
})
