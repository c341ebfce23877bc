/**
 * @module test/security/limits: issue 12 items 5, 6 and 8. Guessing keys from one address does
 * not lock out the callers already established at that address, and a correct guess after the
 * limit is refused like a wrong one; permanent destruction needs the `delete` scope; one
 * recursive list opens a bounded number of folders. Over real HTTP to a bridge on the dev vault.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomKey, send, startBridge, type Bridge } from '../helpers/bridge-process.js'

const owner = randomKey('agent-a')
const readWrite = randomKey('agent-a-rw')
const other = randomKey('agent-b')
/** A valid key that is first used after its address went over the failure limit. */
const late = randomKey('agent-c')
let bridge: Bridge

const json = (key: string) => ({ 'content-type': 'application/json', 'x-api-key': key })
const put = (key: string, path: string, data: unknown) =>
  send(bridge.url, path, { method: 'PUT', headers: json(key), body: JSON.stringify({ data }) })

/** Vault LIST calls of KV metadata the bridge made so far (its own metric, over HTTP). */
const listCalls = async (): Promise<number> => {
  const text = (await send(bridge.url, '/metrics')).text
  return [
    ...text.matchAll(
      /^vault_mcp_bridge_vault_requests_total\{[^}]*op="kv\/metadata"[^}]*\} (\d+)/gm,
    ),
  ]
    .map((m) => Number(m[1]))
    .reduce((a, b) => a + b, 0)
}

beforeAll(async () => {
  bridge = await startBridge({
    API_KEYS_JSON: JSON.stringify({
      [owner]: 'agent_a',
      [readWrite]: { agent: 'agent_a', scopes: ['read', 'write'] },
      [other]: 'agent_b',
      [late]: 'agent_c',
    }),
    AUTH_FAILURE_LIMIT: '5',
    AUTH_FAILURE_WINDOW_SECONDS: '600',
    LOG_LEVEL: 'warn',
    AUDIT_LOG: 'off',
  })
}, 120_000)

afterAll(async () => {
  await bridge?.stop()
})

describe('limits and scopes', () => {
  it('a valid key keeps working while another client at the same address guesses keys', async () => {
    // The agents at this address (a proxy, a host) are established: each has authenticated.
    for (const key of [owner, readWrite, other]) {
      expect((await send(bridge.url, '/whoami', { headers: { 'x-api-key': key } })).status).toBe(
        200,
      )
    }
    const statuses: number[] = []
    for (let i = 0; i < 8; i++) {
      const r = await send(bridge.url, '/whoami', { headers: { 'x-api-key': randomKey('guess') } })
      statuses.push(r.status)
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429])
    // Every established agent behind the same address still gets in with its own key.
    for (const key of [other, owner, readWrite]) {
      const r = await send(bridge.url, '/whoami', { headers: { 'x-api-key': key } })
      expect(r.status).toBe(200)
    }
    // And guessing goes on being refused, with Retry-After.
    const guess = await send(bridge.url, '/whoami', {
      headers: { 'x-api-key': randomKey('guess') },
    })
    expect(guess.status).toBe(429)
    expect(Number(guess.headers['retry-after'])).toBeGreaterThan(0)
  })

  it('a correct guess after the limit is refused', async () => {
    // An established agent here (already known when the test above ran first).
    expect((await send(bridge.url, '/whoami', { headers: { 'x-api-key': owner } })).status).toBe(
      200,
    )
    // Guess until the address is over the limit (the test above may have put it there already).
    let wrong = await send(bridge.url, '/whoami', { headers: { 'x-api-key': randomKey('guess') } })
    for (let i = 0; i < 6 && wrong.status !== 429; i++) {
      wrong = await send(bridge.url, '/whoami', { headers: { 'x-api-key': randomKey('guess') } })
    }
    expect(wrong.status).toBe(429)
    // A valid key never seen from this address before: refused exactly like a wrong guess, so
    // the answer tells the guesser nothing, and nothing of agent_c is read.
    const right = await send(bridge.url, '/secrets/app/db', { headers: { 'x-api-key': late } })
    expect(right.status).toBe(429)
    expect(right.json.error.code).toBe(wrong.json.error.code)
    expect(right.json.error.message).toBe(wrong.json.error.message)
    expect(right.headers['www-authenticate']).toBe(wrong.headers['www-authenticate'])
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0)
    expect(JSON.stringify(right.json)).not.toContain('agent_c')
    const me = await send(bridge.url, '/whoami', { headers: { 'x-api-key': late } })
    expect(me.status).toBe(429)
    // An established key at the same address is still served.
    expect((await send(bridge.url, '/whoami', { headers: { 'x-api-key': owner } })).status).toBe(
      200,
    )
  })

  it('a read,write key cannot destroy versions', async () => {
    expect((await put(owner, '/secrets/keep/db', { password: 'v1' })).status).toBe(200)
    const destroy = await send(bridge.url, '/secrets/keep/db:destroy', {
      method: 'POST',
      headers: json(readWrite),
      body: JSON.stringify({ versions: [1] }),
    })
    expect(destroy.status).toBe(403)
    expect(destroy.headers['www-authenticate']).toMatch(/insufficient_scope", scope="delete"/)
    const removeAll = await send(bridge.url, '/secrets/keep/db:metadata', {
      method: 'DELETE',
      headers: { 'x-api-key': readWrite },
    })
    expect(removeAll.status).toBe(403)
    const read = await send(bridge.url, '/secrets/keep/db?version=1', {
      headers: { 'x-api-key': readWrite },
    })
    expect(read.status).toBe(200)
    expect(read.json.data).toEqual({ password: 'v1' })
  })

  it('a recursive list opens at most LIST_MAX_FOLDERS folders', async () => {
    // 150 folders of one secret each, more than the default LIST_MAX_FOLDERS (100).
    for (let i = 0; i < 150; i++) {
      expect((await put(other, `/secrets/tree/f${i}/s`, { n: i })).status).toBe(200)
    }
    const before = await listCalls()
    const r = await send(bridge.url, '/secrets?prefix=tree/&recursive=true', {
      headers: { 'x-api-key': other },
    })
    expect(r.status).toBe(200)
    const calls = (await listCalls()) - before
    expect(calls).toBeGreaterThan(0)
    expect(calls).toBeLessThanOrEqual(100)
    // The answer says that the walk stopped early.
    expect(r.json.truncated).toBe(true)
    expect(r.json.keys.length).toBeGreaterThan(0)
  })
})
