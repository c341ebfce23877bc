/** @module observability/logger: the logging interface the bridge codes against, and its pino implementation. */
import { pino, type DestinationStream, type Level } from 'pino'
import { createLineSink } from './line-sink.js'

/**
 * A structured logger. Logs go to stderr, because in stdio mode stdout carries MCP.
 *
 * Security: a record is built from {@link LogFields}, flat facts whose names are never those
 * of a credential, a body or a value (checked by the compiler), and errors enter only as
 * {@link serializeError} made them. So no record can hold a secret, and nothing has to search
 * each record for one at run time.
 */
export interface Logger {
  fatal(fields: LogFields, msg?: string): void
  error(fields: LogFields, msg?: string): void
  warn(fields: LogFields, msg?: string): void
  info(fields: LogFields, msg?: string): void
  debug(fields: LogFields, msg?: string): void
  child(bindings: LogFields): Logger
}

export type LogLevel = Level | 'silent'

/** What is written where: a line sink, or anything with `write(line)` (tests). */
export type LogDestination = DestinationStream

/**
 * Field names a log record never has, at any level of it: credentials in headers (ours, Vault's
 * and a browser's), tokens, keys and secrets under their usual names, bodies and the values in
 * them, and the objects that carry such things (headers, HTTP client configs, requests and
 * responses). Header names appear in both spellings because names are case-sensitive.
 */
export const SECRET_FIELD_NAMES = [
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
  'headers',
  'config',
  'req',
  'res',
  'request',
  'response',
] as const

export type SecretFieldName = (typeof SECRET_FIELD_NAMES)[number]

type Scalar = string | number | boolean | null | undefined
type NoSecretNames = { readonly [K in SecretFieldName]?: never }

/** One flat record of facts (Vault's status and error strings, say): scalars or lists of them. */
export type FlatRecord = { readonly [key: string]: Scalar | readonly Scalar[] } & NoSecretNames

/** An error in the only form a log takes it: what {@link serializeError} returns. */
export interface SerializedError {
  readonly [serializedBrand]: true
}
declare const serializedBrand: unique symbol

/** What one log field holds. */
export type LogValue = Scalar | readonly Scalar[] | FlatRecord | SerializedError

/** The fields of one log record (see {@link Logger}). */
export type LogFields = { readonly [key: string]: LogValue } & NoSecretNames

/** What stands in for a value that must not be shown: in debug echoes and MCP's redact mode. */
export const REDACTED = '[redacted]'

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
export function serializeError(err: unknown, depth = 0): SerializedError {
  if (typeof err === 'object' && err !== null && serialized.has(err)) return err as SerializedError
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
  return out as unknown as SerializedError
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
 * Creates the bridge's logger: JSON lines on stderr (fd 2), written asynchronously through a
 * bounded queue (lines beyond it are dropped rather than memory growing), unless `destination`
 * is given. `err`, `error` and `cause` fields go through {@link serializeError} once more, for
 * callers outside the type checker.
 */
export function createLogger(options: { level: LogLevel; destination?: LogDestination }): Logger {
  const destination =
    options.destination ?? createLineSink({ dest: 2, overflow: 'drop', onDrop: countDropped })
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError, error: serializeError, cause: serializeError },
    },
    destination,
  ) as unknown as Logger
}

let dropped = 0
const countDropped = () => {
  dropped += 1
}

/** Log lines dropped so far because stderr could not keep up (its queue was full). */
export const droppedLogLines = (): number => dropped

/**
 * `parent.child(bindings)`, made only when the first line is logged through it (or a child of
 * it). Per-request loggers use it: most requests log nothing but their one request line, which
 * the root logger writes.
 */
export function deferredChild(parent: Logger, bindings: LogFields): Logger {
  return deferred(() => parent.child(bindings))
}

function deferred(make: () => Logger): Logger {
  let made: Logger | undefined
  const real = () => (made ??= make())
  return {
    fatal: (fields, msg) => real().fatal(fields, msg),
    error: (fields, msg) => real().error(fields, msg),
    warn: (fields, msg) => real().warn(fields, msg),
    info: (fields, msg) => real().info(fields, msg),
    debug: (fields, msg) => real().debug(fields, msg),
    child: (more) => deferred(() => real().child(more)),
  }
}
