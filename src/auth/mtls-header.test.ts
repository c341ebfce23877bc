/** @module auth/mtls-header tests: CIDR trust, the proxy secret, and when the headers are believed. */
import { describe, expect, it } from 'vitest'
import { AppError } from '../core/errors.js'
import { loadConfig } from '../config/load.js'
import { createCidrMatcher, createMtlsHeaderStrategy, createSecretCheck } from './mtls-header.js'
import { createLogger, type Logger } from '../observability/logger.js'

/** The bridge's own logger (redaction included), keeping the level of each line it writes. */
function recordingLogger(): { logger: Logger; levels: string[] } {
  const levels: string[] = []
  const write = (line: string) => void levels.push((JSON.parse(line) as { level: string }).level)
  return { logger: createLogger({ level: 'debug', destination: { write } }), levels }
}

const warnings = (levels: string[]) => levels.filter((l) => l === 'warn')

describe('createCidrMatcher', () => {
  const match = createCidrMatcher(['127.0.0.1/32', '::1/128', '10.0.0.0/8', '2001:db8::/32'])
  it.each([
    ['127.0.0.1', true],
    ['::ffff:127.0.0.1', true],
    ['::1', true],
    ['10.200.3.4', true],
    ['::ffff:10.1.2.3', true],
    ['2001:db8:1::5', true],
    ['127.0.0.2', false],
    ['11.0.0.1', false],
    ['::2', false],
    ['2001:db9::1', false],
    ['::ffff:192.168.0.1', false],
    ['not-an-ip', false],
    [undefined, false],
  ])('%s -> %s', (address, expected) => {
    expect(match(address)).toBe(expected)
  })

  it.each(['10.0.0.0/33', 'fe80::/129', 'example.com/8', '10.0.0.0/8/1', '10.0.0.0/x'])(
    'refuses %s at build time',
    (cidr) => {
      expect(() => createCidrMatcher([cidr])).toThrow(/MTLS_TRUSTED_PROXIES/)
    },
  )
})

const PROXY_SECRET = 'proxy-secret-for-unit-tests-0123456789abcdef'

describe('createMtlsHeaderStrategy', () => {
  const env = {
    AUTH_MTLS_ENABLED: 'true',
    MTLS_MODE: 'header',
    MTLS_TRUSTED_PROXIES: '127.0.0.1/32,::1/128',
    MTLS_PROXY_SECRET: PROXY_SECRET,
    MTLS_SCOPES: 'read,list',
  }
  const cfg = loadConfig(env).auth.mtls
  const req = (headers: Record<string, string>) => new Request('http://x/', { headers })
  const ok = {
    'x-ssl-client-s-dn': 'CN=agent_mtls,O=Example',
    'x-ssl-client-verify': 'SUCCESS',
    'x-mtls-proxy-secret': PROXY_SECRET,
  }

  it('believes a trusted proxy that verified the certificate', async () => {
    const { logger } = recordingLogger()
    const s = createMtlsHeaderStrategy(cfg, logger)
    expect(await s.authenticate(req(ok), { peerAddress: '127.0.0.1' })).toEqual({
      agent: 'agent_mtls',
      scopes: ['read', 'list'],
      method: 'mtls',
    })
  })

  it.each([
    ['an untrusted peer', ok, '192.0.2.7'],
    ['no socket', ok, undefined],
    ['verify FAILED', { ...ok, 'x-ssl-client-verify': 'FAILED:unknown ca' }, '127.0.0.1'],
    ['verify NONE with a DN', { ...ok, 'x-ssl-client-verify': 'NONE' }, '127.0.0.1'],
    ['verify lower-case', { ...ok, 'x-ssl-client-verify': 'success' }, '127.0.0.1'],
    ['no verify header', { ...ok, 'x-ssl-client-verify': '' }, '127.0.0.1'],
    ['no proxy secret', { ...ok, 'x-mtls-proxy-secret': '' }, '127.0.0.1'],
    ['a wrong proxy secret', { ...ok, 'x-mtls-proxy-secret': `${PROXY_SECRET}x` }, '::1'],
  ])('ignores the headers with %s, and warns', async (_, headers, peer) => {
    const { logger, levels } = recordingLogger()
    const s = createMtlsHeaderStrategy(cfg, logger)
    expect(await s.authenticate(req(headers), { peerAddress: peer })).toBeNull()
    expect(warnings(levels)).toHaveLength(1)
  })

  it('stays silent when the proxy reports no certificate', async () => {
    const { logger, levels } = recordingLogger()
    const s = createMtlsHeaderStrategy(cfg, logger)
    const none = { 'x-ssl-client-s-dn': '', 'x-ssl-client-verify': 'NONE' }
    expect(await s.authenticate(req(none), { peerAddress: '127.0.0.1' })).toBeNull()
    expect(await s.authenticate(req({}), { peerAddress: '127.0.0.1' })).toBeNull()
    expect(warnings(levels)).toHaveLength(0)
  })

  it('refuses a verified DN without CN', async () => {
    const s = createMtlsHeaderStrategy(cfg, recordingLogger().logger)
    const err = await s
      .authenticate(req({ ...ok, 'x-ssl-client-s-dn': 'O=Example,C=US' }), {
        peerAddress: '::1',
      })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).code).toBe('UNAUTHENTICATED')
  })
})

