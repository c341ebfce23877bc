/**
 * @module REST bad input: malformed JSON, wrong types, unknown fields, empty data, oversized
 * bodies and unsafe paths all get a 4xx with a stable code, and nothing reaches Vault.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { useRestSuite } from '../helpers/test-app.js'
import { startVaultStack } from '../helpers/vault-stack.js'

const rest = useRestSuite(startVaultStack)

/** Everything Vault holds below `{prefix}/`, walked with the root token. */
async function everythingInVault(): Promise<string[]> {
  const found: string[] = []
  const queue = [`${rest.stack.prefix}/`]
  for (let i = 0; i < 200 && queue.length > 0; i++) {
    const folder = queue.shift()!
    let keys: string[]
    try {
      const res = (await rest.stack.root.request({
        path: `/secret/metadata/${folder.split('/').map(encodeURIComponent).join('/')}?list=true`,
        method: 'GET',
      })) as { data: { keys: string[] } }
      keys = res.data.keys
    } catch {
      keys = []
    }
    for (const k of keys) (k.endsWith('/') ? queue : found).push(folder + k)
  }
  return found
}

describe.each(['app.request', 'http'] as const)('bad input over %s', (kind) => {
  const client = () => rest.clients.find((c) => c.kind === kind)!
  let agent: string

  beforeAll(() => {
    agent = rest.stack.agent('input')
  })

  const expectRefused = async (
    method: string,
    path: string,
    options: { body?: unknown; rawBody?: string },
    status: number,
    code: string,
  ) => {
    const before = await everythingInVault()
    const res = await client().call(method, path, { agent, ...options })
    expect([method, path, res.status, res.json?.error?.code]).toEqual([method, path, status, code])
    expect(Object.keys(res.json.error).sort()).toEqual(['code', 'message'])
    expect(await everythingInVault()).toEqual(before)
  }

  it.each([
    ['malformed JSON', '{"data": {"a": 1}'],
    ['a JSON array', '[{"data": {"a": 1}}]'],
    ['JSON null', 'null'],
    ['a JSON string', '"data"'],
  ])('PUT with %s → 400 INVALID_INPUT', async (_name, rawBody) => {
    await expectRefused('PUT', '/secrets/in/x', { rawBody }, 400, 'INVALID_INPUT')
  })

  it.each([
    ['no data', {}],
    ['empty data', { data: {} }],
    ['data as a string', { data: 'secret' }],
    ['data as an array', { data: ['a'] }],
    ['data as null', { data: null }],
    ['cas as a string', { data: { a: 1 }, cas: '1' }],
    ['negative cas', { data: { a: 1 }, cas: -1 }],
    ['fractional cas', { data: { a: 1 }, cas: 1.5 }],
    ['an unknown field', { data: { a: 1 }, ttl: '1h' }],
    ['a path in the body', { data: { a: 1 }, path: '../other/x' }],
  ])('PUT with %s → 400 INVALID_INPUT, nothing written', async (_name, body) => {
    await expectRefused('PUT', '/secrets/in/x', { body }, 400, 'INVALID_INPUT')
  })

  it.each([
    ['empty data', { data: {} }],
    ['an unknown field', { data: { a: 1 }, mode: 'replace' }],
  ])('PATCH with %s → 400 INVALID_INPUT', async (_name, body) => {
    await expectRefused('PATCH', '/secrets/in/x', { body }, 400, 'INVALID_INPUT')
  })

  it.each([
    ['no versions', {}],
    ['an empty list', { versions: [] }],
    ['strings', { versions: ['1'] }],
    ['zero', { versions: [0] }],
    ['an unknown field', { versions: [1], all: true }],
  ])('POST :destroy with %s → 400 INVALID_INPUT', async (_name, body) => {
    await client().call('PUT', '/secrets/in/keep', { agent, body: { data: { a: 1 } } })
    await expectRefused('POST', '/secrets/in/keep:destroy', { body }, 400, 'INVALID_INPUT')
    const still = await client().call('GET', '/secrets/in/keep', { agent })
    expect(still.status).toBe(200)
  })

  it.each([
    ['GET', '/secrets/in/keep?version=abc'],
    ['GET', '/secrets/in/keep?version=0'],
    ['GET', '/secrets/in/keep?version=1&version=2'],
    ['GET', '/secrets/in/keep?versions=1'],
    ['GET', '/secrets/in/keep?list=true'],
    ['DELETE', '/secrets/in/keep?versions=1,x'],
    ['DELETE', '/secrets/in/keep?versions='],
    ['DELETE', '/secrets/in/keep?version=1'],
    ['GET', '/secrets?recursive=yes'],
    ['GET', '/secrets?path=x'],
    ['GET', '/whoami?agent=other'],
  ])('%s %s → 400 INVALID_INPUT', async (method, path) => {
    await client().call('PUT', '/secrets/in/keep', { agent, body: { data: { a: 1 } } })
    await expectRefused(method, path, {}, 400, 'INVALID_INPUT')
    const still = await client().call('GET', '/secrets/in/keep', { agent })
    expect(still.status).toBe(200)
  })

  it.each([
    '/secrets/a//b',
    '/secrets/a/',
    '/secrets/%252e%252e/x',
    '/secrets/..%2Fother%2Fx',
    '/secrets/a%2F..%2F..%2Fother%2Fx',
    '/secrets/%2F..%2Fx',
    '/secrets/a%5Cb',
    '/secrets/a%00b',
    '/secrets/a%0Ab',
    '/secrets/a%7Fb',
    '/secrets/%2Fabs',
    '/secrets/bad%zzencoding',
    `/secrets/${'a'.repeat(513)}`,
  ])('PUT %s → 400 INVALID_PATH, nothing written', async (path) => {
    await expectRefused('PUT', path, { body: { data: { a: 1 } } }, 400, 'INVALID_PATH')
  })

  it.each(['../', '/abs', 'a//', '%2e%2e/', '..%2F'])(
    'GET /secrets?prefix=%s → 400 INVALID_PATH',
    async (prefix) => {
      const res = await client().call('GET', `/secrets?prefix=${encodeURIComponent(prefix)}`, {
        agent,
      })
      expect(res.status).toBe(400)
      expect(res.json.error.code).toBe('INVALID_PATH')
    },
  )

  it('a body over MAX_BODY_BYTES → 413 PAYLOAD_TOO_LARGE, nothing written', async () => {
    const big = 'x'.repeat(rest.stack.config.maxBodyBytes + 10)
    await expectRefused(
      'PUT',
      '/secrets/in/big',
      { body: { data: { big } } },
      413,
      'PAYLOAD_TOO_LARGE',
    )
  })

  it('never echoes the secret value it refused', async () => {
    const res = await client().call('PUT', '/secrets/in/x', {
      agent,
      body: { data: { pw: 'TOPSECRET-VALUE' }, extra: 'TOPSECRET-EXTRA' },
    })
    expect(res.status).toBe(400)
    expect(res.text).not.toContain('TOPSECRET')
  })
})

