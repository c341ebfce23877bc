/**
 * @module test/integration/vault-access-login: the bridge's own Vault login with a token:
 * start-up checks, renewal at two thirds of the TTL (on a clock shared with the dev vault, with
 * upkeep stepped by the test), and what happens when the token is revoked under it (one check,
 * no loop).
 */
import nodeVault from 'node-vault'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import type { AppError } from '../../src/core/errors.js'
import type { CallContext } from '../../src/core/identity.js'
import { startDevVault, type DevVault } from '@vault-mcp-bridge/dev-vault'
import {
  createVaultPort,
  UPKEEP_TICK_MS,
  type ManagedVaultPort,
} from '../../src/vault/vault-port.js'
import { VaultStartupError } from '../../src/vault/vault-startup-error.js'
import { reportOperatorError } from '../../src/cli/exit.js'
import { uniqueName, vaultForTests, type TestVault } from '@vault-mcp-bridge/dev-vault/testing'
import { recordingLogger } from '../helpers/vault-stack.js'
import { startVaultProxy, type VaultProxy } from '../helpers/vault-proxy.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined)
})

const ctx = (agent: string): CallContext => ({
  principal: { agent, scopes: ['read', 'write', 'delete', 'list'], method: 'api_key' },
  requestId: uniqueName('req'),
})

const rootClient = (url: string, token: string) =>
  nodeVault({ endpoint: url, token, debug: () => {}, noCustomHTTPVerbs: true })

/** A controllable clock shared by the dev vault and the port. */
function fakeClock() {
  let t = Date.now()
  return { now: () => t, advance: (seconds: number) => void (t += seconds * 1000) }
}

async function port(
  url: string,
  env: Record<string, string>,
  extra: { now?: () => number } = {},
): Promise<{ port: ManagedVaultPort; lines: ReturnType<typeof recordingLogger>['lines'] }> {
  const config = loadConfig({ VAULT_ADDR: url, ...env })
  const { logger, lines } = recordingLogger()
  const p = createVaultPort({
    vault: config.vault,
    childToken: config.childToken,
    logger,
    ...extra,
  })
  cleanups.push(() => p.close())
  return { port: p, lines }
}

async function testVault(): Promise<TestVault> {
  const v = await vaultForTests()
  cleanups.push(() => v.close())
  return v
}

async function devVault(clock: () => number): Promise<DevVault> {
  const v = await startDevVault({ port: 0, clock })
  cleanups.push(() => v.close())
  return v
}

async function proxyTo(url: string): Promise<VaultProxy> {
  const p = await startVaultProxy(url)
  cleanups.push(() => p.close())
  return p
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  )

describe('bridge login with VAULT_TOKEN', () => {
  it('starts with a valid token and serves sessions with it', async () => {
    const vault = await testVault()
    const token = (await rootClient(vault.url, vault.rootToken).write('auth/token/create', {
      policies: ['default'],
      ttl: '1h',
    })) as { auth: { client_token: string } }
    const proxy = await proxyTo(vault.url)
    const { port: p } = await port(proxy.url, { VAULT_TOKEN: token.auth.client_token })
    await p.start()
    expect(await p.readiness()).toEqual({ ready: true })
    // The token has no policy for this path: Vault's 403 comes back as FORBIDDEN.
    const err = (await errorOf(p.session(ctx('alice'), 1, (s) => s.kvRead('x/y')))) as AppError
    expect(err.code).toBe('FORBIDDEN')
    expect(proxy.requests.map((r) => r.path)).toContain('auth/token/lookup-self')
    expect(proxy.requests.every((r) => r.token === token.auth.client_token)).toBe(true)
  })

  it('refuses to start (exit 2) with a token Vault rejects', async () => {
    const vault = await testVault()
    const { port: p } = await port(vault.url, { VAULT_TOKEN: 'hvs.not-a-real-token-000000' })
    const err = await errorOf(p.start())
    expect(err).toBeInstanceOf(VaultStartupError)
    expect((err as VaultStartupError).reason).toBe('token_invalid')
    expect((err as VaultStartupError).message).not.toContain('hvs.not-a-real-token')
    // The CLI decides the exit code: 2, with one line that names no token.
    let printed = ''
    const io = { stdout: () => undefined, stderr: (text: string) => void (printed += text) }
    expect(reportOperatorError(err, io, 'vault-mcp-bridge')).toBe(2)
    expect(printed.trimEnd().split('\n')).toHaveLength(1)
    expect(printed).not.toContain('hvs.not-a-real-token')
  })

  it('refuses to start without any credentials', async () => {
    const vault = await testVault()
    const { port: p } = await port(vault.url, {})
    const err = await errorOf(p.start())
    expect((err as VaultStartupError).reason).toBe('no_credentials')
  })

  it('when the token is revoked under it: one check, VAULT_UNAVAILABLE, not ready, no loop', async () => {
    const vault = await testVault()
    const root = rootClient(vault.url, vault.rootToken)
    const created = (await root.write('auth/token/create', {
      policies: ['default'],
      ttl: '1h',
    })) as {
      auth: { client_token: string }
    }
    const token = created.auth.client_token
    const proxy = await proxyTo(vault.url)
    const { port: p, lines } = await port(proxy.url, { VAULT_TOKEN: token })
    await p.start()
    await root.write('auth/token/revoke', { token })
    proxy.requests.length = 0

    const err = (await errorOf(p.session(ctx('alice'), 1, (s) => s.kvRead('x/y')))) as AppError
    expect(err.code).toBe('VAULT_UNAVAILABLE')
    expect(err.details.retryAfterSeconds).toBeGreaterThan(0)
    // Exactly the failed call and one lookup-self to tell a dead token from a policy denial.
    expect(proxy.requests.map((r) => r.path)).toEqual(['secret/data/x/y', 'auth/token/lookup-self'])
    expect(await p.readiness()).toMatchObject({ ready: false, reason: 'token invalid' })
    expect(
      lines.some((l) => (l.obj as { event?: string }).event === 'vault_credentials_rejected'),
    ).toBe(true)
  })
})

