/** @module observability/logger: the logging interface the bridge codes against (pino implements it). */

/** A structured logger. Logs go to stderr, because in stdio mode stdout carries MCP. */
export interface Logger {
  fatal(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  debug(obj: object, msg?: string): void
  child(bindings: Record<string, unknown>): Logger
}
