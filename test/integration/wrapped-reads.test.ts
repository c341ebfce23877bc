/**
 * @module Response-wrapped reads end to end: `GET /secrets/{path}?wrap_ttl=` (or Vault's
 * `X-Vault-Wrap-TTL`) and the `read_secret` tool with `wrap_ttl` answer only Vault's wrapping
 * information; the token unwraps to the secret at Vault exactly once; bad wrap TTLs and wrapping
 * on any other route are refused; the audit trail and the logs hold the accessor at most, never
 * the token or a value. Runs with the bridge token and with per-request child tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeSecret } from '../../src/core/operations.js'
import { bothClients, createTestApp, type RestClient } from '../helpers/test-app.js'
import {
  CLIENT_KINDS,
  connectStdio,
  resultText,
  suiteResources,
  toolErrorCode,
  type TestClient,
} from '../helpers/mcp-harness.js'
import { principal, startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

const VALUE = 'wrapped-value-Lq82'
const OLD_VALUE = 'first-version-Mz41'
/** The field names: a wrapped answer names none of them. */
const FIELDS = ['db_login', 'db_passphrase']

interface Unwrapped {
  status: number
  json: { data?: { data?: Record<string, unknown>; metadata?: { version?: number } } } | undefined
}

describe.each([
  { childTokens: false, mode: 'the bridge token' },
  { childTokens: true, mode: 'child tokens' },
])('wrapped reads with $mode', ({ childTokens }) => {
  let stack: VaultStack
  let clients: RestClient[]
  let closeServer: () => Promise<void>
  let agent: string
  const opened = suiteResources()

  beforeAll(async () => {
    stack = await startVaultStack({ childTokens, env: { WRAP_TTL_MAX: '10m' } })
    agent = stack.agent('wrap')
    await stack.provision(agent)
    const both = await bothClients(createTestApp(stack))
    clients = both.clients
    closeServer = both.close
    const put = (data: Record<string, string>) =>
      stack.runner.run(
        writeSecret,
        { principal: principal(agent), requestId: 'setup' },
        { path: 'app/conn', data },
      )
    await put({ db_login: 'svc', db_passphrase: OLD_VALUE })
    await put({ db_login: 'svc', db_passphrase: VALUE })
  })

  afterAll(async () => {
    await opened.closeAll()
    await closeServer?.()
    await stack?.close()
  })

  const vaultPath = () => `secret/data/${stack.prefix}/${agent}/app/conn`

  /** Vault's unwrap, first party: the wrapping token is the request's only token. */
  const unwrap = async (token: string): Promise<Unwrapped> => {
    const res = await fetch(`${stack.vault.url}/v1/sys/wrapping/unwrap`, {
      method: 'POST',
      headers: { 'X-Vault-Token': token },
    })
    const text = await res.text()
    return { status: res.status, json: text === '' ? undefined : JSON.parse(text) }
  }

  /** Vault's lookup (no token needed; it does not spend the wrapping token). */
  const lookup = async (token: string) => {
    const res = await fetch(`${stack.vault.url}/v1/sys/wrapping/lookup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    })
    return { status: res.status, json: (await res.json()) as { data?: Record<string, unknown> } }
  }

  /** A wrapped answer: path and wrap_info alone, nothing of the secret. */
  const expectHandleOnly = (body: Record<string, unknown>, ttl: number) => {
    expect(Object.keys(body).sort()).toEqual(['path', 'wrap_info'])
    const info = body.wrap_info as Record<string, unknown>
    expect(Object.keys(info).sort()).toEqual(
      ['accessor', 'creation_path', 'creation_time', 'token', 'ttl'].sort(),
    )
    expect(info).toMatchObject({ ttl, creation_path: vaultPath() })
    expect(info.token).toEqual(expect.any(String))
    expect(info.accessor).not.toBe(info.token)
    expect(Number.isNaN(Date.parse(info.creation_time as string))).toBe(false)
    const text = JSON.stringify(body)
    for (const secret of [VALUE, OLD_VALUE, 'svc', ...FIELDS]) expect(text).not.toContain(secret)
    return info as { token: string; accessor: string; ttl: number }
  }

  /** Unwraps once to `value` at version `version`; the second unwrap and lookups fail. */
  const expectUnwrapsOnce = async (token: string, value: string, version: number) => {
    expect((await lookup(token)).status).toBe(200)
    const first = await unwrap(token)
    expect(first.status).toBe(200)
    expect(first.json?.data?.data).toEqual({ db_login: 'svc', db_passphrase: value })
    expect(first.json?.data?.metadata?.version).toBe(version)
    // Single use: whoever comes second (the program, or whoever intercepted it) finds it spent.
    expect((await unwrap(token)).status).toBe(400)
    expect((await lookup(token)).status).toBe(400)
  }

  describe.each(['app.request', 'http'] as const)('REST over %s', (kind) => {
    const call = (method: string, path: string, headers: Record<string, string> = {}) =>
      clients.find((c) => c.kind === kind)!.call(method, path, { agent, headers })

    it('GET ?wrap_ttl= answers only the wrapping token, which unwraps at Vault once', async () => {
      const res = await call('GET', '/secrets/app/conn?wrap_ttl=90')
      expect(res.status).toBe(200)
      const info = expectHandleOnly(res.json, 90)
      const look = await lookup(info.token)
      expect(look.json.data).toMatchObject({ creation_path: vaultPath(), creation_ttl: 90 })
      await expectUnwrapsOnce(info.token, VALUE, 2)
    })

    it('takes "5m", Vault’s X-Vault-Wrap-TTL header, and a pinned version', async () => {
      const minutes = await call('GET', '/secrets/app/conn?wrap_ttl=5m&version=1')
      expect(minutes.status).toBe(200)
      await expectUnwrapsOnce(expectHandleOnly(minutes.json, 300).token, OLD_VALUE, 1)
      const header = await call('GET', '/secrets/app/conn', { 'X-Vault-Wrap-TTL': '45' })
      expect(header.status).toBe(200)
      await expectUnwrapsOnce(expectHandleOnly(header.json, 45).token, VALUE, 2)
    })

    it('refuses a bad wrap TTL with 400 INVALID_INPUT, before Vault is asked', async () => {
      const before = stack.events.length
      for (const q of ['0', '-5', 'abc', '1.5', '5x', '', '601', '11m', '1h']) {
        const res = await call('GET', `/secrets/app/conn?wrap_ttl=${q}`)
        expect([q, res.status, res.json?.error?.code]).toEqual([q, 400, 'INVALID_INPUT'])
        expect(res.text).not.toContain(VALUE)
      }
      for (const h of ['0', 'abc', '700']) {
        const res = await call('GET', '/secrets/app/conn', { 'X-Vault-Wrap-TTL': h })
        expect([h, res.status, res.json?.error?.code]).toEqual([h, 400, 'INVALID_INPUT'])
      }
      const twice = await call('GET', '/secrets/app/conn?wrap_ttl=60', { 'X-Vault-Wrap-TTL': '60' })
      expect([twice.status, twice.json?.error?.code]).toEqual([400, 'INVALID_INPUT'])
      // The refusals that reached an operation were audited as INVALID_INPUT, none as a read.
      const refused = stack.events.slice(before)
      expect(refused).toHaveLength(12)
      expect(refused.every((e) => e.outcome === 'INVALID_INPUT' && e.wrap === undefined)).toBe(true)
    })

    it('refuses wrapping on every other route (400 INVALID_INPUT), changing nothing', async () => {
      const header = { 'X-Vault-Wrap-TTL': '60' }
      const cases: Array<[string, string, Record<string, string>]> = [
        ['PUT', '/secrets/app/conn?wrap_ttl=60', {}],
        ['PUT', '/secrets/app/conn', header],
        ['PATCH', '/secrets/app/conn', header],
        ['DELETE', '/secrets/app/conn?wrap_ttl=60', {}],
        ['DELETE', '/secrets/app/conn', header],
        ['GET', '/secrets/app/conn:metadata?wrap_ttl=60', {}],
        ['GET', '/secrets/app/conn:metadata', header],
        ['GET', '/secrets?wrap_ttl=60', {}],
        ['GET', '/secrets', header],
        ['POST', '/transit/decrypt', header],
        ['GET', '/whoami', header],
      ]
      for (const [method, path, headers] of cases) {
        const res = await clients
          .find((c) => c.kind === kind)!
          .call(method, path, {
            agent,
            headers,
            ...(method === 'GET' ? {} : { body: { data: { db_login: 'changed' } } }),
          })
        expect([method, path, res.status, res.json?.error?.code]).toEqual([
          method,
          path,
          400,
          'INVALID_INPUT',
        ])
      }
      const current = await call('GET', '/secrets/app/conn')
      expect(current.json.metadata.version).toBe(2)
    })
  })

  describe.each(CLIENT_KINDS)('read_secret over MCP (%s client)', (kind) => {
    let client: TestClient
    beforeAll(async () => {
      client = opened.track(
        await connectStdio(stack.runner, principal(agent), { client: kind }),
      ).client
    })

    it('wrap_ttl answers only the wrapping token, which unwraps at Vault once', async () => {
      const r = await client.callTool({
        name: 'read_secret',
        arguments: { path: 'app/conn', wrap_ttl: 120 },
      })
      expect(r.isError).toBeFalsy()
      expect(JSON.parse(resultText(r))).toEqual(r.structuredContent)
      const info = expectHandleOnly(r.structuredContent as Record<string, unknown>, 120)
      expect(JSON.stringify(r)).not.toContain(VALUE)
      await expectUnwrapsOnce(info.token, VALUE, 2)
    })

    it('refuses bad wrap TTLs and wrapping on other tools as INVALID_INPUT tool errors', async () => {
      const cases: Array<[string, Record<string, unknown>]> = [
        ['read_secret', { path: 'app/conn', wrap_ttl: 0 }],
        ['read_secret', { path: 'app/conn', wrap_ttl: -1 }],
        ['read_secret', { path: 'app/conn', wrap_ttl: 2.5 }],
        ['read_secret', { path: 'app/conn', wrap_ttl: 'soon' }],
        ['read_secret', { path: 'app/conn', wrap_ttl: '0' }],
        ['read_secret', { path: 'app/conn', wrap_ttl: 601 }],
        ['read_secret', { path: 'app/conn', wrap_ttl: '2h' }],
        ['read_secret', { path: 'app/conn', wrap_ttl: null }],
        ['write_secret', { path: 'app/conn', data: { db_login: 'x' }, wrap_ttl: 60 }],
        ['read_secret_metadata', { path: 'app/conn', wrap_ttl: 60 }],
        ['list_secrets', { prefix: 'app/', wrap_ttl: 60 }],
        ['decrypt', { key: 'k', ciphertext: 'vault:v1:AAAA', wrap_ttl: 60 }],
      ]
      for (const [name, args] of cases) {
        const r = await client.callTool({ name, arguments: args })
        expect([name, args, toolErrorCode(r)]).toEqual([name, args, 'INVALID_INPUT'])
        expect(JSON.stringify(r)).not.toContain(VALUE)
      }
    })
  })

  it('audits the wrap by its accessor; no audit event or log line holds the token or a value', async () => {
    const before = stack.events.length
    const res = await clients[0]!.call('GET', '/secrets/app/conn?wrap_ttl=60', { agent })
    const info = expectHandleOnly(res.json, 60)
    const event = stack.events.slice(before).find((e) => e.operation === 'read_secret')
    expect(event).toMatchObject({
      agent,
      target: 'app/conn',
      outcome: 'ok',
      wrap: { accessor: info.accessor, ttl: 60 },
    })
    const trail = JSON.stringify(stack.events) + JSON.stringify(stack.logs)
    expect(trail).not.toContain(info.token)
    for (const secret of [VALUE, OLD_VALUE]) expect(trail).not.toContain(secret)
    await expectUnwrapsOnce(info.token, VALUE, 2)
  })
})
