/** @module test/helpers/loggers: test Loggers that keep every line, or drop everything. */
import type { Logger } from '../../src/observability/logger.js'

export interface LogLine {
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug'
  obj: object
  msg?: string
}

/** A logger that keeps every line, so tests can look for warnings and for leaked secrets. */
export function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = []
  const at = (level: LogLine['level']) => (obj: object, msg?: string) =>
    void lines.push({ level, obj, msg })
  const logger: Logger = {
    fatal: at('fatal'),
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: () => logger,
  }
  return { logger, lines }
}

/** The warn-level lines among `lines`. */
export const warnLines = (lines: LogLine[]): LogLine[] => lines.filter((l) => l.level === 'warn')

/** A logger that drops everything. */
export function silentLogger(): Logger {
  const noop = () => {}
  const logger: Logger = {
    fatal: noop,
    error: noop,
    warn: noop,
    info: noop,
    debug: noop,
    child: () => logger,
  }
  return logger
}
