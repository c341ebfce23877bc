/** @module observability/audit tests: JSON lines to a file, the allow-list, off, and startup failure. */
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { OperationEvent, RefusalEvent, SecurityEvent } from '../core/ports.js'
import { auditRecord, createAuditTrail } from './audit.js'
import { createLogger } from './logger.js'
import { StartupError } from '../config/startup-error.js'

const logger = createLogger({ level: 'silent' })

const event = (over: Partial<OperationEvent> = {}): OperationEvent => ({
  time: '2026-01-01T00:00:00.000Z',
  requestId: 'req-1',
  agent: 'alice',
  method: 'api_key',
  operation: 'read_secret',
  target: 'app/db',
  version: 2,
  outcome: 'ok',
  durationMs: 12,
  vaultRequestIds: ['v-1'],
  ...over,
})

describe('createAuditTrail', () => {
  it('appends one JSON line per operation to a file, created 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-'))
    const file = join(dir, 'audit.log')
    const first = createAuditTrail(file, { logger })
    first.operationFinished(event())
    first.operationFinished(event({ operation: 'write_secret', outcome: 'CAS_MISMATCH' }))
    await first.close()
    // A second trail on the same file appends.
    const second = createAuditTrail(file, { logger })
    second.operationFinished(event({ requestId: 'req-2', target: 'line\nbreak' }))
    await second.flush()
    await second.close()
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(records[0]).toEqual({
      type: 'audit',
      time: '2026-01-01T00:00:00.000Z',
      requestId: 'req-1',
      agent: 'alice',
      authMethod: 'api_key',
      operation: 'read_secret',
      target: 'app/db',
      version: 2,
      outcome: 'ok',
      durationMs: 12,
      vaultRequestIds: ['v-1'],
    })
    expect(records[1]).toMatchObject({ operation: 'write_secret', outcome: 'CAS_MISMATCH' })
    expect(records[2]).toMatchObject({ requestId: 'req-2', target: 'line\nbreak' })
    expect(statSync(file).mode & 0o777).toBe(0o600)
  })

  it('writes security refusals with their reason, and only the allow-listed fields', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-'))
    const file = join(dir, 'audit.log')
    const trail = createAuditTrail(file, { logger })
    const refusal: SecurityEvent = {
      time: '2026-01-01T00:00:00.000Z',
      requestId: 'req-9',
      agent: 'alice',
      method: 'api_key',
      event: 'request_state_refused',
      reason: 'replayed',
      operation: 'read_secret',
    }
    trail.securityEvent({ ...refusal, state: 'v1.LEAK.LEAK' } as SecurityEvent)
    await trail.close()
    const text = readFileSync(file, 'utf8')
    expect(JSON.parse(text)).toEqual({
      type: 'audit',
      time: '2026-01-01T00:00:00.000Z',
      requestId: 'req-9',
      agent: 'alice',
      authMethod: 'api_key',
      event: 'request_state_refused',
      reason: 'replayed',
      operation: 'read_secret',
    })
    expect(text).not.toContain('LEAK')
  })

  it('writes each line in one field order, optional fields only when set', () => {
    expect(JSON.stringify(auditRecord(event({ target: undefined, version: undefined })))).toBe(
      '{"type":"audit","time":"2026-01-01T00:00:00.000Z","requestId":"req-1","agent":"alice",' +
        '"authMethod":"api_key","operation":"read_secret","outcome":"ok","durationMs":12,' +
        '"vaultRequestIds":["v-1"]}',
    )
    const wrapped = { accessor: 'acc-1', ttl: 60, token: 'LEAK' } as OperationEvent['wrap']
    expect(
      JSON.stringify(
        auditRecord(event({ clientRequestId: 'c-1', version: [1, 2], wrap: wrapped })),
      ),
    ).toBe(
      '{"type":"audit","time":"2026-01-01T00:00:00.000Z","requestId":"req-1","agent":"alice",' +
        '"authMethod":"api_key","clientRequestId":"c-1","operation":"read_secret",' +
        '"target":"app/db","version":[1,2],"outcome":"ok","durationMs":12,' +
        '"vaultRequestIds":["v-1"],"wrap":{"accessor":"acc-1","ttl":60}}',
    )
  })

  it('writes only the allow-listed fields', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-'))
    const file = join(dir, 'audit.log')
    const trail = createAuditTrail(file, { logger })
    trail.operationFinished({ ...event(), data: { password: 'LEAK' } } as OperationEvent)
    await trail.close()
    expect(readFileSync(file, 'utf8')).not.toContain('LEAK')
  })

  it('drops events after close without throwing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-'))
    const file = join(dir, 'audit.log')
    const trail = createAuditTrail(file, { logger })
    await trail.close()
    expect(() => trail.operationFinished(event())).not.toThrow()
    expect(readFileSync(file, 'utf8')).toBe('')
  })

  it('is a no-op when off', async () => {
    const trail = createAuditTrail('off', { logger })
    expect(() => trail.operationFinished(event())).not.toThrow()
    await expect(trail.flush()).resolves.toBeUndefined()
  })

  it('fails at startup with a StartupError (exit 2) when the file cannot be opened', () => {
    expect(() => createAuditTrail('/nonexistent-dir/x/audit.log', { logger })).toThrow(StartupError)
  })
})

describe('refused requests', () => {
  it('get a line of their own, built from an allow-list of fields', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-'))
    const file = join(dir, 'audit.log')
    const trail = createAuditTrail(file, { logger })
    const refusal: RefusalEvent & { apiKey?: string } = {
      time: '2026-01-01T00:00:00.000Z',
      requestId: 'req-9',
      clientRequestId: 'theirs',
      method: 'GET',
      route: '/secrets/*',
      outcome: 'UNAUTHENTICATED',
      status: 401,
      reason: 'invalid_credential',
      credential: 'api_key',
      clientAddress: '127.0.0.1',
      // A field the event does not declare never reaches the trail.
      apiKey: 'never-in-the-trail',
    }
    trail.requestRefused(refusal)
    await trail.close()
    const line = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    const { apiKey: _, ...declared } = refusal
    expect(line).toEqual({ type: 'audit', event: 'refused', ...declared })
  })
})
