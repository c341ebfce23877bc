/** @module cli/signals: how the long-running commands (serve, stdio, dev) wait to be stopped. */
import type { EventEmitter } from 'node:events'

/**
 * Resolves on the first SIGTERM or SIGINT. A second one during shutdown exits at once (1), for
 * an operator who does not want to wait for SHUTDOWN_TIMEOUT. `source` and `exit` are the
 * process's own unless given (tests pass an emitter, not real signals).
 */
export function untilSignal(
  source: Pick<EventEmitter, 'on' | 'off' | 'once'> = process,
  exit: (code: number) => void = (code) => process.exit(code),
): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      source.off('SIGTERM', onSignal)
      source.off('SIGINT', onSignal)
      source.once('SIGTERM', () => exit(1))
      source.once('SIGINT', () => exit(1))
      resolve(signal)
    }
    source.on('SIGTERM', onSignal)
    source.on('SIGINT', onSignal)
  })
}
