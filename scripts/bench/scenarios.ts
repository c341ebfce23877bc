/**
 * @module scripts/bench/scenarios: what the bench sends, and to which process: Vault direct, the
 * bare proxy, and the bridge's REST and MCP routes under each credential and each way of reaching
 * Vault (the bridge's token, child tokens, JWT exchange), plus the targets of issue 15 over them.
 */
import type { RequestSpec } from './load.js'
import type { TargetSpec } from './report.js'
import { API_KEY, KV_PATH } from './stack.js'

/** Which process a scenario loads. */
export type Target = 'vault' | 'proxy' | BridgeTarget

/**
 * The bridges the bench starts, by how they reach Vault (everything else is on): the bridge's
 * token, child tokens (fresh or reused), and JWT exchange with its login cache (`exchange`) or
 * none, a login per request (`exchangeCold`).
 */
export const BRIDGE_MODES = {
  bridge: {},
  childOn: { CHILD_TOKEN_ENABLED: 'true' },
  childReuse: { CHILD_TOKEN_ENABLED: 'true', CHILD_TOKEN_REUSE_SECONDS: '30' },
  // Exchange refuses JWT_HS256_SECRET (Vault's JWT method cannot verify HS256): these two unset it.
  exchange: { VAULT_JWT_EXCHANGE_ENABLED: 'true', JWT_HS256_SECRET: '' },
  exchangeCold: {
    VAULT_JWT_EXCHANGE_ENABLED: 'true',
    VAULT_JWT_EXCHANGE_CACHE_SIZE: '0',
    JWT_HS256_SECRET: '',
  },
} as const satisfies Record<string, Record<string, string>>
export type BridgeTarget = keyof typeof BRIDGE_MODES

export interface Scenario {
  id: string
  label: string
  target: Target
  requests: RequestSpec[]
}

/** An MCP protocol generation: 2025 (version header) or 2026-07-28 (`_meta` envelope too). */
export interface McpGeneration {
  id: string
  version: string
  modern: boolean
}

/** The generations the bench asks for; `probeMcp` tells which ones the bridge speaks. */
export const MCP_GENERATIONS: readonly McpGeneration[] = [
  { id: '2025', version: '2025-06-18', modern: false },
  { id: '2026', version: '2026-07-28', modern: true },
]

/** Secret data the write scenarios store (not a real secret). */
const DATA = { user: 'bench', password: 'not-a-real-secret' }
const WRITE_BODY = JSON.stringify({ data: DATA })

/** Key names: reads hit a key written before the runs; writes make new versions of another. */
export const READ_KEY = 'r'
export const WRITE_KEY = 'w'

/** Writes the keys the read scenarios read (and the write key, so its first write is no create). */
export async function seedKeys(url: string): Promise<void> {
  for (const key of [READ_KEY, WRITE_KEY]) {
    const res = await fetch(`${url}/secrets/${key}`, {
      method: 'PUT',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { user: 'bench', password: 'not-a-real-secret' } }),
    })
    if (res.status !== 200)
      throw new Error(`seeding ${key} answered ${res.status}: ${await res.text()}`)
  }
}

const apiKey = { 'x-api-key': API_KEY }
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

const restRead = (headers: Record<string, string>): RequestSpec => ({
  method: 'GET',
  path: `/secrets/${READ_KEY}`,
  headers,
})
const restWrite = (headers: Record<string, string>): RequestSpec => ({
  method: 'PUT',
  path: `/secrets/${WRITE_KEY}`,
  headers,
  body: WRITE_BODY,
})

let rpcId = 0
/** One `tools/call` as a client of generation `g` sends it. */
export const mcpCall = (g: McpGeneration, name: string, args: object): RequestSpec => {
  const meta = g.modern
    ? {
        _meta: {
          'io.modelcontextprotocol/protocolVersion': g.version,
          'io.modelcontextprotocol/clientCapabilities': {},
          'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1.0.0' },
        },
      }
    : {}
  return {
    method: 'POST',
    path: '/mcp',
    headers: {
      ...apiKey,
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': g.version,
      ...(g.modern ? { 'mcp-method': 'tools/call', 'mcp-name': name } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: ++rpcId,
      method: 'tools/call',
      params: { name, arguments: args, ...meta },
    }),
  }
}

