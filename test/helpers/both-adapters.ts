/**
 * @module test/helpers/both-adapters: one way to call an operation through either adapter, so
 * that a suite runs each case over REST (the test app over real HTTP) and over MCP (a real
 * 2026-07-28 SDK client on the stdio session: a fixed principal) and asserts the same outcome.
 */
import { afterAll, beforeAll } from 'vitest'
import { SCOPES, type Scope } from '../../src/core/identity.js'
import { connectStdio, resultText, type Connected } from './mcp-harness.js'
import { bothClients, createTestApp, type RestClient } from './test-app.js'
import type { VaultStack } from './vault-stack.js'

export type AdapterName = 'rest' | 'mcp'
export const ADAPTERS: AdapterName[] = ['rest', 'mcp']

/** How an operation ended: its output, or its stable error code (and the HTTP status over REST). */
export type Outcome =
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  | { ok: true; body: any; status?: number }
  | { ok: false; code: string; message: string; status?: number }

export interface Caller {
  call(op: string, input?: Record<string, unknown>): Promise<Outcome>
}

export interface Adapters {
  stack: VaultStack
  /** The operations of `agent` with `scopes` (all four unless given), through `adapter`. */
  as(adapter: AdapterName, agent: string, scopes?: readonly Scope[]): Caller
  /** The REST client over real HTTP, for what only REST has (routes, methods, query text). */
  rest(): RestClient
}

const enc = (path: string) => path.split('/').map(encodeURIComponent).join('/')

type Input = Record<string, unknown>
type Route = (input: Input) => { method: string; url: string; body?: Input }

/** Every field of the input (but those in the URL) as a query parameter, for GET routes. */
const query = (input: Input, ...inUrl: string[]) => {
  const q = new URLSearchParams()
  for (const [n, v] of Object.entries(input)) if (!inUrl.includes(n)) q.set(n, String(v))
  const text = q.toString()
  return text === '' ? '' : `?${text}`
}
const without = (input: Input, ...names: string[]) =>
  Object.fromEntries(Object.entries(input).filter(([k]) => !names.includes(k)))

/** The REST route of each operation, as the README's route table documents it. */
const ROUTES: Record<string, Route> = {
  read_secret: (i) => ({
    method: 'GET',
    url: `/secrets/${enc(String(i.path))}${query(i, 'path')}`,
  }),
  write_secret: (i) => ({
    method: 'PUT',
    url: `/secrets/${enc(String(i.path))}`,
    body: without(i, 'path'),
  }),
  list_secrets: (i) => ({
    method: 'GET',
    url: `/secrets${query(i)}`,
  }),
  read_secret_metadata: (i) => ({
    method: 'GET',
    url: `/secrets/${enc(String(i.path))}:metadata${query(i, 'path')}`,
  }),
  update_secret_metadata: (i) => ({
    method: 'PUT',
    url: `/secrets/${enc(String(i.path))}:metadata`,
    body: without(i, 'path'),
  }),
  patch_secret: (i) => ({
    method: 'PATCH',
    url: `/secrets/${enc(String(i.path))}`,
    body: without(i, 'path'),
  }),
  delete_secret: (i) => ({
    method: 'DELETE',
    url: `/secrets/${enc(String(i.path))}${Array.isArray(i.versions) ? `?versions=${i.versions.join(',')}` : ''}`,
  }),
  undelete_secret: (i) => ({
    method: 'POST',
    url: `/secrets/${enc(String(i.path))}:undelete`,
    body: without(i, 'path'),
  }),
  destroy_secret: (i) => ({
    method: 'POST',
    url: `/secrets/${enc(String(i.path))}:destroy`,
    body: without(i, 'path'),
  }),
  delete_secret_metadata: (i) => ({
    method: 'DELETE',
    url: `/secrets/${enc(String(i.path))}:metadata`,
  }),
  encrypt: (i) => ({ method: 'POST', url: '/transit/encrypt', body: i }),
  generate_data_key: (i) => ({ method: 'POST', url: '/transit/datakey', body: i }),
  decrypt: (i) => ({ method: 'POST', url: '/transit/decrypt', body: i }),
  rewrap: (i) => ({ method: 'POST', url: '/transit/rewrap', body: i }),
  create_transit_key: (i) => ({ method: 'POST', url: '/transit/keys', body: i }),
  list_transit_keys: (i) => ({ method: 'GET', url: `/transit/keys${query(i)}` }),
  read_transit_key: (i) => ({
    method: 'GET',
    url: `/transit/keys/${encodeURIComponent(String(i.key))}${query(i, 'key')}`,
  }),
  rotate_transit_key: (i) => ({
    method: 'POST',
    url: `/transit/keys/${encodeURIComponent(String(i.key))}/rotate`,
    body: without(i, 'key'),
  }),
  generate_hmac: (i) => ({ method: 'POST', url: '/transit/hmac', body: i }),
  verify_hmac: (i) => ({ method: 'POST', url: '/transit/verify-hmac', body: i }),
  sign: (i) => ({ method: 'POST', url: '/transit/sign', body: i }),
  verify_signature: (i) => ({ method: 'POST', url: '/transit/verify', body: i }),
  request_secret: (i) => ({ method: 'POST', url: '/secret-requests', body: i }),
  check_secret_request: (i) => ({
    method: 'GET',
    url: `/secret-requests/${encodeURIComponent(String(i.request_id))}`,
  }),
  whoami: (i) => ({ method: 'GET', url: `/whoami${query(i)}` }),
}

