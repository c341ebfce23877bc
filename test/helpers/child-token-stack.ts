/**
 * @module test/helpers/child-token-stack: `vault-stack` with per-request child tokens switched on
 * for every stack that does not choose, and each agent's policy (gen-policy's text) written the
 * first time the agent reaches Vault. `vitest.child-tokens.config.ts` substitutes this module
 * for `vault-stack` to run the REST and MCP suites unchanged in child-token mode.
 */
import { isAgentPolicyNameSafe } from '../../src/vault/policy-name.js'
import { startVaultStack as startPlainStack } from './vault-stack.js'
import type { VaultStack, VaultStackOptions } from './vault-stack.js'

export {
  createCountingVaultPort,
  principal,
  recordingLogger,
  type LogLine,
  type SessionUse,
  type VaultStack,
  type VaultStackOptions,
} from './vault-stack.js'

/**
 * A stack with per-request child tokens on, unless `options.childTokens` is given (then the
 * plain stack, as the test asked).
 */
export async function startVaultStack(options: VaultStackOptions = {}): Promise<VaultStack> {
  if (options.childTokens !== undefined) return startPlainStack(options)
  const stack = await startPlainStack({ ...options, childTokens: true })
  const session = stack.port.session
  const provisioned = new Map<string, Promise<void>>()
  // The service calls `port.session` on this same object, so replacing the method routes every
  // session through the provisioning step first.
  stack.port.session = async (ctx, calls, fn) => {
    const agent = ctx.principal.agent
    if (isAgentPolicyNameSafe(stack.config.childToken.policyPrefix, agent)) {
      if (!provisioned.has(agent)) provisioned.set(agent, stack.provision(agent))
      await provisioned.get(agent)
    }
    return session(ctx, calls, fn)
  }
  return stack
}
