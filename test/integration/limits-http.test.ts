/**
 * @module integration test: rate limits, request log and metrics through the composed bridge over
 * real HTTP (dev vault): REST 429 with headers, MCP RATE_LIMITED tool errors, per-agent overrides,
 * the auth-failure limit per address, and the series they leave in /metrics.
 */
import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2Transport,
} from '@modelcontextprotocol/client'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBridge, type RunningBridge } from '../../src/bridge.js'
import { loadConfig } from '../../src/config/load.js'
import { createLogger } from '../../src/observability/logger.js'
import { uniqueName, vaultForTests, type TestVault } from '@vault-mcp-bridge/dev-vault/testing'

const KEY = 'limits-key-0123456789'
const MCP_KEY = 'limits-mcp-key-0123456789'
const BIG_KEY = 'limits-big-key-0123456789'
const MCP2_KEY = 'limits-mcp2-key-0123456789'
const SPARE_KEY = 'limits-spare-key-0123456789'

let vault: TestVault
let bridge: RunningBridge
const lines: string[] = []
const agentName = (p: string) => uniqueName(p).replace(/[^A-Za-z0-9_.-]/g, '_')
const agents = {
  rest: agentName('lim-rest'),
  mcp: agentName('lim-mcp'),
  mcp2: agentName('lim-mcp2'),
  big: agentName('lim-big'),
  spare: agentName('lim-spare'),
}

beforeAll(async () => {
  vault = await vaultForTests()
  const config = loadConfig({
    PORT: '0',
    VAULT_ADDR: vault.url,
    VAULT_TOKEN: vault.rootToken,
    API_KEYS_JSON: JSON.stringify({
      [KEY]: agents.rest,
      [MCP_KEY]: agents.mcp,
      [BIG_KEY]: agents.big,
      [MCP2_KEY]: agents.mcp2,
      [SPARE_KEY]: agents.spare,
    }),
    AUDIT_LOG: 'off',
    RATE_LIMIT_REQUESTS: '3',
    RATE_LIMIT_WINDOW_SECONDS: '600',
    RATE_LIMIT_OVERRIDES_JSON: JSON.stringify({
      [agents.big]: { requests: 5, window_seconds: 600 },
      [agents.mcp]: { requests: 8, window_seconds: 600 },
      [agents.mcp2]: { requests: 8, window_seconds: 600 },
    }),
    AUTH_FAILURE_LIMIT: '2',
  })
  const logger = createLogger({
    level: 'info',
    destination: { write: (s: string) => lines.push(s) },
  })
  bridge = await startBridge(config, logger)
})

afterAll(async () => {
  await bridge?.stop()
  await vault?.close()
})

const rest = (path: string, init: RequestInit = {}) => fetch(`${bridge.url}${path}`, init)

/**
 * Calls whoami until the budget runs out (every HTTP request counts, the MCP handshake's too):
 * the calls within it succeed, the first one over it is a RATE_LIMITED tool error.
 */
async function expectToolRateLimited(client: {
  callTool(p: { name: string; arguments: Record<string, unknown> }): Promise<unknown>
}) {
  const results = []
  for (let i = 0; i < 10; i++) {
    const r = (await client.callTool({ name: 'whoami', arguments: {} })) as {
      isError?: boolean
      content: unknown
    }
    results.push(r)
    if (r.isError) break
  }
  const over = results.at(-1)!
  expect(results.length).toBeGreaterThan(1)
  expect(results.slice(0, -1).every((r) => !r.isError)).toBe(true)
  expect(over.isError).toBe(true)
  const text = (over.content as { type: string; text: string }[])[0]?.text ?? ''
  expect(text).toMatch(/^RATE_LIMITED: .*retry after \d+ seconds/)
}

