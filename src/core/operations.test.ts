/**
 * @module core/operations tests: the runner holds every operation to its output schema, for
 * both adapters (REST in http/operation-routes.test.ts, MCP in mcp/operation-tools.test.ts).
 */
import { describe, expect, it } from 'vitest'
import { AppError } from './errors.js'
import type { CallContext } from './identity.js'
import { createOperationRunner, readSecret } from './operations.js'
import type { OperationEvent } from './ports.js'
import type { SecretsService } from './secrets-service.js'

const META = {
  version: 1,
  created_time: '2026-01-01T00:00:00Z',
  deletion_time: '',
  destroyed: false,
  custom_metadata: null,
}

const ctx: CallContext = {
  principal: { agent: 'alice', scopes: ['read'], method: 'api_key' },
  requestId: 'r-1',
}

/** A runner over a service whose read_secret answers `out`. */
function runnerAnswering(out: unknown) {
  const events: OperationEvent[] = []
  const service = { readSecret: async () => out } as unknown as SecretsService
  const runner = createOperationRunner({
    service,
    observer: { operationFinished: (e) => void events.push(e) },
  })
  return { runner, events }
}

describe('the runner and output schemas', () => {
  it('passes on only what the output schema declares', async () => {
    const { runner } = runnerAnswering({
      path: 'app/db',
      data: { user: 'u' },
      metadata: { ...META, vault_internal: 'x' },
      internal: 'mcp/alice/app/db',
    })
    const out = await runner.run(readSecret, ctx, { path: 'app/db' })
    expect(out).toEqual({ path: 'app/db', data: { user: 'u' }, metadata: META })
  })

  it('turns an output that breaks the schema into INTERNAL, audited as such', async () => {
    const { runner, events } = runnerAnswering({ path: 'app/db', data: { user: 'u' } })
    const err = await runner.run(readSecret, ctx, { path: 'app/db' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).code).toBe('INTERNAL')
    expect(events.map((e) => e.outcome)).toEqual(['INTERNAL'])
  })
})