/** The full-load scenarios, in the order the table lists them. */
export function loadScenarios(
  vaultToken: string,
  jwt: { hs256: string; rs256: string; rs256Pool: readonly string[] },
  generations: readonly McpGeneration[],
): Scenario[] {
  const vaultHeaders = { 'x-vault-token': vaultToken }
  const mcp = generations.flatMap((g): Scenario[] => [
    {
      id: `mcp-read-${g.id}`,
      label: `bridge MCP tools/call read_secret (${g.version})`,
      target: 'bridge',
      requests: [mcpCall(g, 'read_secret', { path: READ_KEY })],
    },
    {
      id: `mcp-write-${g.id}`,
      label: `bridge MCP tools/call write_secret (${g.version})`,
      target: 'bridge',
      requests: [mcpCall(g, 'write_secret', { path: WRITE_KEY, data: DATA })],
    },
  ])
  return [
    {
      id: 'vault-read',
      label: 'Vault direct, KV read',
      target: 'vault',
      requests: [{ method: 'GET', path: `/v1/${KV_PATH}/${READ_KEY}`, headers: vaultHeaders }],
    },
    {
      id: 'vault-write',
      label: 'Vault direct, KV write',
      target: 'vault',
      requests: [
        {
          method: 'POST',
          path: `/v1/${KV_PATH}/${WRITE_KEY}`,
          headers: vaultHeaders,
          body: WRITE_BODY,
        },
      ],
    },
    { id: 'proxy-read', label: 'bare proxy, read', target: 'proxy', requests: [restRead({})] },
    { id: 'proxy-write', label: 'bare proxy, write', target: 'proxy', requests: [restWrite({})] },
    {
      id: 'rest-read',
      label: 'bridge REST read (API key, child tokens off)',
      target: 'bridge',
      requests: [restRead(apiKey)],
    },
    {
      id: 'rest-write',
      label: 'bridge REST write (API key)',
      target: 'bridge',
      requests: [restWrite(apiKey)],
    },
    ...mcp,
    {
      id: 'jwt-hs256-read',
      label: 'bridge REST read, JWT HS256',
      target: 'bridge',
      requests: [restRead(bearer(jwt.hs256))],
    },
    {
      id: 'jwt-rs256-read',
      label: 'bridge REST read, JWT RS256 (JWKS)',
      target: 'bridge',
      requests: [restRead(bearer(jwt.rs256))],
    },
    {
      id: 'child-on-read',
      label: 'bridge REST read, child tokens on',
      target: 'childOn',
      requests: [restRead(apiKey)],
    },
    {
      id: 'child-reuse-read',
      label: 'bridge REST read, child tokens on + reuse',
      target: 'childReuse',
      requests: [restRead(apiKey)],
    },
    // The three ways to reach Vault, side by side for one caller with an RS256 (JWKS) token:
    // jwt-rs256-read above (the bridge's token), child tokens, and JWT exchange.
    {
      id: 'child-on-rs256-read',
      label: 'bridge REST read, JWT RS256, child tokens on',
      target: 'childOn',
      requests: [restRead(bearer(jwt.rs256))],
    },
    {
      id: 'exchange-warm-read',
      label: 'bridge REST read, JWT RS256, JWT exchange (warm cache: one login)',
      target: 'exchange',
      requests: [restRead(bearer(jwt.rs256))],
    },
    {
      id: 'exchange-cold-read',
      label: 'bridge REST read, JWT RS256, JWT exchange (no cache: a login per request)',
      target: 'exchangeCold',
      requests: [{ ...restRead({}), rotate: jwt.rs256Pool.map(bearer) }],
    },
  ]
}

