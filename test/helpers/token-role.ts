/**
 * @module test/helpers/token-role: the token role child tokens are minted through, written as
 * `provision` writes it (one name per test run, so that a shared real Vault is fine), and
 * removed again.
 */
import type nodeVault from 'node-vault'
import { uniqueName } from '@vault-mcp-bridge/dev-vault/testing'
import { hasRoleGlobs, tokenRolePath, tokenRoleSettings } from '../../src/vault/token-role.js'

export interface TestTokenRole {
  /** Its name: CHILD_TOKEN_ROLE of the bridge under test. */
  name: string
  /** Lets the role hand out these agent policies too (a no-op where Vault has role globs). */
  allow(...policies: string[]): Promise<void>
  /** Deletes the role. */
  remove(): Promise<void>
}

/**
 * Writes a token role for agent policies `<policyPrefix>*` with `root` (a glob from Vault 1.9
 * on; on 1.8 a list of `agentPolicies`), as `provision` would, and returns its name.
 */
export async function writeTestTokenRole(
  root: Pick<nodeVault.client, 'write' | 'delete' | 'request'>,
  options: { policyPrefix: string; agentPolicies?: string[]; name?: string },
): Promise<TestTokenRole> {
  const name = options.name ?? uniqueName('bridge-agents')
  const health = (await root.request({
    path: '/sys/health?standbyok=true&perfstandbyok=true',
    method: 'GET',
  })) as { version?: string }
  const globs = hasRoleGlobs(health.version)
  const listed = new Set(options.agentPolicies ?? [])
  const write = () =>
    root.write(
      tokenRolePath(name),
      tokenRoleSettings({
        policyPrefix: options.policyPrefix,
        agentPolicies: [...listed],
        disallowed: [],
        globs,
      }),
    )
  await write()
  return {
    name,
    async allow(...policies) {
      if (globs) return
      for (const p of policies) listed.add(p)
      await write()
    },
    remove: async () => {
      await root.delete(tokenRolePath(name)).catch(() => undefined)
    },
  }
}
