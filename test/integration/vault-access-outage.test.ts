/**
 * @module test/integration/vault-access-outage: an unreachable Vault is not fatal. The bridge
 * starts, is not ready, answers VAULT_UNAVAILABLE with a retry hint, and recovers without a
 * restart once Vault answers, including a NEW Vault on the same port. These tests run their own
 * dev vaults (a real Vault cannot be stopped by a test), on a clock shared with the port.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import type { AppError } from '../../src/core/errors.js'
import type { CallContext } from '../../src/core/identity.js'
import { startDevVault, type DevVault } from '@vault-mcp-bridge/dev-vault'
import { createVaultPort, type ManagedVaultPort } from '../../src/vault/vault-port.js'
import { uniqueName } from '@vault-mcp-bridge/dev-vault/testing'
import { freePort } from '../helpers/free-port.js'
import { startVaultProxy } from '../helpers/vault-proxy.js'
import { recordingLogger } from '../helpers/vault-stack.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined)
})

const ctx = (): CallContext => ({
  principal: { agent: 'alice', scopes: ['read', 'write'], method: 'api_key' },
  requestId: uniqueName('req'),
})

function fakeClock() {
  let t = Date.now()
  return { now: () => t, advance: (seconds: number) => void (t += seconds * 1000) }
}

/**
 * A port nothing listens on, that a dev vault binds later: from freePort, below the range the
 * suite's own connections take their ports from, so none takes it in between.
 */
const closedPort = freePort

async function dev(port: number, rootToken: string, clock: () => number): Promise<DevVault> {
  const v = await startDevVault({ port, rootToken, clock })
  cleanups.push(() => v.close())
  return v
}

function bridgePort(url: string, token: string, now: () => number): ManagedVaultPort {
  const config = loadConfig({ VAULT_ADDR: url, VAULT_TOKEN: token, VAULT_TIMEOUT: '2s' })
  const p = createVaultPort({
    vault: config.vault,
    childToken: config.childToken,
    logger: recordingLogger().logger,
    now,
  })
  cleanups.push(() => p.close())
  return p
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as AppError,
  )

/** A started port on a shared clock, talking to a fresh dev vault through a recording proxy. */
async function portBehindProxy() {
  const clock = fakeClock()
  const rootToken = uniqueName('root')
  const vault = await dev(0, rootToken, clock.now)
  const proxy = await startVaultProxy(vault.url)
  cleanups.push(() => proxy.close())
  const p = bridgePort(proxy.url, rootToken, clock.now)
  await p.start()
  return { clock, proxy, p }
}

const write = (p: ManagedVaultPort, key: string) =>
  p.session(ctx(), 1, (s) => s.kvWrite(key, { v: '1' }))

describe('readiness', () => {
  it('is checked once for a burst of probes, and again once the answer is old', async () => {
    const clock = fakeClock()
    const vault = await dev(await closedPort(), uniqueName('root'), clock.now)
    const proxy = await startVaultProxy(vault.url)
    cleanups.push(() => proxy.close())
    const p = bridgePort(proxy.url, vault.rootToken, clock.now)
    await p.start()
    const healthChecks = () => proxy.requests.filter((r) => r.path === 'sys/health').length

    const burst = await Promise.all(Array.from({ length: 10 }, () => p.readiness()))
    expect(burst.every((r) => r.ready)).toBe(true)
    expect(healthChecks()).toBe(1)
    expect(await p.readiness()).toEqual({ ready: true })
    expect(healthChecks()).toBe(1)
    clock.advance(2)
    expect(await p.readiness()).toEqual({ ready: true })
    expect(healthChecks()).toBe(2)
  })
})

