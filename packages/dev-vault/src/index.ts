/**
 * @module dev-vault/index: the package's entry point. Starts an in-memory server that speaks the
 * subset of Vault's HTTP API that vault-mcp-bridge uses; never part of the bridge's product.
 */
export { startDevVault, type DevVault, type DevVaultOptions } from './dev-vault.js'
export { EMULATED_VERSION } from './engines/sys/sys-health.js'
