/** @module http/error-response tests: status per code, headers, HTTPException mapping, log redaction. */
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { describe, expect, it } from 'vitest'
import { AppError, ERROR_SPEC, type ErrorCode } from '../core/errors.js'
import type { Logger } from '../observability/logger.js'
import type { AppEnv } from './context.js'
import { createErrorHandler, toAppError } from './error-response.js'

interface Line {
  obj: object
  msg?: string
}

function recordingLogger(lines: Line[]): Logger {
  const log = (obj: object, msg?: string) => void lines.push({ obj, msg })
  const logger: Logger = {
    fatal: log,
    error: log,
    warn: log,
    info: log,
    debug: log,
    child: () => logger,
  }
  return logger
}

function appThrowing(err: unknown, lines: Line[] = [], challenge?: (e: AppError) => string) {
  const app = new Hono<AppEnv>()
  app.onError(createErrorHandler({ logger: recordingLogger(lines), challenge }))
  app.get('/', () => {
    throw err
  })
  return app
}

describe('renderError', () => {
  it.each(Object.keys(ERROR_SPEC) as ErrorCode[])('%s gets its ERROR_SPEC status', async (code) => {
    const res = await appThrowing(new AppError(code, 'safe message')).request('/')
    expect(res.status).toBe(ERROR_SPEC[code].status)
    expect(await res.json()).toEqual({ error: { code, message: 'safe message' } })
  })

  it('sets Retry-After from details, rounded up', async () => {
    const err = new AppError('RATE_LIMITED', 'slow down', { details: { retryAfterSeconds: 2.2 } })
    const res = await appThrowing(err).request('/')
    expect(res.headers.get('Retry-After')).toBe('3')
  })

  it('asks the challenge builder for WWW-Authenticate on 401 and 403 only', async () => {
    const challenge = (e: AppError) => `Bearer code="${e.code}"`
    const r401 = await appThrowing(new AppError('UNAUTHENTICATED', 'x'), [], challenge).request('/')
    expect(r401.headers.get('WWW-Authenticate')).toBe('Bearer code="UNAUTHENTICATED"')
    const r403 = await appThrowing(new AppError('FORBIDDEN', 'x'), [], challenge).request('/')
    expect(r403.headers.get('WWW-Authenticate')).toBe('Bearer code="FORBIDDEN"')
    const r404 = await appThrowing(new AppError('NOT_FOUND', 'x'), [], challenge).request('/')
    expect(r404.headers.get('WWW-Authenticate')).toBeNull()
  })

  it('renders an unknown error as INTERNAL and logs a redacted summary of its cause', async () => {
    const lines: Line[] = []
    const cause = Object.assign(new Error('request failed with X-Vault-Token hvs.ABCDEF123456'), {
      config: { headers: { 'X-Vault-Token': 'hvs.ABCDEF123456' } },
      response: { statusCode: 502, body: { data: { password: 'plaintext-secret' } } },
    })
    const res = await appThrowing(cause, lines).request('/')
    expect(res.status).toBe(500)
    const body = await res.text()
    expect(JSON.parse(body).error.code).toBe('INTERNAL')
    expect(body).not.toContain('hvs.')
    expect(lines).toHaveLength(1)
    const logged = JSON.stringify(lines[0])
    expect(logged).toContain('"status":502')
    expect(logged).not.toContain('hvs.ABCDEF123456')
    expect(logged).not.toContain('plaintext-secret')
  })

  it("maps Hono's HTTPException by status", async () => {
    const res = await appThrowing(new HTTPException(413)).request('/')
    expect(res.status).toBe(413)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE')
    expect(toAppError(new HTTPException(400)).code).toBe('INVALID_INPUT')
    expect(toAppError(new HTTPException(418)).code).toBe('INTERNAL')
  })
})
