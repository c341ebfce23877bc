/**
 * @module test/security/hygiene: issue 12 item 11. A caller's X-Request-Id is never the key of
 * the audit trail; /echo-headers echoes an allow-list; refused requests reach the audit trail
 * with a reason and without their credential; a client that goes away mid-request is not an
 * "unhandled error". Over real HTTP (and a raw socket) to a bridge on the dev vault.
 */
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomKey, send, startBridge, type Bridge } from '../helpers/bridge-process.js'

const key = randomKey('agent-a')
let bridge: Bridge

/** Waits (bounded) until `check` holds for what the bridge wrote so far. */
const eventually = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50))
  if (!check()) throw new Error(`never saw ${what}`)
}

beforeAll(async () => {
  bridge = await startBridge({
    API_KEYS_JSON: JSON.stringify({ [key]: 'agent_a' }),
    DEBUG_ENDPOINTS: 'true',
    AUTH_FAILURE_LIMIT: '3',
    AUDIT_LOG: 'stdout',
    LOG_LEVEL: 'debug',
  })
}, 120_000)

afterAll(async () => {
  await bridge?.stop()
})

describe('request ids, debug echo, refusals and aborts', () => {
  it("a caller's X-Request-Id does not become the audit key", async () => {
    const r = await send(bridge.url, '/secrets/victim/path', {
      headers: { 'x-api-key': key, 'x-request-id': 'victim-request-id' },
    })
    expect(r.status).toBe(404)
    expect(r.headers['x-request-id']).not.toBe('victim-request-id')
    const line = () => bridge.audit().find((l) => l.target === 'victim/path')
    await eventually(() => line() !== undefined, 'the audit line')
    expect(line()).toMatchObject({
      requestId: r.headers['x-request-id'],
      clientRequestId: 'victim-request-id',
    })
  })

  it('/echo-headers does not echo credential-like headers', async () => {
    const r = await send(bridge.url, '/echo-headers', {
      headers: {
        'x-api-key': key,
        'private-key': 'pk-secret-value-1',
        'x-client-key': 'ck-secret-value-2',
        'x-mtls-proxy-secret': 'ps-secret-value-3',
        'user-agent': 'hygiene-test',
      },
    })
    expect(r.status).toBe(200)
    expect(r.json.headers['user-agent']).toBe('hygiene-test')
    expect(Object.keys(r.json.headers)).toEqual(
      expect.arrayContaining(['private-key', 'x-client-key']),
    )
    expect(r.text).not.toMatch(/secret-value|agent-a-/)
  })

  it('a client that goes away mid-request is not logged as an unhandled error', async () => {
    await new Promise<void>((resolve, reject) => {
      const socket = connect(bridge.port, '127.0.0.1', () => {
        socket.write(
          `PUT /secrets/aborted HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${key}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"data":',
        )
        // Gone before the body is complete, once the bridge is reading it.
        setTimeout(() => {
          socket.destroy()
          resolve()
        }, 200)
      })
      socket.on('error', reject)
    })
    const requestLine = () =>
      bridge
        .logs()
        .find((l) => l.msg === 'request' && l.route === '/secrets/*' && l.method === 'PUT')
    await eventually(() => requestLine() !== undefined, 'the request line')
    const bad = bridge.logs().filter((l) => l.level === 'error' || l.msg === 'unhandled error')
    expect(bad).toEqual([])
    expect(requestLine()?.level).toBe('info')
  })

  it('refused requests reach the audit trail without their credential', async () => {
    const guessed = randomKey('guessed')
    await send(bridge.url, '/secrets/x')
    for (let i = 0; i < 4; i++) {
      await send(bridge.url, '/secrets/x', { headers: { 'x-api-key': guessed } })
    }
    await send(bridge.url, '/secrets/x', {
      headers: { 'x-api-key': key, origin: 'https://evil.example' },
    })
    const reasons = () =>
      bridge
        .audit()
        .filter((l) => l.event === 'refused')
        .map((l) => l.reason)
    await eventually(() => reasons().includes('origin_not_allowed'), 'the refusals')
    expect(reasons()).toEqual(
      expect.arrayContaining([
        'invalid_credential',
        'auth_failure_limit',
        'no_credential',
        'origin_not_allowed',
      ]),
    )
    const refusal = bridge.audit().find((l) => l.reason === 'invalid_credential')
    expect(refusal).toMatchObject({
      outcome: 'UNAUTHENTICATED',
      status: 401,
      credential: 'api_key',
      route: '/secrets/*',
    })
    const everything = bridge.process.output()
    expect(everything).not.toContain(guessed)
    expect(everything).not.toContain(key)
  })
})
