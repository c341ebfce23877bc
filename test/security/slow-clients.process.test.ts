/**
 * @module test/security/slow-clients: issue 12 item 9. Clients that trickle their headers or a
 * declared body, or idle on a keep-alive connection, are cut off after the configured timeouts,
 * and connections beyond the cap are closed at once; the bridge keeps answering meanwhile. Real
 * sockets on loopback, small configured timeouts, every wait bounded by a deadline.
 */
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomKey, send, startBridge, type Bridge } from '../helpers/bridge-process.js'

const key = randomKey('agent-a')
let timed: Bridge
let capped: Bridge

beforeAll(async () => {
  const common = {
    API_KEYS_JSON: JSON.stringify({ [key]: 'agent_a' }),
    AUDIT_LOG: 'off',
    LOG_LEVEL: 'warn',
  }
  ;[timed, capped] = await Promise.all([
    startBridge({
      ...common,
      HTTP_HEADERS_TIMEOUT: '1s',
      HTTP_REQUEST_TIMEOUT: '2s',
      HTTP_KEEP_ALIVE_TIMEOUT: '1s',
    }),
    startBridge({ ...common, HTTP_MAX_CONNECTIONS: '5' }),
  ])
}, 120_000)

afterAll(async () => {
  await Promise.all([timed?.stop(), capped?.stop()])
})

interface Tracked {
  socket: Socket
  /** ms after opening when the server closed it; undefined while open. */
  closedAfter?: number
  received: string
}

/** Opens a raw TCP connection to the bridge and records when it closes. */
const open = (b: Bridge): Promise<Tracked> =>
  new Promise((resolve, reject) => {
    const started = Date.now()
    const socket = connect(b.port, '127.0.0.1')
    const t: Tracked = { socket, received: '' }
    socket.on('data', (d) => (t.received += d))
    socket.on('close', () => (t.closedAfter = Date.now() - started))
    socket.on('error', () => undefined)
    socket.once('connect', () => resolve(t))
    socket.once('error', reject)
  })

/** Writes `text` one byte every `everyMs` until the socket closes or `text` runs out. */
const trickle = (t: Tracked, text: string, everyMs: number) => {
  let i = 0
  const timer = setInterval(() => {
    if (t.closedAfter !== undefined || i >= text.length) return clearInterval(timer)
    t.socket.write(text[i++] as string)
  }, everyMs)
  return timer
}

/** Resolves once every socket closed, or after `deadlineMs` (whatever is still open stays open). */
const closedWithin = async (sockets: Tracked[], deadlineMs: number) => {
  const until = Date.now() + deadlineMs
  while (Date.now() < until && sockets.some((t) => t.closedAfter === undefined)) {
    await new Promise((r) => setTimeout(r, 50))
  }
  return sockets.filter((t) => t.closedAfter === undefined).length
}

const healthy = async (b: Bridge) => (await send(b.url, '/healthz')).status === 200

describe('slow and idle clients', () => {
  it('clients trickling a declared 1 MB body are cut off', async () => {
    const sockets = await Promise.all(Array.from({ length: 30 }, () => open(timed)))
    const head =
      `PUT /secrets/slow/body HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${key}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"data":{"x":"'
    for (const t of sockets) t.socket.write(head)
    const timers = sockets.map((t) => trickle(t, 'y'.repeat(10_000), 100))
    try {
      expect(await healthy(timed)).toBe(true)
      expect(await closedWithin(sockets, 6000)).toBe(0)
      expect(await healthy(timed)).toBe(true)
    } finally {
      timers.forEach(clearInterval)
      sockets.forEach((t) => t.socket.destroy())
    }
    // Node answers 408 Request Timeout before closing; nothing was written.
    expect(sockets.filter((t) => t.received.startsWith('HTTP/1.1 408')).length).toBeGreaterThan(0)
    const read = await send(timed.url, '/secrets/slow/body', { headers: { 'x-api-key': key } })
    expect(read.status).toBe(404)
  })

  it('clients trickling their headers byte by byte are cut off', async () => {
    const sockets = await Promise.all(Array.from({ length: 10 }, () => open(timed)))
    const headers = `GET /whoami HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${key}\r\nX-Pad: ${'p'.repeat(500)}\r\n\r\n`
    const timers = sockets.map((t) => trickle(t, headers, 100))
    try {
      expect(await closedWithin(sockets, 5000)).toBe(0)
    } finally {
      timers.forEach(clearInterval)
      sockets.forEach((t) => t.socket.destroy())
    }
    expect(await healthy(timed)).toBe(true)
  })

  it('idle keep-alive connections are closed after HTTP_KEEP_ALIVE_TIMEOUT', async () => {
    const t = await open(timed)
    t.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n')
    try {
      expect(await closedWithin([t], 4000)).toBe(0)
    } finally {
      t.socket.destroy()
    }
    expect(t.received).toMatch(/^HTTP\/1\.1 200/)
  })

  it('connections beyond HTTP_MAX_CONNECTIONS are closed at once', async () => {
    const held = await Promise.all(Array.from({ length: 5 }, () => open(capped)))
    try {
      // Each held connection sends part of a request and waits: it counts as open.
      for (const t of held) t.socket.write('GET /healthz HTTP/1.1\r\n')
      // Accepted in order: these come after the five.
      const extra = await Promise.all(Array.from({ length: 3 }, () => open(capped)))
      expect(await closedWithin(extra, 3000)).toBe(0)
      expect(held.filter((t) => t.closedAfter !== undefined)).toEqual([])
    } finally {
      held.forEach((t) => t.socket.destroy())
    }
    // Once they are gone, new clients are served again (the server notices within moments).
    let served = false
    for (let i = 0; i < 30 && !served; i++) {
      served = await healthy(capped).catch(() => false)
      if (!served) await new Promise((r) => setTimeout(r, 100))
    }
    expect(served).toBe(true)
  })
})
