/**
 * @module The MCP consent state across replicas, as `serve` composes them: two bridges with one
 * STATE_SIGNING_KEY and one Redis (RATE_LIMIT_REDIS_URL) answer each other's retries and refuse
 * each other's replays; a bridge with another key refuses the state; with Redis gone a state is
 * refused (its single use cannot be checked). Refusals land in the audit file with their reason
 * and without the state.
 */
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBridge, type RunningBridge } from '../../src/bridge.js'
import { loadConfig } from '../../src/config/load.js'
import { freePort } from '../helpers/free-port.js'
import { recordingLogger, type LogLine } from '../helpers/loggers.js'
import { apiKeyOf, postModern } from '../helpers/mcp-harness.js'
import { redisSuitesRun, startRedis, stopRedis } from '../helpers/redis-server.js'
import { startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

if (!redisSuitesRun) console.warn('SKIPPED mcp-consent-replicas: redis-server is not installed')

const VALUE = 'replicated-secret-value'
const SHARED_KEY = randomBytes(32).toString('base64')

let stack: VaultStack
let redis: ChildProcess
let redisUrl: string
let dir: string
let agent: string
const bridges: Record<'a' | 'b' | 'stranger', RunningBridge> = {} as never

const auditOf = (name: string) => join(dir, `${name}.audit.log`)

const lines: LogLine[] = []

async function bridge(name: string, key: string): Promise<RunningBridge> {
  const config = loadConfig({
    VAULT_ADDR: stack.vault.url,
    VAULT_TOKEN: stack.vault.rootToken,
    DEFAULT_PREFIX: stack.prefix,
    PORT: '0',
    API_KEYS_JSON: JSON.stringify({ [apiKeyOf(agent)]: agent }),
    MCP_SECRET_VALUES: 'elicit',
    STATE_SIGNING_KEY: key,
    RATE_LIMIT_REDIS_URL: redisUrl,
    AUDIT_LOG: auditOf(name),
    METRICS_ENABLED: 'false',
  })
  const recording = recordingLogger()
  const running = await startBridge(config, recording.logger)
  lines.push(...recording.lines)
  return running
}

beforeAll(async () => {
  if (!redisSuitesRun) return
  stack = await startVaultStack()
  agent = stack.agent('replica')
  const port = await freePort()
  redis = await startRedis(port)
  redisUrl = `redis://127.0.0.1:${port}`
  dir = mkdtempSync(join(tmpdir(), 'consent-replicas-'))
  bridges.a = await bridge('a', SHARED_KEY)
  bridges.b = await bridge('b', SHARED_KEY)
  bridges.stranger = await bridge('stranger', randomBytes(32).toString('hex'))
  const res = await postModern(
    bridges.a.url,
    'tools/call',
    { name: 'write_secret', arguments: { path: 'db', data: { password: VALUE } } },
    { headers: { 'x-api-key': apiKeyOf(agent) } },
  )
  expect(res.json.result.isError).toBeFalsy()
}, 60_000)

afterAll(async () => {
  for (const b of Object.values(bridges)) await b?.stop()
  if (redis) await stopRedis(redis)
  await stack?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const read = (on: RunningBridge, extra: Record<string, unknown> = {}) =>
  postModern(
    on.url,
    'tools/call',
    { name: 'read_secret', arguments: { path: 'db' }, ...extra },
    { capabilities: { elicitation: {} }, headers: { 'x-api-key': apiKeyOf(agent) } },
  )

const ACCEPT = { inputResponses: { consent: { action: 'accept', content: {} } } }

async function ask(on: RunningBridge): Promise<string> {
  const res = await read(on)
  expect(res.json.result.resultType).toBe('input_required')
  return res.json.result.requestState as string
}

/** The request_state_refused lines of a bridge's audit file so far. */
const refusals = (name: string) =>
  readFileSync(auditOf(name), 'utf8')
    .split('\n')
    .filter((l) => l.includes('request_state_refused'))

/** The reasons of those lines, once `count` of them reached the file (written asynchronously). */
async function refusalReasons(name: string, count: number): Promise<string[]> {
  await expect.poll(() => refusals(name).length, { timeout: 5000 }).toBeGreaterThanOrEqual(count)
  return refusals(name).map((l) => (JSON.parse(l) as { reason: string }).reason)
}

describe.skipIf(!redisSuitesRun)('the consent state across replicas', () => {
  it('starts without a word about a generated key when STATE_SIGNING_KEY is set', () => {
    const events = lines.map((l) => (l.obj as { event?: string }).event)
    expect(events).not.toContain('signing_key_generated')
    expect(JSON.stringify(lines)).not.toContain(SHARED_KEY)
  })

  it('is answered by another replica with the same key, and refused by all after one use', async () => {
    const state = await ask(bridges.a)
    const answered = await read(bridges.b, { ...ACCEPT, requestState: state })
    expect(answered.json.result.structuredContent).toMatchObject({ data: { password: VALUE } })
    const replayed = await read(bridges.a, { ...ACCEPT, requestState: state })
    expect(replayed.json.error).toMatchObject({ code: -32602 })
    expect(replayed.text).not.toContain(VALUE)
    expect(await refusalReasons('a', 1)).toEqual(['replayed'])
    const lines = refusals('a')
    expect(JSON.parse(lines[0]!)).toMatchObject({
      type: 'audit',
      event: 'request_state_refused',
      reason: 'replayed',
      agent,
    })
    // Security: not a byte of the state in the audit trail.
    expect(lines[0]).not.toContain(state.split('.')[1]!.slice(0, 24))
    expect(lines[0]).not.toContain(state.split('.')[2]!)
  })

  it('is refused by a replica with another key', async () => {
    const state = await ask(bridges.a)
    const res = await read(bridges.stranger, { ...ACCEPT, requestState: state })
    expect(res.json.error).toMatchObject({ code: -32602 })
    expect(res.text).not.toContain(VALUE)
    expect(await refusalReasons('stranger', 1)).toEqual(['signature'])
  })

  it('is refused while Redis is away: its single use cannot be checked (fail closed)', async () => {
    const state = await ask(bridges.a)
    await stopRedis(redis)
    const res = await read(bridges.b, { ...ACCEPT, requestState: state })
    expect(res.json.error).toMatchObject({ code: -32602 })
    expect(res.text).not.toContain(VALUE)
    expect(await refusalReasons('b', 1)).toEqual(['unavailable'])
  })
})
