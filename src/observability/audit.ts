/** @module observability/audit: the audit trail, one JSON line per operation and per refused request (stdout, stderr, a file, or off). */
import { closeSync, createWriteStream, openSync, type WriteStream } from 'node:fs'
import type { Writable } from 'node:stream'
import { StartupError } from '../config/startup-error.js'
import type {
  OperationEvent,
  OperationObserver,
  RefusalEvent,
  RefusalObserver,
} from '../core/ports.js'
import type { Logger } from './logger.js'

export interface AuditTrail extends OperationObserver, RefusalObserver {
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
  return {
    type: 'audit',
    time: event.time,
    requestId: event.requestId,
    ...(event.clientRequestId === undefined ? {} : { clientRequestId: event.clientRequestId }),
    agent: event.agent,
    authMethod: event.method,
    operation: event.operation,
    ...(event.target === undefined ? {} : { target: event.target }),
    ...(event.version === undefined ? {} : { version: event.version }),
    outcome: event.outcome,
    durationMs: event.durationMs,
    vaultRequestIds: event.vaultRequestIds,
  }
}

/**
 * One audit line for a refused request (`event: "refused"`, no `operation`). Security: built
 * field by field from the event, which holds no credential.
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
 * Writing never throws into the request; a failing sink is logged once.
 * @throws StartupError when the audit file cannot be opened (checked at startup, before Vault is
 *   contacted, not on first write).
 */
export function createAuditTrail(
  sink: string,
  options: { logger: Logger; stdoutReserved?: boolean },
): AuditTrail {
  const log = options.logger.child({ component: 'audit' })
  const keyword = sink.trim().toLowerCase()
  if (['off', 'stdout', 'stderr'].includes(keyword)) sink = keyword
  if (sink === 'off') {
    return { operationFinished() {}, requestRefused() {}, async flush() {}, async close() {} }
  }
  let stream: Writable
  let file: WriteStream | undefined
  if (sink === 'stdout' && !options.stdoutReserved) stream = process.stdout
  else if (sink === 'stdout' || sink === 'stderr') {
    if (sink === 'stdout')
      log.warn({}, 'AUDIT_LOG=stdout: stdout carries MCP here, auditing to stderr')
    stream = process.stderr
  } else {
    let fd: number
    try {
      fd = openSync(sink, 'a', 0o600)
    } catch (err) {
      throw new StartupError(
        'cannot write the audit trail',
        'AUDIT_LOG names a file that cannot be opened for appending; check that its directory ' +
          'exists and is writable, or set AUDIT_LOG to stdout, stderr or off.',
        { cause: err },
      )
    }
    try {
      file = createWriteStream(sink, { fd, flags: 'a' })
    } catch (err) {
      closeSync(fd)
      throw err
    }
    stream = file
  }

  let failed = false
  let closed = false
  stream.on('error', (err) => {
    if (failed) return
    failed = true
    log.error({ err }, 'audit trail write failed; audit lines are being lost')
  })

  // Writes are ordered, so the callback of an empty write runs once every earlier line is out.
  const drained = () =>
    new Promise<void>((resolve) => {
      if (stream.destroyed || stream.writableEnded) return resolve()
      stream.write('', () => resolve())
    })

  const writeLine = (record: Record<string, unknown>) => {
    if (closed || stream.destroyed) return
    try {
      stream.write(`${JSON.stringify(record)}\n`)
    } catch (err) {
      if (!failed) log.error({ err }, 'audit trail write failed')
      failed = true
    }
  }

  return {
    operationFinished: (event) => writeLine(auditRecord(event)),
    requestRefused: (event) => writeLine(refusalRecord(event)),
    flush: drained,
    async close() {
      if (closed) return
      closed = true
      await drained()
      if (file) {
        const f = file
        await new Promise<void>((resolve) => f.end(() => resolve()))
      }
    },
  }
}
