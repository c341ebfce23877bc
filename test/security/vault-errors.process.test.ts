/**
 * @module test/security/vault-errors: issue 12 items 4 and 9 (size). One agent's request must
 * not make Vault look down for the others, and a secret's data has limits of its own (depth,
 * keys, value size), checked before Vault is called. Over real HTTP to a bridge on the dev vault.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomKey, send, startBridge, type Bridge } from '../helpers/bridge-process.js'

const keyA = randomKey('agent-a')
const keyB = randomKey('agent-b')
let bridge: Bridge

/**
 * A write body whose value is `[[[...["x"]...]]]` nested `levels` deep: about 2 bytes a level, as
 * the attack sent it (JSON.stringify itself could not write it).
 */
const deeplyNested = (levels: number) =>
  `{"data":{"a":${'['.repeat(levels)}"x"${']'.repeat(levels)}}}`

const put = (key: string, path: string, body: string) =>
  send(bridge.url, path, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body,
  })

/** KV data calls (reads and writes) the bridge made to Vault so far (its own metric, over HTTP). */
const kvDataCalls = async (): Promise<number> => {
  const text = (await send(bridge.url, '/metrics')).text
  return [
    ...text.matchAll(/^vault_mcp_bridge_vault_requests_total\{[^}]*op="kv\/data"[^}]*\} (\d+)/gm),
  ]
    .map((m) => Number(m[1]))
    .reduce((a, b) => a + b, 0)
}

beforeAll(async () => {
  bridge = await startBridge({
    API_KEYS_JSON: JSON.stringify({ [keyA]: 'agent_a', [keyB]: 'agent_b' }),
    LOG_LEVEL: 'warn',
    AUDIT_LOG: 'off',
  })
  expect((await put(keyB, '/secrets/app/db', '{"data":{"password":"b"}}')).status).toBe(200)
}, 120_000)

afterAll(async () => {
  await bridge?.stop()
})

describe('Vault errors and data limits', () => {
  it("one agent's unserialisable data does not make Vault look down for the others", async () => {
    const attack = deeplyNested(5000)
    expect(attack.length).toBeLessThan(12_000)
    const attacks: number[] = []
    const others: number[] = []
    // Fifteen attacks, three at a time, while agent B makes 72 requests, four at a time.
    const attacker = async () => {
      for (let i = 0; i < 5; i++) attacks.push((await put(keyA, `/secrets/x/${i}`, attack)).status)
    }
    const victim = async () => {
      for (let i = 0; i < 18; i++) {
        const r = await send(bridge.url, '/secrets/app/db', { headers: { 'x-api-key': keyB } })
        others.push(r.status)
      }
    }
    await Promise.all([attacker(), attacker(), attacker(), victim(), victim(), victim(), victim()])
    expect(attacks).toHaveLength(15)
    expect(attacks.filter((s) => s === 503)).toEqual([])
    expect(others).toHaveLength(72)
    expect(others.filter((s) => s !== 200)).toEqual([])
    expect((await send(bridge.url, '/readyz')).status).toBe(200)
  })

  it('deeply nested, wide or oversized data is refused before Vault is called', async () => {
    const before = await kvDataCalls()
    const wide = Object.fromEntries(Array.from({ length: 90_000 }, (_, i) => [i.toString(36), 0]))
    const bodies = [
      deeplyNested(5000),
      JSON.stringify({ data: wide }),
      JSON.stringify({ data: { blob: 'x'.repeat(300 * 1024) } }),
    ]
    expect(Buffer.byteLength(bodies[1]!)).toBeGreaterThan(600_000)
    for (const [i, body] of bodies.entries()) {
      const r = await put(keyA, `/secrets/limits/${i}`, body)
      expect(r.status, r.text).toBe(400)
      expect(r.json.error.code).toBe('DATA_LIMIT_EXCEEDED')
      expect(r.json.error.message).toMatch(/DATA_MAX_(DEPTH|KEYS|VALUE_BYTES)/)
      expect((await send(bridge.url, '/healthz')).status).toBe(200)
    }
    // Not one KV call reached Vault (the metric counts reads too: they come after).
    expect(await kvDataCalls()).toBe(before)
    for (const i of bodies.keys()) {
      const read = await send(bridge.url, `/secrets/limits/${i}`, {
        headers: { 'x-api-key': keyA },
      })
      expect(read.status).toBe(404)
    }
  })
})
