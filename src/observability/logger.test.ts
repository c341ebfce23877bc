/** @module observability/logger tests: records that cannot hold a secret, and the error allow-list. */
import { describe, expect, it } from 'vitest'
import {
  createLogger,
  deferredChild,
  REDACTED,
  SECRET_FIELD_NAMES,
  serializeError,
  type Logger,
} from './logger.js'

const capture = () => {
  const lines: string[] = []
  const logger = createLogger({
    level: 'debug',
    destination: { write: (s: string) => lines.push(s) },
  })
  return { logger, text: () => lines.join(''), lines }
}

describe('createLogger', () => {
  it('writes one JSON line per call with level and message', () => {
    const { logger, lines } = capture()
    logger.child({ requestId: 'r-1' }).info({ route: '/v1/x' }, 'request')
    expect(lines).toHaveLength(1)
    const line = JSON.parse(lines[0] as string) as Record<string, unknown>
    expect(line).toMatchObject({ level: 'info', requestId: 'r-1', route: '/v1/x', msg: 'request' })
  })

  it('respects the level', () => {
    const lines: string[] = []
    const logger = createLogger({
      level: 'warn',
      destination: { write: (s: string) => lines.push(s) },
    })
    logger.info({}, 'hidden')
    logger.warn({}, 'shown')
    expect(lines).toHaveLength(1)
  })

  it('takes no field named like a credential, body or value, and no raw error (compile time)', () => {
    const { logger, lines } = capture()
    // Each line below is a type error; `npm run typecheck` fails if one of them compiles.
    const attempts = (log: Logger, err: unknown) => {
      // @ts-expect-error a credential header
      log.info({ authorization: 'Bearer x' })
      // @ts-expect-error Vault's token header, in a nested record
      log.info({ vault: { 'X-Vault-Token': 'hvs.x' } })
      // @ts-expect-error headers are a container of credentials
      log.info({ headers: { accept: 'json' } })
      // @ts-expect-error a body
      log.warn({ body: '{}' })
      // @ts-expect-error secret values
      log.error({ data: 'x', plaintext: 'y' })
      // @ts-expect-error objects deeper than one flat record
      log.info({ a: { b: { c: 'x' } } })
      // @ts-expect-error a raw error carries the HTTP client's request config
      log.error({ err })
      // @ts-expect-error bindings follow the same rules
      log.child({ token: 't' })
      log.error({ err: serializeError(err), vault: { status: 403, errors: ['denied'] } })
    }
    attempts(logger, new Error('x'))
    expect(lines).toHaveLength(8)
  })

  it('logs errors by allow-list, dropping HTTP client config and response bodies', () => {
    const { logger, text } = capture()
    const vaultError = Object.assign(new Error('Request failed with status code 403'), {
      code: 'ERR_BAD_REQUEST',
      config: { headers: { 'X-Vault-Token': 'hvs.LEAK-TOKEN' }, data: '{"k":"LEAK-DATA"}' },
      response: { statusCode: 403, body: { errors: ['LEAK-BODY'] } },
      request: { path: '/v1/secret/data/LEAK-PATH' },
    })
    logger.error({ err: serializeError(new Error('wrapped', { cause: vaultError })) }, 'unhandled')
    const out = text()
    for (const leak of ['LEAK-TOKEN', 'LEAK-DATA', 'LEAK-BODY', 'LEAK-PATH']) {
      expect(out).not.toContain(leak)
    }
    const line = JSON.parse(out) as {
      err: { message: string; cause: { status: number; code: string } }
    }
    expect(line.err.message).toBe('wrapped')
    expect(line.err.cause).toMatchObject({ status: 403, code: 'ERR_BAD_REQUEST' })
  })

  it('serializes an error that reaches it raw (a caller outside the type checker)', () => {
    const { logger, text } = capture()
    const raw = Object.assign(new Error('boom'), {
      config: { headers: { 'X-Vault-Token': 'hvs.RAW-LEAK' } },
    })
    logger.error({ err: raw as never }, 'unhandled')
    expect(text()).not.toContain('RAW-LEAK')
    expect(JSON.parse(text())).toMatchObject({ err: { type: 'Error', message: 'boom' } })
  })

  it('names the credential headers the issue lists among the forbidden fields', () => {
    for (const key of ['authorization', 'x-api-key', 'x-vault-token', 'cookie', 'headers']) {
      expect(SECRET_FIELD_NAMES).toContain(key)
    }
  })
})

