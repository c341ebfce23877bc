/**
 * @module test/integration/vault-access-gen-policy: `scripts/gen_policy` (through the real CLI)
 * prints the same HCL as the library, with the same flags, and Vault accepts it as a policy.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import nodeVault from 'node-vault'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderAgentPolicy } from '../../src/vault/admin/policy.js'
import { uniqueName, vaultForTests, type TestVault } from '@vault-mcp-bridge/dev-vault/testing'

const script = fileURLToPath(new URL('../../scripts/gen_policy', import.meta.url))
const run = (...args: string[]) =>
  spawnSync('bash', [script, ...args], { encoding: 'utf8', timeout: 60_000 })

let vault: TestVault
beforeAll(async () => {
  vault = await vaultForTests()
})
afterAll(async () => {
  await vault?.close()
})

describe('scripts/gen_policy', () => {
  it('prints the policy for the given flags, and Vault accepts it', async () => {
    const agent = uniqueName('alice')
    const r = run('--agent', agent, '--mount', 'kv', '--prefix', 'team', '--transit-mount', 't')
    expect(r.status).toBe(0)
    expect(r.stdout).toBe(
      renderAgentPolicy({
        agent,
        mount: 'kv',
        prefix: 'team',
        transitMount: 't',
        policyPrefix: 'mcp-agent-',
      }),
    )
    const root = nodeVault({ endpoint: vault.url, token: vault.rootToken, debug: () => {} })
    const name = uniqueName('gen-policy')
    await root.write(`sys/policies/acl/${name}`, { policy: r.stdout })
    const back = (await root.read(`sys/policies/acl/${name}`)) as { data: { policy: string } }
    expect(back.data.policy).toBe(r.stdout)
    await root.delete(`sys/policies/acl/${name}`)
  })

  it('exits 2 with nothing on stdout for an agent id that cannot have a policy', () => {
    const r = run('--agent', 'Bob--x')
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
  })
})
