/** @module Vault call and child-token metrics, fed by the real Vault layer against the dev vault. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readSecret, writeSecret } from '../../src/core/operations.js'
import type { Metrics } from '../../src/observability/metrics.js'
import { vaultCallLabel } from '../../src/vault/node-vault-client.js'
import { principal, startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

const mounts = { kvMount: 'secret', transitMount: 'transit' }

describe('vaultCallLabel', () => {
  it.each([
    ['/secret/data/mcp/alice/db', 'kv/data'],
    ['secret/metadata/mcp/alice/?list=true', 'kv/metadata'],
    ['/transit/encrypt/mcp--alice--k', 'transit/encrypt'],
    ['/auth/token/create', 'auth/token/create'],
    ['/auth/approle/login', 'auth/login'],
    ['/sys/health', 'sys/health'],
    ['/cubbyhole/x', 'other'],
  ])('%s is %s (no agent, path or key name)', (path, label) => {
    expect(vaultCallLabel(path, mounts)).toBe(label)
  })
})

describe('Vault metrics', () => {
  let stack: VaultStack
  let metrics: Metrics
  let agent: string

  beforeAll(async () => {
    stack = await startVaultStack({ childTokens: true, metrics: true })
    metrics = stack.core.metrics!
    agent = stack.agent('metrics')
    await stack.provision(agent)
  })
  afterAll(() => stack?.close())

  const sample = async (name: string, labels: Record<string, string>) => {
    const text = await metrics.render()
    const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
    const line = text
      .split('\n')
      .find(
        (l) =>
          (l.startsWith(`vault_mcp_bridge_${name}{`) ||
            l.startsWith(`vault_mcp_bridge_${name} `)) &&
          want.every((w) => l.includes(w)),
      )
    return line === undefined ? 0 : Number(line.split(' ').at(-1))
  }

  it('counts Vault calls by endpoint and status, and child tokens minted', async () => {
    const ctx = { principal: principal(agent), requestId: 'metrics-1' }
    await stack.runner.run(writeSecret, ctx, { path: 'm/one', data: { v: 1 } })
    await expect(
      stack.runner.run(readSecret, ctx, {
        path: 'm/absent',
      }),
    ).rejects.toMatchObject({ code: 'SECRET_NOT_FOUND' })

    expect(await sample('vault_requests_total', { op: 'kv/data', status: '200' })).toBeGreaterThan(
      0,
    )
    expect(await sample('vault_errors_total', { op: 'kv/data', status: '404' })).toBe(1)
    expect(
      await sample('vault_requests_total', { op: 'auth/token/create', status: '200' }),
    ).toBeGreaterThanOrEqual(2)
    expect(await sample('child_tokens_minted_total', {})).toBeGreaterThanOrEqual(2)
    const text = await metrics.render()
    expect(text).toContain('vault_mcp_bridge_vault_request_duration_seconds_bucket')
    // Security: labels never carry agent ids, secret paths or tokens.
    expect(text).not.toContain(agent)
    expect(text).not.toContain('m/one')
  })
})
