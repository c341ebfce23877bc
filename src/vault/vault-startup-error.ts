/** @module vault/vault-startup-error: why the bridge cannot use Vault at all (serve exits 2). */
import { StartupError } from '../config/startup-error.js'

/** Why Vault access cannot start; each reason needs an operator, not a retry. */
export type VaultStartupReason =
  | 'no_credentials'
  | 'token_invalid'
  | 'approle_rejected'
  | 'tls_files'
  | 'policy_prefix'
  /** VAULT_ADDR cannot be right: unknown host, wrong scheme, a `/v1` path. */
  | 'vault_address'
  /** The TLS handshake with Vault fails on certificates (VAULT_CACERT, VAULT_CLIENT_*). */
  | 'vault_tls'

/**
 * Vault access is misconfigured in a way no retry fixes: no credentials, a token Vault rejects,
 * AppRole credentials Vault rejects, TLS files that cannot be read, a child-token policy prefix
 * Vault would change, a VAULT_ADDR that cannot be right, or a certificate that cannot be
 * verified. The CLI prints `cannot use Vault: <message>` and exits 2.
 * Security: the message names variables and files, never a token or secret id.
 */
export class VaultStartupError extends StartupError {
  override name = 'VaultStartupError'

  constructor(
    readonly reason: VaultStartupReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('cannot use Vault', message, options)
  }
}
