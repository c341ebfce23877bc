/** @module http/context tests: the remembered origin of request URLs. */
import { describe, expect, it } from 'vitest'
import { createOriginOf } from './context.js'

describe('createOriginOf', () => {
  it('gives what new URL(url).origin gives, also when the host changes between requests', () => {
    const originOf = createOriginOf()
    const urls = [
      'http://127.0.0.1:8080/secrets/a',
      'http://127.0.0.1:8080/secrets/b?version=2',
      'http://localhost:8080/mcp',
      'http://127.0.0.1:8080/whoami',
      'https://bridge.example.com/secrets/x',
      'https://bridge.example.com:443/secrets/x',
      'http://BRIDGE.example.com:80/secret-requests',
      'http://user@bridge.example.com/x',
      'http://[::1]:9000/transit/keys',
      'http://a?b/secrets/x',
      'http://a#b/secrets/x',
      'http://a\\b/secrets/x',
      'http://a',
      'http://127.0.0.1:8080/secrets/a',
    ]
    for (const url of urls) expect(originOf(url), url).toBe(new URL(url).origin)
  })
})