/** The fixed-rate scenarios (latency at a rate well below saturation). */
export function latencyScenarios(rate: number): Scenario[] {
  return [
    {
      id: `proxy-read@${rate}`,
      label: `bare proxy, read @ ${rate}/s`,
      target: 'proxy',
      requests: [restRead({})],
    },
    {
      id: `rest-read@${rate}`,
      label: `bridge REST read @ ${rate}/s`,
      target: 'bridge',
      requests: [restRead(apiKey)],
    },
    {
      id: `proxy-write@${rate}`,
      label: `bare proxy, write @ ${rate}/s`,
      target: 'proxy',
      requests: [restWrite({})],
    },
    {
      id: `rest-write@${rate}`,
      label: `bridge REST write @ ${rate}/s`,
      target: 'bridge',
      requests: [restWrite(apiKey)],
    },
  ]
}

/** The soak's mix on the bridge: REST and MCP, reads and writes, in turn on every connection. */
export function soakRequests(generations: readonly McpGeneration[]): RequestSpec[] {
  return [
    restRead(apiKey),
    restWrite(apiKey),
    ...generations.flatMap((g) => [
      mcpCall(g, 'read_secret', { path: READ_KEY }),
      mcpCall(g, 'write_secret', { path: WRITE_KEY, data: DATA }),
    ]),
  ]
}

/**
 * Which generations the bridge at `url` answers a `tools/call` for with a result (a bridge
 * from before the 2026-07-28 migration refuses that generation's requests).
 */
export async function probeMcp(url: string): Promise<{ speaks: McpGeneration[]; notes: string[] }> {
  const speaks: McpGeneration[] = []
  const notes: string[] = []
  for (const g of MCP_GENERATIONS) {
    const call = mcpCall(g, 'read_secret', { path: READ_KEY })
    const res = await fetch(`${url}${call.path}`, {
      method: call.method,
      headers: { ...call.headers, 'content-type': 'application/json' },
      body: call.body!,
    })
    const text = await res.text()
    const ok = res.status === 200 && /"result"/.test(text) && !/"isError":\s*true/.test(text)
    if (ok) speaks.push(g)
    else notes.push(`MCP ${g.version}: not measured (the bridge answered HTTP ${res.status})`)
  }
  return { speaks, notes }
}

/** The throughput and latency targets of issue 15 over the scenarios' ids. */
export function scenarioTargets(rate: number, generations: readonly McpGeneration[]): TargetSpec[] {
  const mcp = generations.flatMap((g): TargetSpec[] => [
    {
      kind: 'ratio',
      id: `mcp-read-${g.id}`,
      label: `MCP read (${g.version}) / REST read`,
      a: `mcp-read-${g.id}`,
      b: 'rest-read',
      min: 0.8,
    },
    {
      kind: 'ratio',
      id: `mcp-write-${g.id}`,
      label: `MCP write (${g.version}) / REST write`,
      a: `mcp-write-${g.id}`,
      b: 'rest-write',
      min: 0.8,
    },
  ])
  return [
    {
      kind: 'ratio',
      id: 'rest-read',
      label: 'REST read / bare proxy',
      a: 'rest-read',
      b: 'proxy-read',
      min: 0.85,
    },
    {
      kind: 'ratio',
      id: 'rest-write',
      label: 'REST write / bare proxy',
      a: 'rest-write',
      b: 'proxy-write',
      min: 0.85,
    },
    ...mcp,
    {
      kind: 'ratio',
      id: 'jwt-rs256',
      label: 'JWT RS256 / API key (REST read)',
      a: 'jwt-rs256-read',
      b: 'rest-read',
      min: 0.85,
    },
    {
      kind: 'ratio',
      id: 'child-reuse',
      label: 'child tokens + reuse / off (REST read)',
      a: 'child-reuse-read',
      b: 'rest-read',
      min: 0.8,
    },
    {
      kind: 'delta',
      id: 'p99-read',
      label: `p99 REST read − bare proxy @ ${rate}/s`,
      a: `rest-read@${rate}`,
      b: `proxy-read@${rate}`,
      max: 2,
      unit: 'ms',
    },
    {
      kind: 'delta',
      id: 'p99-write',
      label: `p99 REST write − bare proxy @ ${rate}/s`,
      a: `rest-write@${rate}`,
      b: `proxy-write@${rate}`,
      max: 2,
      unit: 'ms',
    },
  ]
}