const noop = () => {}

/** A parent whose children `logger` makes, and how many it made. */
const countingParent = (logger: Logger) => {
  let made = 0
  const child = (b: Parameters<Logger['child']>[0]) => {
    made += 1
    return logger.child(b)
  }
  const counting: Logger = { fatal: noop, error: noop, warn: noop, info: noop, debug: noop, child }
  return { counting, made: () => made }
}

describe('deferredChild', () => {
  it('makes the child on the first line only, with the bindings of every level', () => {
    const { logger, lines } = capture()
    const { counting, made } = countingParent(logger)
    const quiet = deferredChild(counting, { requestId: 'r-1' }).child({ agent: 'a' })
    expect(made()).toBe(0)
    const log = deferredChild(counting, { requestId: 'r-2' }).child({ agent: 'b' })
    log.info({ route: '/x' }, 'one')
    log.warn({}, 'two')
    expect(made()).toBe(1)
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      expect.objectContaining({ requestId: 'r-2', agent: 'b', route: '/x', msg: 'one' }),
      expect.objectContaining({ requestId: 'r-2', agent: 'b', msg: 'two' }),
    ])
    expect(quiet).toBeDefined()
  })

  it('keeps the bindings of each child apart, and makes each level of child once', () => {
    const { logger, lines } = capture()
    const { counting, made } = countingParent(logger)
    const request = deferredChild(counting, { requestId: 'r-3' })
    const agentA = request.child({ agent: 'a' })
    const agentB = request.child({ agent: 'b' })
    agentA.error({}, 'a1')
    agentB.fatal({}, 'b1')
    request.info({}, 'r1')
    expect(made()).toBe(1)
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ requestId: 'r-3', agent: 'a', msg: 'a1', level: 'error' }),
      expect.objectContaining({ requestId: 'r-3', agent: 'b', msg: 'b1', level: 'fatal' }),
      expect.objectContaining({ requestId: 'r-3', msg: 'r1', level: 'info' }),
    ])
    expect(JSON.parse(lines[2] as string)).not.toHaveProperty('agent')
  })
})

describe('serializeError', () => {
  it('keeps name, code, status and nested causes, nothing else', () => {
    const inner = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    const outer = Object.assign(new Error('outer', { cause: inner }), {
      config: { data: 'secret body' },
    })
    const d = serializeError(outer) as unknown as Record<string, unknown>
    expect(d.type).toBe('Error')
    expect((d.cause as Record<string, unknown>).code).toBe('ECONNREFUSED')
    expect(JSON.stringify(d)).not.toContain('secret body')
  })

  it('cuts token-like and long opaque strings out of messages', () => {
    const d = serializeError(
      new Error(`token=abc123 and ${'A'.repeat(50)} and s.${'b'.repeat(24)}`),
    ) as unknown as { message: string }
    expect(d.message).not.toContain('abc123')
    expect(d.message).not.toContain('A'.repeat(50))
    expect(d.message).not.toContain('b'.repeat(24))
  })

  it('keeps what it made as it is (the logger serializes again), and reduces other values to their type', () => {
    const once = serializeError(new Error('x'))
    expect(serializeError(once)).toBe(once)
    expect(serializeError({ headers: { 'x-vault-token': 'hvs.LEAK' } })).toEqual({ type: 'object' })
    expect(serializeError('token: hvs.LEAK-ME')).toEqual({ message: `token: ${REDACTED}` })
  })
})