/** The REST request of `op` with `input`, as the README's route table documents it. */
export function restRoute(op: string, input: Input): { method: string; url: string; body?: Input } {
  const route = ROUTES[op]
  if (!route) throw new Error(`no REST route known for ${op}`)
  return route(input)
}

/**
 * Registers the suite's hooks: a stack from `start`, the test app over real HTTP, and MCP
 * clients made on first use per principal; everything is closed after all.
 */
export function useAdapters(start: () => Promise<VaultStack>): Adapters {
  let stack: VaultStack
  let rest: RestClient
  let closeServer: (() => Promise<void>) | undefined
  const mcp = new Map<string, Promise<Connected>>()

  beforeAll(async () => {
    stack = await start()
    const both = await bothClients(createTestApp(stack))
    rest = both.clients.find((c) => c.kind === 'http')!
    closeServer = both.close
  })
  afterAll(async () => {
    for (const c of mcp.values()) await (await c).close().catch(() => undefined)
    await closeServer?.()
    await stack?.close()
  })

  const viaRest = (agent: string, scopes: readonly Scope[]): Caller => ({
    async call(op, input = {}) {
      const { method, url, body } = restRoute(op, input)
      const res = await rest.call(method, url, {
        agent,
        scopes,
        ...(body === undefined ? {} : { body }),
      })
      if (res.status === 200) return { ok: true, body: res.json, status: res.status }
      return {
        ok: false,
        code: res.json?.error?.code ?? `HTTP_${res.status}`,
        message: res.json?.error?.message ?? res.text,
        status: res.status,
      }
    },
  })

  const viaMcp = (agent: string, scopes: readonly Scope[]): Caller => ({
    async call(op, input = {}) {
      const id = `${agent} ${scopes.join(',')}`
      if (!mcp.has(id)) {
        const who = { agent, scopes: [...scopes], method: 'stdio' } as const
        mcp.set(id, connectStdio(stack.runner, who, { client: 'v2' }))
      }
      const { client } = await mcp.get(id)!
      const r = await client.callTool({ name: op, arguments: input })
      const text = resultText(r)
      if (!r.isError) return { ok: true, body: r.structuredContent }
      const m = /^([A-Z_]+): ([\s\S]*)$/.exec(text)
      return { ok: false, code: m?.[1] ?? 'UNPARSEABLE', message: m?.[2] ?? text }
    },
  })

  return {
    get stack() {
      return stack
    },
    as: (adapter, agent, scopes = SCOPES) =>
      adapter === 'rest' ? viaRest(agent, scopes) : viaMcp(agent, scopes),
    rest: () => rest,
  }
}
