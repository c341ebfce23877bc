/** @module observability/audit: the audit trail, one JSON line per operation and per refused request (stdout, stderr, a file, or off). */
import { accessSync, constants, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { StartupError } from '../config/startup-error.js'
import type {
  OperationEvent,
  OperationObserver,
  RefusalEvent,
  RefusalObserver,
  SecurityEvent,
  SecurityObserver,
} from '../core/ports.js'
import { createLineSink, type LineSink } from './line-sink.js'
import { serializeError, type Logger } from './logger.js'

export interface AuditTrail extends OperationObserver, SecurityObserver, RefusalObserver {
  /** Resolves once every line written so far has reached the sink. */
  flush(): Promise<void>
  /** Flushes, then closes a file sink. Later events are dropped. */
  close(): Promise<void>
}

/**
 * One audit line. Security: built field by field from the event (an allow-list), so a field
 * added to `OperationEvent` later cannot carry a value into the trail by accident. The event
 * itself holds names and version numbers only, never secret values, plaintext, ciphertext,
 * tokens or API keys.
 */
export function auditRecord(event: OperationEvent): Record<string, unknown> {
  // Optional fields are added, not spread in (this runs on every operation); the key order is
  // the line's order.
  const record = recordHead(event)
  if (event.clientRequestId !== undefined) record.clientRequestId = event.clientRequestId
  record.operation = event.operation
  if (event.target !== undefined) record.target = event.target
  if (event.version !== undefined) record.version = event.version
  record.outcome = event.outcome
  record.durationMs = event.durationMs
  record.vaultRequestIds = event.vaultRequestIds
  if (event.wrap !== undefined) record.wrap = { accessor: event.wrap.accessor, ttl: event.wrap.ttl }
  return record
}

/** The fields every audit line starts with: when, which request, who, and how they signed in. */
const recordHead = (e: OperationEvent | SecurityEvent): Record<string, unknown> => ({
  type: 'audit',
  time: e.time,
  requestId: e.requestId,
  agent: e.agent,
  authMethod: e.method,
})

/** One audit line for a security refusal; the same allow-list discipline as {@link auditRecord}. */
export function securityRecord(event: SecurityEvent): Record<string, unknown> {
  return {
    ...recordHead(event),
    event: event.event,
    reason: event.reason,
    ...(event.operation === undefined ? {} : { operation: event.operation }),
  }
}

const unopenable = (cause: unknown) =>
  new StartupError(
    'cannot write the audit trail',
    'AUDIT_LOG names a file that cannot be opened for appending; check that its directory ' +
      'exists and is writable, or set AUDIT_LOG to stdout, stderr or off.',
    { cause },
  )

/**
 * Checks, without creating or opening anything, that the audit sink `sink` (AUDIT_LOG) can be
 * opened: a keyword, a writable file, or a new file in a writable directory.
 * @throws StartupError as {@link createAuditTrail} does.
 */
export function checkAuditSink(sink: string): void {
  if (['off', 'stdout', 'stderr'].includes(sink.trim().toLowerCase())) return
  try {
    const existing = statSync(sink, { throwIfNoEntry: false })
    if (existing?.isDirectory()) throw new Error('AUDIT_LOG names a directory')
    accessSync(existing ? sink : dirname(resolve(sink)), constants.W_OK)
    if (!existing && !statSync(dirname(resolve(sink))).isDirectory()) {
      throw new Error('the parent of AUDIT_LOG is not a directory')
    }
  } catch (err) {
    throw unopenable(err)
  }
}

/**
 * One audit line for a request refused before any operation ran (`event: "refused"`, no
 * `operation`). Security: built field by field from the event, which holds no credential.
 */
export function refusalRecord(event: RefusalEvent): Record<string, unknown> {
  return {
    type: 'audit',
    event: 'refused',
    time: event.time,
    requestId: event.requestId,
    ...(event.clientRequestId === undefined ? {} : { clientRequestId: event.clientRequestId }),
    ...(event.agent === undefined ? {} : { agent: event.agent }),
    method: event.method,
    route: event.route,
    outcome: event.outcome,
    status: event.status,
    reason: event.reason,
    credential: event.credential,
    ...(event.clientAddress === undefined ? {} : { clientAddress: event.clientAddress }),
  }
}

/**
 * Creates the audit trail for `sink` (AUDIT_LOG): `stdout`, `stderr`, `off`, or a file path
 * (appended to, created with mode 0600). `stdoutReserved` is for the stdio MCP transport, whose
 * protocol owns stdout: `stdout` then writes to stderr instead, with a warning.
 *
 * Lines are written off the event loop through a bounded queue (see line-sink.ts). Security: an
 * audit line is never dropped for speed: when the sink falls behind by a whole queue, writing
 * turns synchronous until it has caught up. `close` (and process exit) flush what is queued.
 * Writing never throws into the request; a failing sink is logged once.
 * @throws StartupError when the audit file cannot be opened (checked at startup, before Vault is
 *   contacted, not on first write).
 */
export function createAuditTrail(
  sink: string,
  options: { logger: Logger; stdoutReserved?: boolean; maxQueuedBytes?: number },
): AuditTrail {
  const log = options.logger.child({ component: 'audit' })
  const keyword = sink.trim().toLowerCase()
  if (['off', 'stdout', 'stderr'].includes(keyword)) sink = keyword
  if (sink === 'off') {
    return {
      operationFinished() {},
      securityEvent() {},
      requestRefused() {},
      async flush() {},
      async close() {},
    }
  }
  if (sink === 'stdout' && options.stdoutReserved) {
    log.warn({}, 'AUDIT_LOG=stdout: stdout carries MCP here, auditing to stderr')
  }
  const dest =
    sink === 'stdout' && !options.stdoutReserved
      ? 1
      : sink === 'stdout' || sink === 'stderr'
        ? 2
        : sink
  let lines: LineSink
  try {
    lines = createLineSink({
      dest,
      overflow: 'block',
      ...(options.maxQueuedBytes ? { maxQueuedBytes: options.maxQueuedBytes } : {}),
      onError: (err) =>
        log.error(
          { err: serializeError(err) },
          'audit trail write failed; audit lines are being lost',
        ),
    })
  } catch (err) {
    throw unopenable(err)
  }
  let closed = false
  const write = (record: Record<string, unknown>) => {
    if (!closed) lines.write(`${JSON.stringify(record)}\n`)
  }
  return {
    operationFinished: (event) => write(auditRecord(event)),
    securityEvent: (event) => write(securityRecord(event)),
    requestRefused: (event) => write(refusalRecord(event)),
    flush: () => lines.flush(),
    async close() {
      if (closed) return
      closed = true
      await lines.close()
    },
  }
}