describe('createSecretCheck', () => {
  it('accepts the secret only, and nothing when none is configured', () => {
    const check = createSecretCheck(PROXY_SECRET)
    expect(check(PROXY_SECRET)).toBe(true)
    for (const wrong of [
      '',
      PROXY_SECRET.slice(0, -1),
      `${PROXY_SECRET} `,
      PROXY_SECRET.toUpperCase(),
    ]) {
      expect(check(wrong)).toBe(false)
    }
    expect(createSecretCheck(undefined)('')).toBe(false)
  })
})

describe('mTLS in the configuration', () => {
  const header = { AUTH_MTLS_ENABLED: 'true', MTLS_MODE: 'header', MTLS_PROXY_SECRET: PROXY_SECRET }
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env)
      return []
    } catch (err) {
      return (err as { problems: string[] }).problems
    }
  }

  it('accepts CIDRs and bare addresses, refuses anything else at startup', () => {
    expect(
      loadConfig({ ...header, MTLS_TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.7, fd00::/8' }).auth.mtls
        .trustedProxies,
    ).toEqual(['10.0.0.0/8', '192.168.1.7', 'fd00::/8'])
    for (const bad of ['10.0.0.0/33', 'proxy.internal', '::1/129', '10.0.0.0/8/2']) {
      expect(() => loadConfig({ ...header, MTLS_TRUSTED_PROXIES: bad })).toThrow(
        /MTLS_TRUSTED_PROXIES/,
      )
    }
  })

  it('header mode needs MTLS_TRUSTED_PROXIES (no default) and a proxy secret of 32+ characters', () => {
    expect(loadConfig({}).auth.mtls.trustedProxies).toEqual([])
    expect(problems({ ...header })).toEqual([expect.stringMatching(/^MTLS_TRUSTED_PROXIES: /)])
    const { MTLS_PROXY_SECRET: _, ...noSecret } = header
    expect(problems({ ...noSecret, MTLS_TRUSTED_PROXIES: '10.0.0.5' })).toEqual([
      expect.stringMatching(/^MTLS_PROXY_SECRET: /),
    ])
    expect(
      problems({ ...header, MTLS_TRUSTED_PROXIES: '10.0.0.5', MTLS_PROXY_SECRET: 'short' }),
    ).toEqual([expect.stringMatching(/^MTLS_PROXY_SECRET: .*32/)])
  })

  it('tls mode needs the listener and a client CA, and refuses proxy settings it would ignore', () => {
    const tls = { AUTH_MTLS_ENABLED: 'true' }
    expect(problems(tls).map((p) => p.split(':')[0])).toEqual([
      'TLS_CLIENT_CA_FILE',
      'TLS_CERT_FILE',
    ])
    expect(
      problems({ ...tls, TLS_CERT_FILE: 'c', TLS_KEY_FILE: 'k', MTLS_TRUSTED_PROXIES: '::1' }).map(
        (p) => p.split(':')[0],
      ),
    ).toEqual(['MTLS_MODE', 'TLS_CLIENT_CA_FILE'])
    expect(
      problems({ ...tls, TLS_CERT_FILE: 'c', TLS_KEY_FILE: 'k', TLS_CLIENT_CA_FILE: 'ca' }),
    ).toEqual([])
    expect(problems({ TLS_CLIENT_CA_FILE: 'ca', TLS_CERT_FILE: 'c', TLS_KEY_FILE: 'k' })).toEqual([
      expect.stringMatching(/^TLS_CLIENT_CA_FILE: /),
    ])
    expect(problems({ TLS_CERT_FILE: 'c' })).toEqual([expect.stringMatching(/^TLS_KEY_FILE: /)])
  })
})
