/** @module config/startup-error: a configuration that parses but cannot be used (exit 2). */

/**
 * The bridge cannot start as configured, and no retry fixes it: an operator must act (an
 * AUDIT_LOG file that cannot be opened, Vault credentials Vault rejects, unreadable TLS files).
 * The CLI prints `<what>: <message>` on one line and exits 2.
 * Security: messages name variables and files, never a secret value.
 */
export class StartupError extends Error {
  override name = 'StartupError'

  constructor(
    /** What cannot be done, as the start of the line the CLI prints (`cannot use Vault`). */
    readonly what: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
  }
}
