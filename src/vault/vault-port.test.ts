/**
 * @module vault/vault-port tests: start-up refusals, and behaviour against an address where no
 * Vault listens (starts anyway, not ready, cached readiness, VAULT_UNAVAILABLE, close()).
 * Login, renewal, child tokens and recovery are tested against the dev vault in
 * test/integration/vault-access-*.test.ts.
 */
import { createServer, type AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../config/load.js'
import type { AppError } from '../core/errors.js'
import { createLogger } from '../observability/logger.js'
import { createVaultPort } from './vault-port.js'
import { VaultStartupError } from './vault-startup-error.js'

const silent = createLogger({ level: 'silent' })

async function closedAddress(): Promise<string> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as AddressInfo
  await new Promise((r) => s.close(r))
  return `http://127.0.0.1:${port}`
}

function portFor(env: Record<string, string>, now?: () => number) {
  const config = loadConfig(env)
  return createVaultPort({
    vault: config.vault,
    childToken: config.childToken,
    logger: silent,
    ...(now ? { now } : {}),
  })
}

const ctx = {
  principal: { agent: 'alice', scopes: ['read' as const], method: 'api_key' as const },
  requestId: 'r-1',
}

const startError = (p: Promise<void>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as VaultStartupError,
  )

describe('createVaultPort', () => {
  it('refuses to start without credentials', async () => {
    const err = await startError(portFor({ VAULT_ADDR: await closedAddress() }).start())
    expect(err).toBeInstanceOf(VaultStartupError)
    expect(err?.reason).toBe('no_credentials')
  })

  it('refuses a child-token policy prefix that Vault would lower-case', async () => {
    const port = portFor({
      VAULT_ADDR: await closedAddress(),
      VAULT_TOKEN: 't',
      CHILD_TOKEN_ENABLED: 'true',
      CHILD_TOKEN_POLICY_PREFIX: 'MCP-',
    })
    expect((await startError(port.start()))?.reason).toBe('policy_prefix')
  })

  it('starts against an unreachable Vault: not ready, VAULT_UNAVAILABLE with Retry-After', async () => {
    let t = 1_000_000
    const port = portFor({ VAULT_ADDR: await closedAddress(), VAULT_TOKEN: 't' }, () => t)
    await port.start()
    const first = await port.readiness()
    expect(first).toEqual({ ready: false, reason: 'vault unreachable' })
    // Answered from the cache while it is young; re-checked after.
    expect(await port.readiness()).toBe(first)
    t += 2000
    const second = await port.readiness()
    expect(second).not.toBe(first)
    expect(second.ready).toBe(false)

    const err = (await port
      .session(ctx, 1, (v) => v.kvRead('x'))
      .catch((e: unknown) => e)) as AppError
    expect(err.code).toBe('VAULT_UNAVAILABLE')
    expect(err.details.retryAfterSeconds).toBeGreaterThan(0)

    await port.close()
    await port.close()
    const closed = (await port
      .session(ctx, 1, (v) => v.kvRead('x'))
      .catch((e: unknown) => e)) as AppError
    expect(closed.code).toBe('VAULT_UNAVAILABLE')
  })
})