// The port's own ticker is a fake interval here: the test owns the clock and runs each round of
// upkeep itself, so that "no renewal yet" is a fact about a finished round, not about a sleep.
describe('token renewal (dev vault, shared controllable clock, upkeep stepped by the test)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  async function renewableToken(clock: ReturnType<typeof fakeClock>) {
    const dev = await devVault(clock.now)
    const root = rootClient(dev.url, dev.rootToken)
    const created = (await root.write('auth/token/create', {
      policies: ['default'],
      ttl: '60s',
    })) as {
      auth: { client_token: string }
    }
    const token = created.auth.client_token
    const proxy = await proxyTo(dev.url)
    const { port: p, lines } = await port(proxy.url, { VAULT_TOKEN: token }, { now: clock.now })
    await p.start()
    const renewals = () => proxy.requests.filter((r) => r.path === 'auth/token/renew-self').length
    return { root, token, port: p, lines, renewals }
  }

  it('renews a renewable token at about two thirds of its TTL, and not before', async () => {
    const clock = fakeClock()
    const { root, token, port: p, lines, renewals } = await renewableToken(clock)

    clock.advance(35)
    await p.upkeep()
    expect(renewals()).toBe(0)

    clock.advance(6) // 41 s: past 2/3 of 60 s
    await p.upkeep()
    expect(renewals()).toBe(1)
    const looked = (await root.write('auth/token/lookup', { token })) as { data: { ttl: number } }
    expect(looked.data.ttl).toBeGreaterThan(40) // renewed: ~60 s left instead of ~19 s
    expect(lines.some((l) => (l.obj as { event?: string }).event === 'vault_token_renewed')).toBe(
      true,
    )

    // The next renewal is planned from the new TTL, not from the old one.
    clock.advance(30)
    await p.upkeep()
    expect(renewals()).toBe(1)
    clock.advance(12)
    await p.upkeep()
    expect(renewals()).toBe(2)
    expect(
      await p
        .session(ctx('alice'), 1, (s) => s.kvList('nothing/here/'))
        .catch((e: AppError) => e.code),
    ).toBe('FORBIDDEN')
  })

  it(`runs upkeep by itself every ${UPKEEP_TICK_MS} ms once started, and stops on close()`, async () => {
    const clock = fakeClock()
    const { port: p, renewals } = await renewableToken(clock)
    clock.advance(41)
    vi.advanceTimersByTime(UPKEEP_TICK_MS)
    await vi.waitFor(() => expect(renewals()).toBe(1), { timeout: 5000, interval: 10 })
    await p.close()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('never renews a token without a TTL (root tokens)', async () => {
    const clock = fakeClock()
    const dev = await devVault(clock.now)
    const proxy = await proxyTo(dev.url)
    const { port: p } = await port(proxy.url, { VAULT_TOKEN: dev.rootToken }, { now: clock.now })
    await p.start()
    clock.advance(10 * 86_400)
    await p.upkeep()
    expect(proxy.requests.map((r) => r.path)).toEqual(['auth/token/lookup-self'])
  })
})