describe('per-agent rate limit', () => {
  it('REST: headers on every response within the budget, then 429 with Retry-After', async () => {
    const seen: {
      status: number
      limit: string | null
      remaining: string | null
      reset: string | null
    }[] = []
    for (let i = 0; i < 4; i++) {
      const res = await rest('/whoami', { headers: { 'X-API-Key': KEY } })
      seen.push({
        status: res.status,
        limit: res.headers.get('RateLimit-Limit'),
        remaining: res.headers.get('RateLimit-Remaining'),
        reset: res.headers.get('RateLimit-Reset'),
      })
      if (i === 3) {
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED')
        const retry = Number(res.headers.get('Retry-After'))
        expect(retry).toBeGreaterThan(0)
        expect(retry).toBeLessThanOrEqual(600)
      }
    }
    expect(seen.map((s) => s.status)).toEqual([200, 200, 200, 429])
    expect(seen.map((s) => s.limit)).toEqual(['3', '3', '3', '3'])
    expect(seen.map((s) => s.remaining)).toEqual(['2', '1', '0', '0'])
    for (const s of seen) expect(Number(s.reset)).toBeGreaterThan(0)
  })

  it('MCP: over the budget a tool call is a RATE_LIMITED tool error that says when to retry', async () => {
    const client = new Client({ name: 'limits-test', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${bridge.url}/mcp`), {
        requestInit: { headers: { 'X-API-Key': MCP_KEY } },
      }),
    )
    try {
      await expectToolRateLimited(client)
      // Other requests get a JSON-RPC error with the code and the retry time.
      const listed = await client.listTools().then(
        () => undefined,
        (err: unknown) =>
          err as { code?: number; data?: { code?: string; retryAfterSeconds?: number } },
      )
      expect(listed?.data?.code).toBe('RATE_LIMITED')
      expect(listed?.data?.retryAfterSeconds).toBeGreaterThan(0)
    } finally {
      await client.close()
    }
  })

  it('MCP 2026-07-28: the same tool error, a complete result the v2 client accepts', async () => {
    const client = new V2Client(
      { name: 'limits-test-v2', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    )
    await client.connect(
      new V2Transport(new URL(`${bridge.url}/mcp`), {
        requestInit: { headers: { 'X-API-Key': MCP2_KEY } },
      }),
    )
    try {
      await expectToolRateLimited(client)
    } finally {
      await client.close()
    }
  })

  it('applies a per-agent override', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) {
      statuses.push((await rest('/whoami', { headers: { 'X-API-Key': BIG_KEY } })).status)
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429])
  })
})

describe('auth-failure limit, request log and metrics', () => {
  it('refuses failures from an address after AUTH_FAILURE_LIMIT of them, never a credential that verified before', async () => {
    // Issue 12: a key that has verified from this address is established here.
    expect((await rest('/whoami', { headers: { 'X-API-Key': SPARE_KEY } })).status).toBe(200)
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (await rest('/whoami', { headers: { 'X-API-Key': `wrong-${i}-0123456789` } })).status,
      )
    }
    expect(statuses).toEqual([401, 401, 429])
    // So it still works from the same address (it was refused too before issue 12).
    expect((await rest('/whoami', { headers: { 'X-API-Key': SPARE_KEY } })).status).toBe(200)
    const again = await rest('/whoami', { headers: { 'X-API-Key': 'wrong-3-0123456789' } })
    expect(again.status).toBe(429)
    expect(Number(again.headers.get('Retry-After'))).toBeGreaterThan(0)
  })

  it('logs one structured line per request, without credentials', () => {
    const requests = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'request')
    const whoami = requests.filter((r) => r.route === '/whoami')
    expect(whoami.length).toBeGreaterThanOrEqual(14)
    const ok = whoami.find((r) => r.status === 200 && r.agent === agents.rest)
    expect(ok).toMatchObject({ method: 'GET', route: '/whoami', status: 200 })
    expect(typeof ok?.requestId).toBe('string')
    expect(typeof ok?.durationMs).toBe('number')
    expect(whoami.some((r) => r.status === 429)).toBe(true)
    expect(requests.some((r) => r.route === '/mcp' && r.agent === agents.mcp)).toBe(true)
    const all = lines.join('')
    for (const key of [KEY, MCP_KEY, BIG_KEY, 'wrong-0-0123456789', vault.rootToken]) {
      expect(all).not.toContain(key)
    }
  })

  it('counts rejections, auth failures and requests in /metrics', async () => {
    const text = await (await rest('/metrics')).text()
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `))
      return Number(line?.split(' ')[1])
    }
    expect(
      value('vault_mcp_bridge_rate_limit_rejections_total{kind="agent"}'),
    ).toBeGreaterThanOrEqual(4)
    expect(
      value('vault_mcp_bridge_rate_limit_rejections_total{kind="auth_failure"}'),
    ).toBeGreaterThanOrEqual(2)
    expect(value('vault_mcp_bridge_auth_failures_total{method="api_key"}')).toBe(4)
    expect(
      value('vault_mcp_bridge_http_requests_total{method="GET",route="/whoami",status="429"}'),
    ).toBeGreaterThanOrEqual(3)
    expect(
      value(
        'vault_mcp_bridge_operations_total{operation="whoami",auth_method="api_key",outcome="ok"}',
      ),
    ).toBeGreaterThanOrEqual(8)
    expect(text).not.toContain(agents.rest)
  })
})