// A WHATWG Request (app.request, fetch) resolves `..` and `%2e%2e` segments before the app sees
// them; a raw HTTP client sends them as they are, and the server must refuse them.
describe('raw request targets over real HTTP (no client-side normalisation)', () => {
  const http = () => rest.clients.find((c) => c.kind === 'http')!

  it.each([
    '/secrets/a/../b',
    '/secrets/../x',
    '/secrets/./x',
    '/secrets/a/%2e%2e/b',
    '/secrets/a/.%2E/b',
    '/secrets/%2e%2e/%2e%2e/other/x',
  ])('PUT %s → 400 INVALID_PATH, nothing written', async (path) => {
    const agent = rest.stack.agent('raw')
    const before = await everythingInVault()
    const res = await http().call('PUT', path, { agent, body: { data: { a: 1 } } })
    expect([path, res.status, res.json?.error?.code]).toEqual([path, 400, 'INVALID_PATH'])
    expect(await everythingInVault()).toEqual(before)
  })

  it('refuses dot segments in an absolute-form request target too', async () => {
    const agent = rest.stack.agent('abs')
    const before = await everythingInVault()
    for (const path of ['/secrets/a/../b', '/secrets/../x']) {
      const target = `http://127.0.0.1${path}`
      const res = await http().call('PUT', target, { agent, body: { data: { a: 1 } } })
      expect([target, res.status, res.json?.error?.code]).toEqual([target, 400, 'INVALID_PATH'])
    }
    expect(await everythingInVault()).toEqual(before)
  })
})
