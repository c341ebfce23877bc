/** @module observability/logger: the logging interface the bridge codes against, and its pino implementation. */
import { pino, type DestinationStream, type Level } from 'pino'

/** A structured logger. Logs go to stderr, because in stdio mode stdout carries MCP. */
export interface Logger {
  fatal(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  debug(obj: object, msg?: string): void
  child(bindings: Record<string, unknown>): Logger
}

export type LogLevel = Level | 'silent'

/** What is written where: a pino destination stream, or anything with `write(line)`. */
export type LogDestination = DestinationStream

/**
 * Field names whose values never reach a log line, wherever they sit (up to {@link REDACT_DEPTH}
 * levels deep). Header names appear in both spellings because redaction is case-sensitive.
 */
export const REDACTED_KEYS = [
  // credentials in headers (ours, Vault's, and a browser's)
  'authorization',
  'Authorization',
  'x-api-key',
  'X-API-Key',
  'X-Api-Key',
  'x-vault-token',
  'X-Vault-Token',
  'cookie',
  'Cookie',
  'set-cookie',
  'Set-Cookie',
  'proxy-authorization',
  'Proxy-Authorization',
  // tokens, keys and secrets under their usual names
  'token',
  'client_token',
  'clientToken',
  'accessor',
  'access_token',
  'accessToken',
  'refresh_token',
  'id_token',
  'apiKey',
  'api_key',
  'password',
  'secret',
  'secret_id',
  'secretId',
  'hs256Secret',
  // bodies and the values in them
  'body',
  'rawBody',
  'requestBody',
  'responseBody',
  'data',
  'plaintext',
  'ciphertext',
  'batch_input',
  'batch_results',
  'context',
  'value',
  'values',
] as const

/** How deep below the log object's top level a redacted key is still found. */
export const REDACT_DEPTH = 5

/** What stands in for a value that must not be shown: in logs, debug echoes and MCP's redact mode. */
export const REDACTED = '[redacted]'

// fast-redact wildcards match one level each, so each key is listed at every depth; `["k"]`
// quoting keeps names with dashes valid paths.
const redactPaths = (): string[] => {
  const paths: string[] = []
  for (const key of REDACTED_KEYS) {
    const leaf = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`
    for (let depth = 0; depth <= REDACT_DEPTH; depth++) {
      const prefix = '*.'.repeat(depth)
      paths.push(leaf.startsWith('[') ? prefix.slice(0, -1) + leaf : prefix + leaf)
    }
  }
  return paths
}

/** What serializeError made, so that serialising it again (the logger's turn) keeps it. */
const serialized = new WeakSet<object>()

/**
 * The one safe form of an error for the logs: the logger's `err` serializer, and what the REST
 * error handler and the MCP tool wrapper log for an INTERNAL cause.
 *
 * Security: HTTP client errors (axios, which node-vault uses) carry the request config with the
 * `X-Vault-Token` header and the response body with Vault's raw text; copying an error's fields
 * would log them. Only the name, code, HTTP status, a bounded message with token-like strings
 * cut out, and a few stack frames survive, recursively through `cause` (bounded). A value that
 * is not an error is logged as its type only (strings and numbers as a redacted message).
 */
export function serializeError(err: unknown, depth = 0): unknown {
  if (typeof err === 'object' && err !== null && serialized.has(err)) return err
  let out: Record<string, unknown>
  if (err instanceof Error) {
    const e = err as Error & {
      code?: unknown
      status?: unknown
      statusCode?: unknown
      response?: { status?: unknown; statusCode?: unknown }
    }
    out = { type: e.name, message: redactMessage(e.message) }
    if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code
    const status = e.response?.statusCode ?? e.response?.status ?? e.statusCode ?? e.status
    if (typeof status === 'number') out.status = status
    if (e.stack) out.stack = e.stack.split('\n').slice(1, 8).join('\n')
    if (e.cause !== undefined && depth < 3) out.cause = serializeError(e.cause, depth + 1)
  } else if (typeof err === 'string' || typeof err === 'number') {
    out = { message: redactMessage(String(err)) }
  } else {
    out = { type: err === null ? 'null' : typeof err }
  }
  serialized.add(out)
  return out
}

// Security: messages of library errors sometimes quote what they were given; tokens and long
// opaque strings are cut out so that the log cannot carry a credential.
const redactMessage = (message: string): string =>
  message
    .slice(0, 300)
    .replace(/\b(hv[sbr]\.[A-Za-z0-9_-]+|s\.[A-Za-z0-9]{20,})/g, REDACTED)
    .replace(/(bearer|token|key|secret|password)(["'=:\s]+)\S+/gi, `$1$2${REDACTED}`)
    .replace(/[A-Za-z0-9+/_=-]{40,}/g, REDACTED)

/**
 * Creates the bridge's logger: JSON lines on stderr (fd 2) unless `destination` is given.
 * Redaction is configuration, not care: every key in {@link REDACTED_KEYS} is censored at any
 * depth up to {@link REDACT_DEPTH}, and errors (`err`, `error`, `cause`) go through
 * {@link serializeError}.
 */
export function createLogger(options: { level: LogLevel; destination?: LogDestination }): Logger {
  const destination = options.destination ?? pino.destination({ fd: 2, sync: true })
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths(), censor: REDACTED },
      serializers: { err: serializeError, error: serializeError, cause: serializeError },
    },
    destination,
  )
}
