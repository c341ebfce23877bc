/**
 * @module REST agent isolation: two agents run every operation on the same names and neither
 * sees the other's data; crafted paths and key names cannot reach another namespace. Runs with
 * the bridge token and with per-request child tokens (Vault policies then confine each agent
 * too, and each operation's announced Vault-call bound is checked against real use).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../src/core/errors.js'
import { transitKeyName } from '../../src/core/paths.js'
import { bothClients, createTestApp, type RestClient } from '../helpers/test-app.js'
import { principal, startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')

describe.each([
  { childTokens: false, mode: 'bridge token' },
  { childTokens: true, mode: 'child tokens' },
])('isolation with $mode', ({ childTokens }) => {
  let stack: VaultStack
  let clients: RestClient[]
  let closeServer: () => Promise<void>
  let alice: string
  let bob: string
  /** A prefix-sharing neighbour: a naive `…alice*` glob would also match its keys. */
  let aliceX: string

  beforeAll(async () => {
    stack = await startVaultStack({ childTokens })
    alice = stack.agent('alice')
    bob = stack.agent('bob')
    aliceX = `${alice}-x`
    await stack.provision(alice, bob, aliceX)
    const both = await bothClients(createTestApp(stack))
    clients = both.clients
    closeServer = both.close
  })

  afterAll(async () => {
    await closeServer?.()
    await stack?.close()
  })

  describe.each(['app.request', 'http'] as const)('over %s', (kind) => {
    const as = (agent: () => string) => (method: string, path: string, body?: unknown) =>
      clients
        .find((c) => c.kind === kind)!
        .call(method, path, { agent: agent(), ...(body === undefined ? {} : { body }) })
    const A = as(() => alice)
    const B = as(() => bob)
    const base = `rt-${kind === 'http' ? 'h' : 'a'}`

    it('round trip across all operations: neither agent sees the other', async () => {
      // Both write the same relative paths with their own values.
      for (const [call, who] of [
        [A, 'alice'],
        [B, 'bob'],
      ] as const) {
        expect((await call('PUT', `/secrets/${base}/db`, { data: { owner: who } })).status).toBe(
          200,
        )
        expect(
          (await call('PUT', `/secrets/${base}/db`, { data: { owner: who, v: 2 }, cas: 1 })).status,
        ).toBe(200)
        expect(
          (await call('PATCH', `/secrets/${base}/db`, { data: { patched: who } })).status,
        ).toBe(200)
        await call('PUT', `/secrets/${base}/only-${who}`, { data: { x: who } })
      }

      // Reads, lists and metadata show only one's own.
      for (const [call, me, other] of [
        [A, 'alice', 'bob'],
        [B, 'bob', 'alice'],
      ] as const) {
        const read = await call('GET', `/secrets/${base}/db`)
        expect(read.json.data).toEqual({ owner: me, v: 2, patched: me })
        expect((await call('GET', `/secrets/${base}/db?version=1`)).json.data).toEqual({
          owner: me,
        })
        const list = await call('GET', `/secrets?prefix=${base}/`)
        expect(list.json.keys).toEqual(['db', `only-${me}`])
        const all = await call('GET', '/secrets?recursive=true')
        expect(all.json.keys).toContain(`${base}/only-${me}`)
        expect(all.json.keys).not.toContain(`${base}/only-${other}`)
        const other404 = await call('GET', `/secrets/${base}/only-${other}`)
        expect(other404.json.error.code).toBe('SECRET_NOT_FOUND')
        const meta = await call('GET', `/secrets/${base}/db:metadata`)
        expect(meta.json.current_version).toBe(3)
      }

      // Bob's delete, destroy, undelete and permanent delete touch only Bob's copy.
      expect((await B('DELETE', `/secrets/${base}/db`)).status).toBe(200)
      expect((await B('GET', `/secrets/${base}/db`)).json.error.code).toBe('VERSION_DELETED')
      expect((await A('GET', `/secrets/${base}/db`)).json.data.owner).toBe('alice')
      expect((await B('POST', `/secrets/${base}/db:undelete`, { versions: [3] })).status).toBe(200)
      expect((await B('POST', `/secrets/${base}/db:destroy`, { versions: [1] })).status).toBe(200)
      expect((await B('GET', `/secrets/${base}/db?version=1`)).status).toBe(410)
      expect((await A('GET', `/secrets/${base}/db?version=1`)).json.data.owner).toBe('alice')
      expect((await B('DELETE', `/secrets/${base}/db?versions=2`)).status).toBe(200)
      expect((await A('GET', `/secrets/${base}/db?version=2`)).status).toBe(200)
      expect((await B('DELETE', `/secrets/${base}/db:metadata`)).status).toBe(200)
      expect((await B('GET', `/secrets/${base}/db`)).status).toBe(404)
      expect((await A('GET', `/secrets/${base}/db:metadata`)).json.current_version).toBe(3)

      // Transit: the same key name is a different key per agent.
      const encA = await A('POST', '/transit/encrypt', { key: 'k', plaintext: b64('alice-data') })
      const encB = await B('POST', '/transit/encrypt', { key: 'k', plaintext: b64('bob-data') })
      expect(encA.status).toBe(200)
      expect(encB.status).toBe(200)
      const stolen = await B('POST', '/transit/decrypt', {
        key: 'k',
        ciphertext: encA.json.ciphertext,
      })
      expect(stolen.status).toBe(400)
      expect(stolen.json.error.code).toBe('INVALID_INPUT')
      const rewrapped = await B('POST', '/transit/rewrap', {
        key: 'k',
        ciphertext: encA.json.ciphertext,
      })
      expect(rewrapped.status).toBe(400)
      const own = await A('POST', '/transit/decrypt', {
        key: 'k',
        ciphertext: encA.json.ciphertext,
      })
      expect(Buffer.from(own.json.plaintext, 'base64').toString()).toBe('alice-data')
      const dk = await A('POST', '/transit/datakey', { key: 'k', type: 'plaintext' })
      expect(
        (await B('POST', '/transit/decrypt', { key: 'k', ciphertext: dk.json.ciphertext })).status,
      ).toBe(400)
      expect((await B('GET', '/whoami')).json.agent).toBe(bob)
    })

    it.each([
      '../ALICE/x',
      '..%2FALICE%2Fx',
      '%2e%2e/ALICE/x',
      '%252e%252e%252FALICE%252Fx',
      'a/../../ALICE/x',
      '/PREFIX/ALICE/x',
      '%2FPREFIX%2FALICE%2Fx',
      '..\\ALICE\\x',
    ])('bob cannot reach alice through the crafted path %s', async (template) => {
      await A('PUT', `/secrets/${base}-target/x`, { data: { owner: 'alice' } })
      const path = template
        .replace('ALICE/x', `${alice}/${base}-target/x`)
        .replace('PREFIX', stack.prefix)
      const encoded = path.replace(/\\/g, '%5C')
      // A WHATWG Request (app.request) resolves `..` and `%2e%2e` before the app sees them, so
      // such a request arrives as `/{alice}/...`: no route (404), never bob's or alice's data.
      const normalised = kind === 'app.request' && /(^|\/)(\.|%2e){2}\//i.test(encoded)
      for (const [method, suffix, body] of [
        ['GET', '', undefined],
        ['PUT', '', { data: { owner: 'bob' } }],
        ['DELETE', ':metadata', undefined],
      ] as const) {
        const res = await B(method, `/secrets/${encoded}${suffix}`, body)
        const expected = normalised ? [404, 'NOT_FOUND'] : [400, 'INVALID_PATH']
        expect([encoded, method, res.status, res.json?.error?.code]).toEqual([
          encoded,
          method,
          ...expected,
        ])
      }
      const list = await B('GET', `/secrets?prefix=${encodeURIComponent(`../${alice}/`)}`)
      expect(list.json.error.code).toBe('INVALID_PATH')
      expect((await A('GET', `/secrets/${base}-target/x`)).json.data).toEqual({ owner: 'alice' })
    })

    it('bob cannot name alice’s transit key', async () => {
      await A('POST', '/transit/encrypt', { key: 'mine', plaintext: b64('x') })
      const fullName = transitKeyName(stack.prefix, alice, 'mine')
      for (const key of [fullName, `--${alice}--mine`, `../${fullName}`]) {
        const res = await B('POST', '/transit/encrypt', { key, plaintext: b64('x') })
        if (res.status === 200) {
          // Accepted as a name of bob's own: it must then be a key inside bob's namespace.
          const name = transitKeyName(stack.prefix, bob, key)
          expect(name.startsWith(`${stack.prefix}--${bob}--`)).toBe(true)
        } else {
          expect(res.status).toBe(400)
          expect(res.json.error.code).toBe('INVALID_INPUT')
        }
      }
    })
  })

  it('raw dot segments over HTTP cannot reach another agent', async () => {
    const http = clients.find((c) => c.kind === 'http')!
    await http.call('PUT', '/secrets/raw-target', { agent: alice, body: { data: { a: 1 } } })
    for (const path of [
      `/secrets/../secrets/../${alice}/raw-target`,
      `/secrets/x/../../${stack.prefix}/${alice}/raw-target`,
      `/secrets/%2e%2e/${alice}/raw-target`,
    ]) {
      const res = await http.call('GET', path, { agent: bob })
      expect([path, res.status, res.json?.error?.code]).toEqual([path, 400, 'INVALID_PATH'])
    }
  })

  it('Vault itself confines a session to its agent when child tokens are on', async () => {
    if (!childTokens) {
      // With the bridge token, confinement is the service's alone (shown above).
      expect(childTokens).toBe(false)
      return
    }
    await stack.service.writeSecret(
      { principal: principal(alice), requestId: 'r1' },
      { path: 'vault-side', data: { a: 1 } },
    )
    await stack.service.encrypt(
      { principal: principal(alice), requestId: 'r2' },
      { key: 'vk', plaintext: b64('x') },
    )
    const denied = async (agent: string, fn: Parameters<VaultStack['port']['session']>[2]) => {
      const err = await stack.port
        .session({ principal: principal(agent), requestId: 'r3' }, 1, fn)
        .then(
          () => undefined,
          (e: unknown) => e,
        )
      expect(err).toBeInstanceOf(AppError)
      expect((err as AppError).code).toBe('FORBIDDEN')
    }
    const aliceKey = `${stack.prefix}/${alice}/vault-side`
    const aliceTransit = transitKeyName(stack.prefix, alice, 'vk')
    await denied(bob, (v) => v.kvRead(aliceKey))
    await denied(bob, (v) => v.kvWrite(aliceKey, { b: 1 }))
    await denied(bob, (v) => v.kvList(`${stack.prefix}/${alice}/`))
    await denied(bob, (v) => v.transitEncrypt(aliceTransit, [{ plaintext: b64('x') }]))
    // The neighbour whose id extends alice's gets nothing of alice's either.
    await denied(aliceX, (v) => v.kvRead(aliceKey))
    await denied(aliceX, (v) => v.transitEncrypt(aliceTransit, [{ plaintext: b64('x') }]))
  })

  it('no operation made more Vault calls than it announced', () => {
    const exceeded = stack.logs.filter(
      (l) => (l.obj as { event?: string }).event === 'child_token_uses_exceeded',
    )
    expect(exceeded).toEqual([])
    expect(stack.events.length).toBeGreaterThan(20)
  })
})
