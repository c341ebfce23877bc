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

const CENSOR = '[REDACTED]'

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

/**
 * Errors are logged by an allow-list of fields. Security: HTTP client errors (axios, which
 * node-vault uses) carry the request config with the `X-Vault-Token` header and the response body
 * with Vault's raw text; copying an error's enumerable fields would log them. Only name, message,
 * code, status and stack survive, recursively through `cause` (bounded).
 */
export function serializeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) {
    return typeof err === 'string' || typeof err === 'number' ? { message: String(err) } : err
  }
  const e = err as Error & { code?: unknown; status?: unknown; statusCode?: unknown }
  const status =
    typeof e.status === 'number'
      ? e.status
      : typeof e.statusCode === 'number'
        ? e.statusCode
        : (e as { response?: { status?: unknown; statusCode?: unknown } }).response?.statusCode
  const out: Record<string, unknown> = { type: e.name, message: e.message }
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code
  if (typeof status === 'number') out.status = status
  if (e.stack) out.stack = e.stack
  if (e.cause !== undefined && depth < 4) out.cause = serializeError(e.cause, depth + 1)
  return out
}

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
      redact: { paths: redactPaths(), censor: CENSOR },
      serializers: { err: serializeError, error: serializeError, cause: serializeError },
    },
    destination,
  )
}
