/**
 * @module integration test: shared rate limits through a real redis-server that requires a
 * password (and an ACL user) over TLS with a private CA, as docs/deploy.md documents it:
 * `rediss://` URLs, the password in the URL, the CA through NODE_EXTRA_CA_CERTS. Each bridge-side
 * process is a child (test/helpers/rate-limit-probe.ts), because Node reads NODE_EXTRA_CA_CERTS
 * only at start.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { installed, suiteRuns } from '../helpers/external-tools.js'
import { freePort } from '../helpers/free-port.js'

const root = join(import.meta.dirname, '..', '..')
// Skipped only on a developer machine without redis-server; in CI a missing one fails.
const runIt = suiteRuns(
  'limits-redis-tls',
  installed('redis-server'),
  'redis-server is not installed (scripts/ci/install-redis.sh)',
)

const PASSWORD = 'redis-pass-0123456789abcdef'
const ACL_PASSWORD = 'bridge-pass-0123456789abcdef'
/** The ACL user docs/deploy.md suggests: only the bridge's keys, no admin or dangerous commands. */
const ACL = [
  'bridge',
  'on',
  `>${ACL_PASSWORD}`,
  '~vault-mcp-bridge:*',
  '+@all',
  '-@dangerous',
  '+info',
]

let dir: string
let port: number
let plainPort: number
let redis: ChildProcess | undefined

function openssl(...args: string[]) {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`)
}

function redisCli(...args: string[]): string {
  const tls = ['--tls', '--cacert', join(dir, 'ca.crt')]
  const auth = ['-a', PASSWORD, '--no-auth-warning']
  const r = spawnSync('redis-cli', [...tls, '-p', String(port), ...auth, ...args], {
    encoding: 'utf8',
  })
  if (r.status !== 0) throw new Error(`redis-cli ${args[0]} failed: ${r.stderr}`)
  return r.stdout.trim()
}

/** One bridge-side process: connects, takes `count` requests of `agent`, reports. */
async function probe(options: {
  url: string
  agent: string
  count: number
  limit?: number
  ca?: boolean
}): Promise<{ event: string; allowed: boolean[]; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/rate-limit-probe.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      REDIS_URL: options.url,
      AGENT: options.agent,
      COUNT: String(options.count),
      LIMIT: String(options.limit ?? 5),
      ...(options.ca ? { NODE_EXTRA_CA_CERTS: join(dir, 'ca.crt') } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => (stderr += d))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  if (code !== 0) throw new Error(`probe exited with ${code}: ${stderr}`)
  return { ...(JSON.parse(stdout) as { event: string; allowed: boolean[] }), stderr }
}

describe.skipIf(!runIt)('rate limits through Redis with a password and TLS', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-tls-'))
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
    openssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-subj',
      '/CN=test-ca',
      '-days',
      '1',
    )
    openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1')
    writeFileSync(join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1\n')
    openssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '1',
      '-extfile',
      'ext',
    )
    port = await freePort()
    plainPort = await freePort()
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(plainPort),
        '--tls-port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--tls-cert-file',
        'server.crt',
        '--tls-key-file',
        'server.key',
        '--tls-ca-cert-file',
        'ca.crt',
        '--tls-auth-clients',
        'no',
        '--requirepass',
        PASSWORD,
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    redis = child
    await new Promise<void>((resolve, reject) => {
      let out = ''
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start: ${out}`)),
        10_000,
      )
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer)
          resolve()
        }
      })
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)))
    })
    redisCli('ACL', 'SETUSER', ...ACL)
  }, 30_000)

  afterAll(() => {
    redis?.kill('SIGKILL')
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('rediss:// with the password and NODE_EXTRA_CA_CERTS: replicas share one budget in Redis', async () => {
    const url = `rediss://:${PASSWORD}@127.0.0.1:${port}`
    const agent = `agent-${Date.now().toString(36)}`
    const one = await probe({ url, agent, count: 3, ca: true })
    const two = await probe({ url, agent, count: 3, ca: true })
    expect(one.event).toBe('redis_connected')
    expect(one.allowed).toEqual([true, true, true])
    expect(two.allowed).toEqual([true, true, false])
    expect(redisCli('GET', `vault-mcp-bridge:agent:${agent}`)).toBe('6')
    expect(one.stderr + two.stderr).not.toContain(PASSWORD)
  }, 60_000)

  it('redis:// with the password (requirepass, no TLS) works too', async () => {
    const agent = `plain-${Date.now().toString(36)}`
    const url = `redis://:${PASSWORD}@127.0.0.1:${plainPort}`
    const r = await probe({ url, agent, count: 2 })
    expect(r.event).toBe('redis_connected')
    expect(r.allowed).toEqual([true, true])
    expect(redisCli('GET', `vault-mcp-bridge:agent:${agent}`)).toBe('2')
  }, 60_000)

  it('an ACL user (rediss://user:password@...) restricted to the bridge keys works too', async () => {
    const url = `rediss://bridge:${ACL_PASSWORD}@127.0.0.1:${port}`
    const agent = `acl-${Date.now().toString(36)}`
    const r = await probe({ url, agent, count: 2, ca: true })
    expect(r.event).toBe('redis_connected')
    expect(r.allowed).toEqual([true, true])
    expect(redisCli('GET', `vault-mcp-bridge:agent:${agent}`)).toBe('2')
    expect(r.stderr).not.toContain(ACL_PASSWORD)
    expect(r.stderr).not.toMatch(/NOPERM/)
  }, 60_000)

  it.each([
    ['without the CA (certificate not trusted)', PASSWORD, false, 'SELF_SIGNED_CERT_IN_CHAIN'],
    ['with a wrong password', 'wrong-password-0123456789', true, 'WRONGPASS'],
  ])(
    '%s: logs Redis unreachable, limits in memory, and never logs the password',
    async (_, password, ca, reason) => {
      const url = `rediss://:${password}@127.0.0.1:${port}`
      const agent = `bad-${Date.now().toString(36)}`
      const r = await probe({ url, agent, count: 6, ca })
      expect(r.event).toBe('redis_unreachable')
      expect(r.stderr).toContain(reason)
      // The in-memory insurance limiter still enforces the budget of 5.
      expect(r.allowed).toEqual([true, true, true, true, true, false])
      expect(r.stderr).not.toContain(password)
      expect(redisCli('EXISTS', `vault-mcp-bridge:agent:${agent}`)).toBe('0')
    },
    60_000,
  )
})
