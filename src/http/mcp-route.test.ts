/** @module http/mcp-route tests: which host names count as loopback for the DNS-rebinding check. */
import { describe, expect, it } from 'vitest'
import { isLoopbackHost } from './mcp-route.js'

describe('isLoopbackHost', () => {
  it.each(['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '::1', '[::1]', 'app.localhost'])(
    '%s is loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(true)
    },
  )

  it.each([
    '0.0.0.0',
    '::',
    '10.0.0.1',
    '192.168.1.10',
    'localhost.evil.com',
    '127.0.0.1.evil.com',
    'evil-localhost',
    '1270.0.0.1',
    '',
  ])('%s is not loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(false)
  })
})
