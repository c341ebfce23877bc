/** @module auth/mtls-header tests: DN parsing, CIDR trust, and when the headers are believed. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AppError } from '../core/errors.js'
import { loadConfig } from '../config/load.js'
import {
  agentFromDn,
  createCidrMatcher,
  createMtlsHeaderStrategy,
  parseSubjectDn,
} from './mtls-header.js'
import { createLogger, type Logger } from '../observability/logger.js'

/** The bridge's own logger (redaction included), keeping the level of each line it writes. */
function recordingLogger(): { logger: Logger; levels: string[] } {
  const levels: string[] = []
  const write = (line: string) => void levels.push((JSON.parse(line) as { level: string }).level)
  return { logger: createLogger({ level: 'debug', destination: { write } }), levels }
}

const warnings = (levels: string[]) => levels.filter((l) => l === 'warn')

describe('parseSubjectDn + agentFromDn', () => {
  it.each([
    ['CN=agent_mtls,O=Example', 'agent_mtls'],
    ['O=Example,CN=agent_mtls', 'agent_mtls'],
    ['CN=agent_mtls, O=Example Corp, C=US', 'agent_mtls'],
    ['cn=agent_mtls,o=Example', 'agent_mtls'],
    ['CN=agent_mtls+UID=42,O=Example', 'agent_mtls'],
    ['O=Doe\\, John,CN=agent_mtls', 'agent_mtls'],
    ['O=Doe\\2C John,CN=agent_mtls', 'agent_mtls'],
    ['O="Doe, John",CN=agent_mtls', 'agent_mtls'],
    ['/O=Example/CN=agent_mtls', 'agent_mtls'],
    ['/C=US/O=Example/OU=a/b/CN=agent_mtls', 'agent_mtls'],
    ['/CN=agent_mtls/emailAddress=a@b.c', 'agent_mtls'],
  ])('%s names %s', (dn, agent) => {
    const attrs = parseSubjectDn(dn)
    expect(attrs).toBeDefined()
    expect(agentFromDn(attrs ?? [], 'CN=')).toBe(agent)
  })

  it('keeps escaped commas inside the CN value', () => {
    expect(agentFromDn(parseSubjectDn('CN=a\\,b,O=x') ?? [], 'CN=')).toBe('a,b')
  })

  it('keeps escaped trailing spaces, drops unescaped ones', () => {
    expect(parseSubjectDn('CN=a\\20,O=x')?.[0]?.value).toBe('a ')
    expect(parseSubjectDn('CN=a\\ ,O=x')?.[0]?.value).toBe('a ')
    expect(parseSubjectDn('CN=a  ,O=x')?.[0]?.value).toBe('a')
  })

  it.each([
    ['no CN', 'O=Example,C=US'],
    ['OpenSSL form without CN', '/O=Example/C=US'],
    ['two different CNs', 'CN=agent_a,CN=agent_b'],
  ])('finds no agent with %s', (_, dn) => {
    expect(agentFromDn(parseSubjectDn(dn) ?? [], 'CN=')).toBeUndefined()
  })

  it.each(['', 'garbage', 'CN=a,', 'CN=a\\'])('does not parse %j', (dn) => {
    expect(parseSubjectDn(dn)).toBeUndefined()
  })

  it('strips a value prefix given in MTLS_SUBJECT_CN_PREFIX', () => {
    const attrs = parseSubjectDn('CN=svc-agent_mtls,O=x') ?? []
    expect(agentFromDn(attrs, 'CN=svc-')).toBe('agent_mtls')
    expect(agentFromDn(parseSubjectDn('CN=agent_mtls') ?? [], 'CN=svc-')).toBeUndefined()
  })
})

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

describe('createMtlsHeaderStrategy', () => {
  const cfg = loadConfig({ AUTH_MTLS_ENABLED: 'true', MTLS_SCOPES: 'read,list' }).auth.mtls
  const req = (headers: Record<string, string>) => new Request('http://x/', { headers })
  const ok = { 'x-ssl-client-s-dn': 'CN=agent_mtls,O=Example', 'x-ssl-client-verify': 'SUCCESS' }

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
    ['no verify header', { 'x-ssl-client-s-dn': ok['x-ssl-client-s-dn'] }, '127.0.0.1'],
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

describe('parseSubjectDn (property)', () => {
  // RFC 4514 escaping of one attribute value.
  const escape = (v: string) => v.replace(/[\\,+"<>;= ]/g, (ch) => `\\${ch}`).replace(/^#/, '\\#')

  it('recovers any escaped CN value between other attributes', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40, unit: 'binary' }),
        fc.string({ minLength: 1, maxLength: 20, unit: 'binary' }),
        (cn, org) => {
          const dn = `O=${escape(org)},CN=${escape(cn)},C=US`
          expect(agentFromDn(parseSubjectDn(dn) ?? [], 'CN=')).toBe(cn)
        },
      ),
    )
  })
})

describe('MTLS_TRUSTED_PROXIES in the configuration', () => {
  it('accepts CIDRs and bare addresses, refuses anything else at startup', () => {
    expect(
      loadConfig({ MTLS_TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.7, fd00::/8' }).auth.mtls
        .trustedProxies,
    ).toEqual(['10.0.0.0/8', '192.168.1.7', 'fd00::/8'])
    for (const bad of ['10.0.0.0/33', 'proxy.internal', '::1/129', '10.0.0.0/8/2']) {
      expect(() => loadConfig({ MTLS_TRUSTED_PROXIES: bad })).toThrow(/MTLS_TRUSTED_PROXIES/)
    }
  })
})
