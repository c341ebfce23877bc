/**
 * @module test/integration/jwt-exchange-operations: every operation, over REST and over MCP, by
 * a caller with an RS256 token from the JWKS, through the whole bridge (src/bridge.ts) with JWT
 * exchange on: each succeeds, and every Vault call it makes runs under the token Vault's JWT
 * auth method issued to that caller (never the bridge's own), so the agent policies provision
 * writes cover every operation in this mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBridge, type RunningBridge } from '../../src/bridge.js'
import { OPERATIONS } from '../../src/core/operations.js'
import { createLogger } from '../../src/observability/logger.js'
import { restRoute } from '../helpers/both-adapters.js'
import { startExchangeVault, type ExchangeVault } from '../helpers/jwt-exchange.js'
import { connectHttp, resultText, type Connected } from '../helpers/mcp-harness.js'
import { ensureTransitMount } from '../helpers/vault-stack.js'

type Input = Record<string, unknown>
type Output = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const b64 = (s: string) => Buffer.from(s).toString('base64')

/** Every operation once, in an order where each finds what it needs (earlier outputs by name). */
const SEQUENCE: [string, (out: Map<string, Output>) => Input][] = [
  ['whoami', () => ({})],
  [
    'request_secret',
    () => ({ path: 'x/asked', fields: [{ name: 'pw', description: 'A password' }] }),
  ],
  ['check_secret_request', (out) => ({ request_id: out.get('request_secret')?.request_id })],
  ['write_secret', () => ({ path: 'x/db', data: { password: 'p1' } })],
  ['patch_secret', () => ({ path: 'x/db', data: { user: 'u' } })],
  ['read_secret', () => ({ path: 'x/db' })],
  ['list_secrets', () => ({ recursive: true })],
  ['read_secret_metadata', () => ({ path: 'x/db' })],
  ['update_secret_metadata', () => ({ path: 'x/db', custom_metadata: { owner: 'team' } })],
  ['delete_secret', () => ({ path: 'x/db' })],
  ['undelete_secret', () => ({ path: 'x/db', versions: [2] })],
  ['destroy_secret', () => ({ path: 'x/db', versions: [1] })],
  ['delete_secret_metadata', () => ({ path: 'x/db' })],
  ['create_transit_key', () => ({ key: 'k' })],
  ['list_transit_keys', () => ({})],
  ['read_transit_key', () => ({ key: 'k' })],
  ['encrypt', () => ({ key: 'k', plaintext: b64('hello') })],
  ['decrypt', (out) => ({ key: 'k', ciphertext: out.get('encrypt')?.ciphertext })],
  ['rotate_transit_key', () => ({ key: 'k' })],
  ['rewrap', (out) => ({ key: 'k', ciphertext: out.get('encrypt')?.ciphertext })],
  ['generate_data_key', () => ({ key: 'k', type: 'plaintext' })],
  ['generate_hmac', () => ({ key: 'k', input: b64('m') })],
  ['verify_hmac', (out) => ({ key: 'k', input: b64('m'), hmac: out.get('generate_hmac')?.hmac })],
  ['create_transit_key', () => ({ key: 's', type: 'ed25519' })],
  ['sign', () => ({ key: 's', input: b64('m') })],
  [
    'verify_signature',
    (out) => ({ key: 's', input: b64('m'), signature: out.get('sign')?.signature }),
  ],
]

let x: ExchangeVault
let bridge: RunningBridge
let mcp: Connected | undefined
const jwts: Record<'rest' | 'mcp', string> = { rest: '', mcp: '' }
const agents: Record<'rest' | 'mcp', string> = { rest: '', mcp: '' }

beforeAll(async () => {
  x = await startExchangeVault()
  ;[agents.rest, agents.mcp] = x.agents as [string, string]
  const config = x.config({ PORT: '0' })
  expect(await ensureTransitMount(x.root, config.vault.transitMount)).toBe(true)
  bridge = await startBridge(config, createLogger({ level: 'silent' }))
  jwts.rest = await x.token(agents.rest)
  jwts.mcp = await x.token(agents.mcp)
  mcp = await connectHttp(
    new URL(`${bridge.url}/mcp`),
    { authorization: `Bearer ${jwts.mcp}` },
    { client: 'v2' },
  )
}, 60_000)

afterAll(async () => {
  await mcp?.close()
  await bridge?.stop()
  await x?.close()
})

/** The Vault tokens the login(s) of `jwt` got. */
const loginTokens = (jwt: string) =>
  x
    .logins()
    .filter((l) => l.status === 200 && (l.body as { jwt?: string } | undefined)?.jwt === jwt)
    .map((l) => (l.response as { auth: { client_token: string } }).auth.client_token)

async function viaRest(op: string, input: Input): Promise<Output> {
  const { method, url, body } = restRoute(op, input)
  const res = await fetch(`${bridge.url}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${jwts.rest}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const json = (await res.json()) as Output
  expect([op, res.status, json.error]).toEqual([op, 200, undefined])
  return json
}

async function viaMcp(op: string, input: Input): Promise<Output> {
  const r = await mcp!.client.callTool({ name: op, arguments: input })
  expect([op, r.isError ? resultText(r) : 'ok']).toEqual([op, 'ok'])
  return r.structuredContent as Output
}

describe.each([
  ['rest', viaRest],
  ['mcp', viaMcp],
] as const)('every operation with JWT exchange, over %s', (adapter, call) => {
  const outputs = new Map<string, Output>()

  it('covers every operation of the table', () => {
    expect(new Set(SEQUENCE.map(([op]) => op))).toEqual(new Set(OPERATIONS.map((o) => o.name)))
  })

  it.each(SEQUENCE.map(([op, input], i) => [i, op, input] as const))(
    '%i %s runs under the caller’s own Vault token',
    async (_i, op, input) => {
      const before = x.proxy.requests.length
      outputs.set(op, await call(op, input(outputs)))
      const calls = x.proxy.requests
        .slice(before)
        .filter((r) => !r.path.startsWith('auth/') && !r.path.startsWith('sys/'))
      // whoami answers from the principal alone, request_secret and check_secret_request from
      // their signed link and its record: none reaches Vault (the person's write does, later).
      if (['whoami', 'request_secret', 'check_secret_request'].includes(op)) {
        return expect(calls).toEqual([])
      }
      expect(calls.length).toBeGreaterThan(0)
      // One login for all of this caller's requests, and its token on every call.
      const mine = loginTokens(jwts[adapter])
      expect(mine).toHaveLength(1)
      for (const c of calls) expect([op, c.path, c.token]).toEqual([op, c.path, mine[0]])
      expect(calls.some((c) => c.path.includes(agents[adapter === 'rest' ? 'mcp' : 'rest']))).toBe(
        false,
      )
    },
  )

  it('whoami told the caller that Vault sees its own login, not a child token', () => {
    expect(outputs.get('whoami')).toMatchObject({
      vault_identity: 'own_login',
      child_tokens: false,
    })
  })
})
