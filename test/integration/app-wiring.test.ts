/**
 * @module the composed bridge (`startBridge`, what serve and dev run) over real HTTP against the
 * dev vault: every part is mounted, in the right order, and both adapters reach Vault.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBridge, type RunningBridge } from '../../src/bridge.js'
import { loadConfig } from '../../src/config/load.js'
import { createLogger } from '../../src/observability/logger.js'
import { uniqueName, vaultForTests, type TestVault } from '@vault-mcp-bridge/dev-vault/testing'
import { freePort } from '../helpers/free-port.js'

const KEY = 'wiring-key-0123456789'
const READ_ONLY_KEY = 'wiring-ro-key-0123456789'

let vault: TestVault
let bridge: RunningBridge
let agent: string

beforeAll(async () => {
  vault = await vaultForTests()
  agent = uniqueName('wire').replace(/[^A-Za-z0-9_.-]/g, '_')
  const config = loadConfig({
    PORT: '0',
    VAULT_ADDR: vault.url,
    VAULT_TOKEN: vault.rootToken,
    API_KEYS_JSON: JSON.stringify({
      [KEY]: agent,
      [READ_ONLY_KEY]: { agent, scopes: ['read'] },
    }),
    AUDIT_LOG: 'off',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_REQUESTS: '1000',
    AUTH_FAILURE_LIMIT: '3',
  })
  bridge = await startBridge(config, createLogger({ level: 'silent' }))
})

afterAll(async () => {
  await bridge?.stop()
  await vault?.close()
})

const rest = (path: string, init: RequestInit = {}) => fetch(`${bridge.url}${path}`, init)
const codeOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string } }).error.code

describe('the composed bridge', () => {
  it('REST reaches Vault and carries request id and rate-limit headers', async () => {
    const put = await rest('/secrets/app/wiring', {
      method: 'PUT',
      headers: { 'X-API-Key': KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({ data: { v: '1' } }),
    })
    expect(put.status).toBe(200)
    expect(put.headers.get('X-Request-Id')).toBeTruthy()
    expect(put.headers.get('RateLimit-Limit')).toBe('1000')
    const get = await rest('/secrets/app/wiring', { headers: { 'X-API-Key': KEY } })
    expect(get.status).toBe(200)
  })

  it('MCP at /mcp reaches the same data through the same auth', async () => {
    const client = new Client({ name: 'wiring-test', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${bridge.url}/mcp`), {
        requestInit: { headers: { 'X-API-Key': KEY } },
      }),
    )
    try {
      const result = await client.callTool({
        name: 'read_secret',
        arguments: { path: 'app/wiring' },
      })
      expect(result.isError).toBeFalsy()
      expect(JSON.stringify(result.structuredContent)).toContain('"v":"1"')
    } finally {
      await client.close()
    }
  })

  it('a missing scope is 403 insufficient_scope on REST', async () => {
    const res = await rest('/secrets/app/wiring', {
      method: 'PUT',
      headers: { 'X-API-Key': READ_ONLY_KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({ data: { v: '2' } }),
    })
    expect(res.status).toBe(403)
    expect(res.headers.get('WWW-Authenticate')).toContain('insufficient_scope')
  })

  it('public routes answer without credentials: health, readiness, metrics', async () => {
    expect((await rest('/healthz')).status).toBe(200)
    expect((await rest('/readyz')).status).toBe(200)
    const metrics = await rest('/metrics')
    expect(metrics.status).toBe(200)
    expect(await metrics.text()).toContain('vault_mcp_bridge_')
  })

  it('well-known metadata is public (404 without OAUTH_AUTHORIZATION_SERVERS, not 401)', async () => {
    const res = await rest('/.well-known/oauth-protected-resource')
    expect(res.status).toBe(404)
    expect(await codeOf(res)).toBe('NOT_FOUND')
  })

  it('the /mcp guard runs before authentication: a foreign Origin is 403, not 401', async () => {
    const res = await rest('/mcp', {
      method: 'POST',
      headers: {
        Origin: 'https://evil.example',
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    })
    expect(res.status).toBe(403)
  })

  it('the body limit applies before authentication', async () => {
    const res = await rest('/secrets/app/big', {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ data: { v: 'x'.repeat(2 * 1024 * 1024) } }),
    })
    expect(res.status).toBe(413)
  })

  it('failed authentications are limited per address after AUTH_FAILURE_LIMIT', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      const res = await rest('/whoami', { headers: { 'X-API-Key': `wrong-key-${i}-0123456789` } })
      statuses.push(res.status)
    }
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401])
    expect(statuses.at(-1)).toBe(429)
  })
})

describe('METRICS_PORT', () => {
  it('moves /metrics off the main port', async () => {
    const config = loadConfig({
      PORT: '0',
      METRICS_PORT: String(await freePort()),
      VAULT_ADDR: vault.url,
      VAULT_TOKEN: vault.rootToken,
      API_KEYS_JSON: JSON.stringify({ [KEY]: agent }),
      AUDIT_LOG: 'off',
    })
    const other = await startBridge(config, createLogger({ level: 'silent' }))
    try {
      expect(other.metricsUrl).toBeDefined()
      const moved = await fetch(`${other.metricsUrl}/metrics`)
      expect(moved.status).toBe(200)
      expect(await moved.text()).toContain('vault_mcp_bridge_')
      // On the main port /metrics is no public route any more: it needs a credential, then 404.
      expect((await fetch(`${other.url}/metrics`)).status).toBe(401)
      const authed = await fetch(`${other.url}/metrics`, { headers: { 'X-API-Key': KEY } })
      expect(authed.status).toBe(404)
    } finally {
      await other.stop()
    }
  })
})
