/** @module cli/signals: how the long-running commands (serve, stdio, dev) wait to be stopped. */

/**
 * Resolves on the first SIGTERM or SIGINT. A second one during shutdown exits at once (1), for
 * an operator who does not want to wait for SHUTDOWN_TIMEOUT.
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
      process.once('SIGTERM', () => process.exit(1))
      process.once('SIGINT', () => process.exit(1))
      resolve(signal)
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  })
}
