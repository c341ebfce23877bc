/** @module observability/logger tests: redaction by configuration and the error allow-list. */
import { describe, expect, it } from 'vitest'
import { createLogger, REDACTED, REDACTED_KEYS, serializeError } from './logger.js'

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

  it('redacts credential headers, cookies, bodies, tokens and secrets at any depth', () => {
    const { logger, text } = capture()
    const m = (n: number) => `MARKER-${n}-${Math.random().toString(36).slice(2)}`
    const markers = Array.from({ length: 14 }, (_, i) => m(i))
    logger.info({
      req: {
        headers: {
          authorization: markers[0],
          'x-api-key': markers[1],
          'x-vault-token': markers[2],
          cookie: markers[3],
        },
      },
      res: { headers: { 'set-cookie': markers[4] } },
      headers: { Authorization: markers[5], 'X-Vault-Token': markers[6] },
      body: { anything: markers[7] },
      a: { b: { c: { d: { plaintext: markers[8], token: markers[9] } } } },
      data: { password: markers[10] },
      client_token: markers[11],
      secret_id: markers[12],
      ciphertext: markers[13],
    })
    for (const marker of markers) expect(text()).not.toContain(marker)
    expect(text()).toContain(REDACTED)
  })

  it('logs errors by allow-list, dropping HTTP client config and response bodies', () => {
    const { logger, text } = capture()
    const vaultError = Object.assign(new Error('Request failed with status code 403'), {
      code: 'ERR_BAD_REQUEST',
      config: { headers: { 'X-Vault-Token': 'hvs.LEAK-TOKEN' }, data: '{"k":"LEAK-DATA"}' },
      response: { statusCode: 403, body: { errors: ['LEAK-BODY'] } },
      request: { path: '/v1/secret/data/LEAK-PATH' },
    })
    logger.error({ err: new Error('wrapped', { cause: vaultError }) }, 'unhandled')
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

  it('lists the header names the issue requires', () => {
    for (const key of ['authorization', 'x-api-key', 'x-vault-token', 'cookie']) {
      expect(REDACTED_KEYS).toContain(key)
    }
  })
})

describe('serializeError', () => {
  it('keeps name, code, status and nested causes, nothing else', () => {
    const inner = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    const outer = Object.assign(new Error('outer', { cause: inner }), {
      config: { data: 'secret body' },
    })
    const d = serializeError(outer) as Record<string, unknown>
    expect(d.type).toBe('Error')
    expect((d.cause as Record<string, unknown>).code).toBe('ECONNREFUSED')
    expect(JSON.stringify(d)).not.toContain('secret body')
  })

  it('cuts token-like and long opaque strings out of messages', () => {
    const d = serializeError(
      new Error(`token=abc123 and ${'A'.repeat(50)} and s.${'b'.repeat(24)}`),
    ) as { message: string }
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
