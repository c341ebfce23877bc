/**
 * @module request_secret's links across replicas and restarts, as `serve` composes them: two
 * bridges with one STATE_SIGNING_KEY and one real Redis (RATE_LIMIT_REDIS_URL) take a link once
 * between them and both see its outcome; a link outlives a restart; with Redis gone a link is
 * refused (its single use cannot be checked), never accepted.
 */
import type { ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openLink, postForm } from '../helpers/entry-page.js'
import { newSigningKey, startEntryBridge, type EntryBridge } from '../helpers/entry-bridge.js'
import { freePort } from '../helpers/free-port.js'
import { redisSuitesRun, startRedis, stopRedis } from '../helpers/redis-server.js'
import { startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

if (!redisSuitesRun) console.warn('SKIPPED secret-entry-replicas: redis-server is not installed')

const VALUE = 'replicated-entry-value-P4'
const FIELDS = [{ name: 'token', description: 'The token' }]
let stack: VaultStack
let redis: ChildProcess
let redisPort: number
let env: Record<string, string>
let agent: string
let a: EntryBridge
let b: EntryBridge

beforeAll(async () => {
  if (!redisSuitesRun) return
  stack = await startVaultStack()
  agent = stack.agent('replica-entry')
  redisPort = await freePort()
  redis = await startRedis(redisPort)
  env = {
    STATE_SIGNING_KEY: newSigningKey(),
    RATE_LIMIT_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    // Both replicas are reached under one public address (a load balancer).
    PUBLIC_URL: 'http://127.0.0.1:1',
  }
  a = await startEntryBridge(stack, [agent], env)
  b = await startEntryBridge(stack, [agent], env)
  await ready(a)
  await ready(b)
})
afterAll(async () => {
  await a?.close()
  await b?.close()
  if (redis) await stopRedis(redis)
  await stack?.close()
})

/**
 * request_secret on `bridge`, once its Redis client has connected: commands fail fast (and the
 * request is refused, 503) until then, by design.
 */
async function ask(bridge: EntryBridge, body: object) {
  for (let i = 0; ; i++) {
    const res = await bridge.ask(agent, body)
    if (res.status !== 503 || i === 50) return res
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Resolves once `bridge` reaches Redis. */
const ready = async (bridge: EntryBridge) =>
  expect((await ask(bridge, { path: 'ready', fields: FIELDS })).status).toBe(200)

/** The link's path on `bridge` (the load balancer's choice). */
const on = (bridge: EntryBridge, url: string) =>
  new URL(new URL(url).pathname, bridge.url).toString()

const inVault = async (path: string) =>
  (
    (await stack.root.read(`secret/data/${stack.prefix}/${agent}/${path}`)) as {
      data: { data: Record<string, string>; metadata: { version: number } }
    }
  ).data

describe.skipIf(!redisSuitesRun)('request_secret links across replicas', () => {
  it('two replicas sharing Redis accept a request_secret link once between them', async () => {
    // An existing secret and update mode (a link can only be made for one that exists). The
    // shared nonce turns the second post away (410) before Vault; without it, Vault's
    // check-and-set would refuse it instead (409).
    await fetch(new URL('/secrets/shared', a.url), {
      method: 'PUT',
      headers: { 'x-api-key': `key-${agent}-0123456789`, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { token: 'old' } }),
    })
    const res = await ask(a, { path: 'shared', fields: FIELDS, update: true })
    const url = res.json.url as string
    const page = await openLink(on(a, url))
    expect(page.status).toBe(200)
    const posts = await Promise.all([
      postForm(on(a, url), page, { token: VALUE }),
      postForm(on(b, url), page, { token: 'the-other-replica' }),
    ])
    expect(posts.map((p) => p.status).sort()).toEqual([200, 410])
    expect((await inVault('shared')).metadata.version).toBe(2)
    // Either replica answers the outcome, and shows the used page.
    expect((await b.check(agent, res.json.request_id)).json).toMatchObject({
      status: 'written',
      version: 2,
    })
    expect((await openLink(on(b, url))).status).toBe(410)
    expect(a.everything() + b.everything()).not.toContain(VALUE)
  })

  it('a request_secret link issued before a restart still works after it', async () => {
    const res = await ask(a, { path: 'restart', fields: FIELDS })
    await a.close()
    a = await startEntryBridge(stack, [agent], env)
    await ready(a)
    const url = on(a, res.json.url)
    const page = await openLink(url)
    expect(page.status).toBe(200)
    expect((await postForm(url, page, { token: VALUE })).status).toBe(200)
    expect((await inVault('restart')).data).toEqual({ token: VALUE })
    expect((await b.check(agent, res.json.request_id)).json.status).toBe('written')
  })

  it("two replicas sharing Redis count an agent's open request_secret links together", async () => {
    const capped = stack.agent('replica-capped')
    const capEnv = { ...env, SECRET_ENTRY_MAX_OPEN: '2' }
    const c = await startEntryBridge(stack, [capped], capEnv)
    const d = await startEntryBridge(stack, [capped], capEnv)
    const askOn = async (bridge: EntryBridge, path: string) => {
      for (let i = 0; ; i++) {
        const res = await bridge.ask(capped, { path, fields: FIELDS })
        if (res.status !== 503 || i === 50) return res
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    try {
      const first = await askOn(c, 'capped-1')
      expect(first.status).toBe(200)
      expect((await askOn(d, 'capped-2')).status).toBe(200)
      for (const bridge of [c, d]) {
        const over = await askOn(bridge, 'capped-3')
        expect(over.status).toBe(429)
        expect(over.json.error.code).toBe('TOO_MANY_OPEN_REQUESTS')
        expect(over.json.url).toBeUndefined()
        // When the oldest link (the first, SECRET_ENTRY_TTL from when it was made) expires,
        // read from Redis by either replica.
        const wait = Number(over.headers.get('retry-after'))
        expect(wait).toBeGreaterThan(590)
        expect(wait).toBeLessThanOrEqual(600)
      }
      // The person uses the first link on the other replica: a place frees up for both.
      const url = on(d, first.json.url)
      const page = await openLink(url)
      expect((await postForm(url, page, { token: VALUE })).status).toBe(200)
      expect((await askOn(c, 'capped-3')).status).toBe(200)
      expect((await askOn(d, 'capped-4')).status).toBe(429)
    } finally {
      await c.close()
      await d.close()
    }
  })

  it('with Redis gone a request_secret link is refused, never accepted', async () => {
    const res = await ask(a, { path: 'no-redis', fields: FIELDS })
    const url = on(a, res.json.url)
    const page = await openLink(url)
    await stopRedis(redis)
    try {
      const post = await postForm(url, page, { token: VALUE })
      expect(post.status).toBe(503)
      expect(post.html).toContain('Nothing was stored')
    } finally {
      redis = await startRedis(redisPort)
    }
    await expect(stack.root.read(`secret/data/${stack.prefix}/${agent}/no-redis`)).rejects.toThrow()
  })
})
