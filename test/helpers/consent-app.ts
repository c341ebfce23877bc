/**
 * @module test/helpers/consent-app: a bridge in MCP_SECRET_VALUES=elicit mode with a clock the
 * test moves, two agents, a secret with a known value, and raw 2026-07-28 calls that carry the
 * consent question's answer and state: what the consent and request-state suites share.
 */
import { afterAll, beforeAll, expect } from 'vitest'
import { SCOPES } from '../../src/core/identity.js'
import {
  apiKeyOf,
  connectStdio,
  postModern,
  startMcpApp,
  suiteResources,
  type McpApp,
} from './mcp-harness.js'
import type { RestResponse } from './test-app.js'
import { startVaultStack, type VaultStack } from './vault-stack.js'

/** The value of the secret `db` of the owner; no refused call may show it. */
export const VALUE = 's3cret-consent-value'
/** A client capability declaration with form elicitation. */
export const ELICIT = { elicitation: { form: {} } }
/** The `inputResponses` of a user who said yes. */
export const ACCEPT = { consent: { action: 'accept', content: {} } }

export interface ConsentApp {
  stack: VaultStack
  app: McpApp
  /** The agent that owns `db`, and another one. */
  owner: string
  other: string
  /** Moves the app's clock (signed states expire by it). */
  skew(ms: number): void
  /** A raw `tools/call` (default read_secret), as `agent` (default the owner), declaring ELICIT. */
  call(
    args: Record<string, unknown>,
    extra?: Record<string, unknown>,
    agent?: string,
    name?: string,
  ): Promise<RestResponse>
  /** Round one: the question and its signed state. */
  ask(args?: Record<string, unknown>, agent?: string): Promise<{ res: RestResponse; state: string }>
  opened: ReturnType<typeof suiteResources>
  close(): Promise<void>
}

export async function startConsentApp(): Promise<ConsentApp> {
  const stack = await startVaultStack()
  const owner = stack.agent('consent')
  const other = stack.agent('intruder')
  const opened = suiteResources()
  let skewMs = 0
  const agents = { [owner]: [...SCOPES], [other]: [...SCOPES] }
  const now = () => Date.now() + skewMs
  const app = opened.app(await startMcpApp(stack, agents, { MCP_SECRET_VALUES: 'elicit' }, { now }))
  const principal = { agent: owner, scopes: [...SCOPES], method: 'stdio' as const }
  const { client } = opened.track(await connectStdio(stack.runner, principal))
  await client.callTool({
    name: 'write_secret',
    arguments: { path: 'db', data: { user: 'app', password: VALUE } },
  })
  const call: ConsentApp['call'] = (args, extra = {}, agent = owner, name = 'read_secret') =>
    postModern(
      app.url,
      'tools/call',
      { name, arguments: args, ...extra },
      { capabilities: ELICIT, headers: { 'x-api-key': apiKeyOf(agent) } },
    )
  return {
    stack,
    app,
    owner,
    other,
    skew: (ms) => void (skewMs = ms),
    call,
    async ask(args = { path: 'db' }, agent = owner) {
      const res = await call(args, {}, agent)
      expect(res.status).toBe(200)
      expect(res.json.result.resultType).toBe('input_required')
      return { res, state: res.json.result.requestState as string }
    },
    opened,
    async close() {
      await opened.closeAll()
      await stack.close()
    },
  }
}

/**
 * The suite's consent app, started before its tests and closed after them. The returned handle
 * is valid inside tests (the app exists from `beforeAll` on).
 */
export function useConsentApp(): ConsentApp {
  let started: ConsentApp | undefined
  beforeAll(async () => {
    started = await startConsentApp()
  })
  afterAll(async () => {
    await started?.close()
  })
  const get = () => {
    if (!started) throw new Error('the consent app is used before beforeAll')
    return started
  }
  return {
    get stack() {
      return get().stack
    },
    get app() {
      return get().app
    },
    get owner() {
      return get().owner
    },
    get other() {
      return get().other
    },
    get opened() {
      return get().opened
    },
    skew: (ms) => get().skew(ms),
    call: (...args) => get().call(...args),
    ask: (...args) => get().ask(...args),
    close: async () => undefined,
  }
}
