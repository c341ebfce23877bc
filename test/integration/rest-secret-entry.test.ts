/**
 * @module request_secret over REST and its one-time page over real HTTP: a person's value goes
 * to Vault under the agent's namespace (and its child token in the child-token run), the agent
 * learns path, version and field names only, and the page's own rules (one use, the named
 * fields only, create unless asked to update). The attacks are in test/security/secret-entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openLink, postForm } from '../helpers/entry-page.js'
import { createTestApp, httpClient, serveTestApp, type RestClient } from '../helpers/test-app.js'
import { startVaultStack, type VaultStack } from '../helpers/vault-stack.js'
import type { HttpServer } from '../../src/http/server.js'

const VALUE = 'entry-value-Zq8!x'
let stack: VaultStack
let server: HttpServer
let client: RestClient

beforeAll(async () => {
  stack = await startVaultStack()
  server = await serveTestApp(createTestApp(stack))
  client = httpClient(server.url)
})
afterAll(async () => {
  await server?.close(1000)
  await stack?.close()
})

const FIELDS = [
  { name: 'password', description: 'The database password' },
  { name: 'user', description: 'The database user <b>name</b>' },
]

const ask = (agent: string, body: object) =>
  client.call('POST', '/secret-requests', { agent, body })

const inVault = async (agent: string, path: string) =>
  (
    (await stack.root.read(`secret/data/${stack.prefix}/${agent}/${path}`)) as {
      data: { data: Record<string, string>; metadata: { version: number } }
    }
  ).data

describe('request_secret over REST', () => {
  it('gives a link; the person submits once; the agent sees path, version and names only', async () => {
    const agent = stack.agent('entry')
    const res = await ask(agent, { path: 'app/db', fields: FIELDS })
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({ path: 'app/db', fields: ['password', 'user'] })
    expect(res.json.status).toBe('pending')
    const url = res.json.url as string
    expect(new URL(url).origin).toBe(server.url)

    const page = await openLink(url)
    expect(page.status).toBe(200)
    expect(page.html).toContain(agent)
    expect(page.html).toContain('app/db')
    // Descriptions are text, never markup.
    expect(page.html).toContain('The database user &lt;b&gt;name&lt;/b&gt;')
    expect(page.html.match(/type="password"/g)).toHaveLength(2)
    expect(page.csrf).toBeDefined()

    const done = await postForm(
      url,
      page,
      { password: VALUE, user: 'app' },
      {
        extra: { path: 'elsewhere', 'field.other': 'x' },
      },
    )
    expect(done.status).toBe(200)
    expect(done.html).toContain('version 1')
    const stored = await inVault(agent, 'app/db')
    // Only the named fields, at the named path.
    expect(stored.data).toEqual({ password: VALUE, user: 'app' })

    const check = await client.call('GET', `/secret-requests/${res.json.request_id}`, { agent })
    expect(check.status).toBe(200)
    expect(check.json).toMatchObject({ status: 'written', version: 1, path: 'app/db' })
    expect(JSON.stringify(check.json)).not.toContain(VALUE)
    expect(JSON.stringify(stack.events)).not.toContain(VALUE)
    expect(JSON.stringify(stack.security)).not.toContain(VALUE)
    expect(JSON.stringify(stack.logs)).not.toContain(VALUE)
    expect(stack.security.map((e) => `${e.event}:${e.reason}`)).toContain(
      'secret_entry_submitted:written',
    )
    const ops = stack.events.filter((e) => e.agent === agent).map((e) => e.operation)
    expect(ops).toEqual(['request_secret', 'write_secret', 'check_secret_request'])

    // The link is used: the page says so, and a second submission stores nothing.
    expect((await openLink(url, page.cookie)).status).toBe(410)
    const again = await postForm(url, page, { password: 'second', user: 'x' })
    expect(again.status).toBe(410)
    expect((await inVault(agent, 'app/db')).data.password).toBe(VALUE)
  })

  it('creates by default: an existing secret is not overwritten, and the request fails', async () => {
    const agent = stack.agent('entry')
    await client.call('PUT', '/secrets/taken', { agent, body: { data: { password: 'old' } } })
    const res = await ask(agent, { path: 'taken', fields: [FIELDS[0]] })
    const page = await openLink(res.json.url)
    const done = await postForm(res.json.url, page, { password: VALUE })
    expect(done.status).toBe(409)
    expect(done.html).not.toContain(VALUE)
    expect((await inVault(agent, 'taken')).data).toEqual({ password: 'old' })
    const check = await client.call('GET', `/secret-requests/${res.json.request_id}`, { agent })
    expect(check.json).toMatchObject({ status: 'failed', error: 'CAS_MISMATCH' })
  })

  it('with update, changes the named fields of an existing secret and keeps the others', async () => {
    const agent = stack.agent('entry')
    await client.call('PUT', '/secrets/api', { agent, body: { data: { key: 'old', id: 'k1' } } })
    const res = await ask(agent, {
      path: 'api',
      fields: [{ name: 'key', description: 'Key' }],
      update: true,
    })
    const page = await openLink(res.json.url)
    expect((await postForm(res.json.url, page, { key: VALUE })).status).toBe(200)
    expect(await inVault(agent, 'api')).toMatchObject({ data: { key: VALUE, id: 'k1' } })
    const check = await client.call('GET', `/secret-requests/${res.json.request_id}`, { agent })
    expect(check.json).toMatchObject({ status: 'written', version: 2 })
  })

  it('with update, refuses to write over a change made since the link, and says so', async () => {
    const agent = stack.agent('entry')
    await client.call('PUT', '/secrets/moved', { agent, body: { data: { key: 'v1' } } })
    const res = await ask(agent, {
      path: 'moved',
      fields: [{ name: 'key', description: 'Key' }],
      update: true,
    })
    // Someone else changes the secret after the link was made.
    await client.call('PUT', '/secrets/moved', { agent, body: { data: { key: 'v2' } } })
    const page = await openLink(res.json.url)
    const done = await postForm(res.json.url, page, { key: VALUE })
    expect(done.status).toBe(409)
    expect(done.html).toContain('The secret changed since this link was made')
    expect(done.html).toContain('ask the agent for a new link')
    expect(await inVault(agent, 'moved')).toMatchObject({ data: { key: 'v2' } })
    const check = await client.call('GET', `/secret-requests/${res.json.request_id}`, { agent })
    expect(check.json).toMatchObject({ status: 'failed', error: 'CAS_MISMATCH' })
  })

  it('with update, refuses a path with no secret before any link exists', async () => {
    const agent = stack.agent('entry')
    const res = await ask(agent, {
      path: 'not-there',
      fields: [{ name: 'key', description: 'Key' }],
      update: true,
    })
    expect(res.status).toBe(404)
    expect(res.json.error.code).toBe('SECRET_NOT_FOUND')
    expect(res.json.url).toBeUndefined()
  })

  it('an empty field shows the form again and leaves the link usable', async () => {
    const agent = stack.agent('entry')
    const res = await ask(agent, { path: 'empty', fields: FIELDS })
    const page = await openLink(res.json.url)
    const bad = await postForm(res.json.url, page, { password: VALUE, user: '' })
    expect(bad.status).toBe(400)
    expect(bad.html).toContain('type="password"')
    expect((await postForm(res.json.url, page, { password: VALUE, user: 'u' })).status).toBe(200)
  })

  it('refuses bad requests with clear codes, before any link exists', async () => {
    const agent = stack.agent('entry')
    const cases: [object, number, string][] = [
      [{ path: '../other/x', fields: FIELDS }, 400, 'INVALID_PATH'],
      [{ path: 'x', fields: [] }, 400, 'INVALID_INPUT'],
      [{ path: 'x', fields: [FIELDS[0], FIELDS[0]] }, 400, 'INVALID_INPUT'],
      [{ path: 'x', fields: [{ name: 'a b', description: 'd' }] }, 400, 'INVALID_INPUT'],
      [{ path: 'x', fields: [{ name: 'a', description: '' }] }, 400, 'INVALID_INPUT'],
      [{ path: 'x', fields: FIELDS, data: { a: 1 } }, 400, 'INVALID_INPUT'],
    ]
    for (const [body, status, code] of cases) {
      const res = await ask(agent, body)
      expect({ body, status: res.status, code: res.json.error.code }).toEqual({
        body,
        status,
        code,
      })
    }
    const noWrite = await client.call('POST', '/secret-requests', {
      agent,
      scopes: ['read', 'list'],
      body: { path: 'x', fields: FIELDS },
    })
    expect(noWrite.status).toBe(403)
    const unknown = await client.call('GET', '/secret-requests/AAAAAAAAAAAAAAAAAAAAAA', { agent })
    expect(unknown.json.error.code).toBe('NOT_FOUND')
  })

  it("shows a request's outcome to its own agent only", async () => {
    const agent = stack.agent('entry')
    const res = await ask(agent, { path: 'mine', fields: FIELDS })
    const other = await client.call('GET', `/secret-requests/${res.json.request_id}`, {
      agent: stack.agent('other'),
    })
    expect(other.status).toBe(404)
    const own = await client.call('GET', `/secret-requests/${res.json.request_id}`, { agent })
    expect(own.json.status).toBe('pending')
  })
})
