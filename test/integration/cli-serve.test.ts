/**
 * @module `vault-mcp-bridge serve`, in process (`main(['serve'], env, io, { until })`): it serves
 * against the Vault at VAULT_ADDR (the dev vault here, over HTTP), refuses a token Vault rejects
 * with exit 2, starts not-ready when Vault is unreachable, and stops gracefully without losing
 * in-flight requests. The spawned process and its signals are in cli.process.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevVault, type DevVault } from '@vault-mcp-bridge/dev-vault'
import { runMain, startMain, type RunningCommand } from '../helpers/cli.js'
import { freePort } from '../helpers/free-port.js'

const KEY = 'cli-serve-key-0123456789'
const TOKEN_MARKER = 'hvs.NotARealTokenButSecret123'

type Serve = RunningCommand & { url: Promise<string> }

/** Starts serve with PORT=0 and learns its URL from the "listening" log line on stderr. */
function startServe(env: Record<string, string>): Serve {
  const serve = startMain(['serve'], {
    PORT: '0',
    API_KEYS_JSON: JSON.stringify({ [KEY]: 'agent_cli' }),
    AUDIT_LOG: 'off',
    LOG_LEVEL: 'info',
    ...env,
  })
  const url = serve.waitFor(/"url":"(http:\/\/[^"]+)"/).then((m) => m[1]!)
  url.catch(() => undefined)
  return { ...serve, url }
}

let vault: DevVault
beforeAll(async () => {
  vault = await startDevVault({ port: 0 })
})
afterAll(async () => {
  await vault?.close()
})

describe('serve', () => {
  it('serves against the Vault at VAULT_ADDR and stops with exit 0', async () => {
    const b = startServe({ VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken })
    const url = await b.url
    const health = await fetch(`${url}/healthz`)
    expect(health.status).toBe(200)
    expect(health.headers.get('X-Request-Id')).toBeTruthy()
    expect((await fetch(`${url}/readyz`)).status).toBe(200)
    const who = await fetch(`${url}/whoami`, { headers: { 'X-API-Key': KEY } })
    expect(who.status).toBe(200)
    expect(((await who.json()) as { agent: string }).agent).toBe('agent_cli')
    expect(await b.stop()).toBe(0)
    expect(b.stderr()).toMatch(/"msg":"stopped"/)
    await expect(fetch(`${url}/healthz`)).rejects.toThrow()
    expect(b.output()).not.toContain(vault.rootToken)
    expect(b.output()).not.toContain(KEY)
  })

  it('finishes in-flight requests when stopped (none is lost)', async () => {
    const b = startServe({
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
    const stopped = b.stop()
    const statuses = await Promise.all(requests)
    expect(await stopped).toBe(0)
    // Every request either completed normally or was never accepted; none was cut off or failed.
    for (const s of statuses) expect([200, 'refused']).toContain(s)
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(1)
  })

  it('exits 2 when Vault rejects the token, without printing it', async () => {
    const r = await runMain(['serve'], {
      PORT: '0',
      API_KEYS_JSON: JSON.stringify({ [KEY]: 'agent_cli' }),
      AUDIT_LOG: 'off',
      LOG_LEVEL: 'info',
      VAULT_ADDR: vault.url,
      VAULT_TOKEN: TOKEN_MARKER,
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('VAULT_TOKEN')
    expect(r.stdout + r.stderr).not.toContain(TOKEN_MARKER)
  })

  it('starts when Vault is unreachable (/readyz 503 with Retry-After) and stops', async () => {
    const port = await freePort()
    const b = startServe({ VAULT_ADDR: `http://127.0.0.1:${port}`, VAULT_TOKEN: TOKEN_MARKER })
    const url = await b.url
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    const ready = await fetch(`${url}/readyz`)
    expect(ready.status).toBe(503)
    expect(Number(ready.headers.get('Retry-After'))).toBeGreaterThan(0)
    expect(await b.stop()).toBe(0)
    expect(b.output()).not.toContain(TOKEN_MARKER)
  })
})
