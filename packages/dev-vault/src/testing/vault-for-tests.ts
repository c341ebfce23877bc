/**
 * @module dev-vault/testing/vault-for-tests: the Vault a test talks to: a real Vault when
 * `VAULT_ADDR` and `VAULT_TOKEN` are set, else a dev vault in this process. Exported as
 * `@vault-mcp-bridge/dev-vault/testing` for the contract suite and the bridge's own tests.
 */
import { randomBytes } from 'node:crypto'
import nodeVault from 'node-vault'
import { startDevVault } from '../dev-vault.js'

/** A Vault reachable over HTTP, with a root token (policy `root`; `vault server -dev` prints one). */
export interface TestVault {
  /** Base address without `/v1`, e.g. `http://127.0.0.1:41234`. */
  url: string
  rootToken: string
  /** True when the tests run against a real Vault (VAULT_ADDR and VAULT_TOKEN set). */
  real: boolean
  /** Stops the dev vault this call started; a real Vault is left running. */
  close(): Promise<void>
}

/**
 * A real Vault when `VAULT_ADDR` and `VAULT_TOKEN` are set, otherwise a dev vault started in
 * this process on 127.0.0.1, port 0. `close()` stops only what this call started.
 */
export async function vaultForTests(): Promise<TestVault> {
  const addr = process.env.VAULT_ADDR
  const token = process.env.VAULT_TOKEN
  if (addr && token) {
    return { url: addr.replace(/\/+$/, ''), rootToken: token, real: true, close: async () => {} }
  }
  const dev = await startDevVault({ port: 0 })
  return { url: dev.url, rootToken: dev.rootToken, real: false, close: () => dev.close() }
}

const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`
let counter = 0

/** A lower-case name unique to this run and call: `<prefix>-<run id>-<n>` (safe on a shared Vault). */
export function uniqueName(prefix: string): string {
  counter += 1
  return `${prefix}-${runId}-${counter}`
}

/** A node-vault client for `vault` with `token` (root by default). */
export function clientFor(vault: TestVault, token: string = vault.rootToken): nodeVault.client {
  const client = nodeVault({ endpoint: vault.url, token })
  // node-vault falls back to process.env.VAULT_TOKEN for an empty token; '' must mean "none".
  client.token = token
  return client
}