describe('Vault outage', () => {
  it('starts against a closed port, is not ready, and recovers when Vault comes up', async () => {
    const clock = fakeClock()
    const port = await closedPort()
    const rootToken = uniqueName('root')
    const p = bridgePort(`http://127.0.0.1:${port}`, rootToken, clock.now)
    await p.start() // no throw: an unreachable Vault is not a configuration error

    expect(await p.readiness()).toMatchObject({ ready: false, reason: 'vault unreachable' })
    const err = await errorOf(write(p, 'mcp/alice/a'))
    expect(err?.code).toBe('VAULT_UNAVAILABLE')
    expect(err?.details.retryAfterSeconds).toBeGreaterThan(0)
    // Within the probe interval, requests fail fast without touching the network.
    expect((await errorOf(write(p, 'mcp/alice/a')))?.code).toBe('VAULT_UNAVAILABLE')

    await dev(port, rootToken, clock.now)
    // The cached readiness answer holds for a moment, then the next check sees Vault.
    expect((await p.readiness()).ready).toBe(false)
    clock.advance(2)
    expect(await p.readiness()).toEqual({ ready: true })
    await expect(write(p, 'mcp/alice/a')).resolves.toMatchObject({ version: 1 })
  })

  it('survives Vault going away and a NEW Vault coming up on the same port', async () => {
    const clock = fakeClock()
    const port = await closedPort()
    const rootToken = uniqueName('root')
    const first = await dev(port, rootToken, clock.now)
    const p = bridgePort(first.url, rootToken, clock.now)
    await p.start()
    await expect(write(p, 'mcp/alice/a')).resolves.toMatchObject({ version: 1 })
    expect(await p.readiness()).toEqual({ ready: true })

    await first.close()
    expect((await errorOf(write(p, 'mcp/alice/b')))?.code).toBe('VAULT_UNAVAILABLE')
    clock.advance(2)
    expect(await p.readiness()).toMatchObject({ ready: false })

    await dev(port, rootToken, clock.now)
    clock.advance(2)
    expect(await p.readiness()).toEqual({ ready: true })
    // A new, empty Vault: the first write of a key is version 1 again.
    await expect(write(p, 'mcp/alice/a')).resolves.toMatchObject({ version: 1 })
  })

  it('recovers when connections to a running Vault are cut and restored', async () => {
    const { clock, proxy, p } = await portBehindProxy()
    await write(p, 'mcp/alice/a')

    proxy.down = true
    let before = proxy.attempts
    // Security (issue 12): a request's own failure marks Vault down for nobody else; each
    // request tries Vault itself until the readiness probe has seen the outage.
    for (let i = 0; i < 3; i++) {
      expect((await errorOf(write(p, 'mcp/alice/a')))?.code).toBe('VAULT_UNAVAILABLE')
    }
    expect(proxy.attempts - before).toBe(3)
    expect(await p.readiness()).toMatchObject({ ready: false })
    // From then on, many requests during the outage make one probe per interval, not one call each.
    before = proxy.attempts
    for (let i = 0; i < 20; i++) {
      expect((await errorOf(write(p, 'mcp/alice/a')))?.code).toBe('VAULT_UNAVAILABLE')
    }
    expect(proxy.attempts - before).toBe(1)
    clock.advance(2)
    for (let i = 0; i < 20; i++) {
      expect((await errorOf(write(p, 'mcp/alice/a')))?.code).toBe('VAULT_UNAVAILABLE')
    }
    expect(proxy.attempts - before).toBe(2)

    proxy.down = false
    clock.advance(2)
    await expect(write(p, 'mcp/alice/a')).resolves.toMatchObject({ version: 2 })
    expect(proxy.requests.at(-2)?.path).toBe('auth/token/lookup-self')
  })

  it('a request the Vault client cannot even send is INTERNAL, and Vault stays up for everyone', async () => {
    const { proxy, p } = await portBehindProxy()
    // Past the service's data limits (this calls the port directly): the client's JSON
    // serialisation throws, without an HTTP status and without a network error code.
    let deep: unknown = 'x'
    for (let i = 0; i < 5000; i++) deep = [deep]
    const before = proxy.attempts
    for (let i = 0; i < 5; i++) {
      const err = await errorOf(p.session(ctx(), 1, (s) => s.kvWrite('mcp/alice/a', { deep })))
      expect(err?.code).toBe('INTERNAL')
    }
    expect(proxy.attempts).toBe(before)
    expect(await p.readiness()).toEqual({ ready: true })
    await expect(write(p, 'mcp/bob/b')).resolves.toMatchObject({ version: 1 })
  })
})
