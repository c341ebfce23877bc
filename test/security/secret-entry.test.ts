/**
 * @module Attacks on request_secret's one-time page (issue 14), over real HTTP against a bridge
 * as `serve` composes it: a rewritten or foreign-key link, an expired one, a replay, a POST
 * without the CSRF token or cookie, from another site, or not as a form; a link used to read;
 * the page's headers; and the value showing up anywhere but in Vault. The browser run is
 * test/e2e/secret-entry.external.test.ts; across replicas, secret-entry-replicas.external.
 */
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openLink, postForm } from '../helpers/entry-page.js'
import { newSigningKey, startEntryBridge, type EntryBridge } from '../helpers/entry-bridge.js'
import { apiKeyOf, postModern } from '../helpers/mcp-harness.js'
import { startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

const VALUE = 'attacked-entry-value-Qm3'
const FIELDS = [{ name: 'password', description: 'The password' }]
let stack: VaultStack
let bridge: EntryBridge
let owner: string
let other: string

beforeAll(async () => {
  stack = await startVaultStack()
  owner = stack.agent('entry-owner')
  other = stack.agent('entry-other')
  bridge = await startEntryBridge(stack, [owner, other], {
    SECRET_ENTRY_TTL: '2m',
    METRICS_ENABLED: 'true',
  })
})
afterAll(async () => {
  await bridge?.close()
  await stack?.close()
})

const secretAt = async (agent: string, path: string) => {
  try {
    const r = (await stack.root.read(`secret/data/${stack.prefix}/${agent}/${path}`)) as {
      data: { data: Record<string, string> }
    }
    return r.data.data
  } catch {
    return undefined
  }
}

/** A fresh link of the owner for `path`. */
async function link(path: string, extra: object = {}) {
  const res = await bridge.ask(owner, { path, fields: FIELDS, ...extra })
  expect(res.status).toBe(200)
  return { url: res.json.url as string, id: res.json.request_id as string }
}

/** A link's signed claims: its agent, and its payload (`p`: the path). */
interface LinkClaims {
  s: string
  p: { p: string }
}

/** The link with its signed body rewritten by `change`, its signature kept. */
function rewritten(url: string, change: (claims: LinkClaims) => void) {
  const u = new URL(url)
  const token = u.pathname.split('/').at(-1)!
  const [v, body, mac] = token.split('.')
  const claims = JSON.parse(Buffer.from(body!, 'base64url').toString()) as LinkClaims
  change(claims)
  u.pathname = `/secret-entry/${v}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`
  return u.toString()
}

const lastRefusal = () => bridge.security.filter((e) => e.event === 'secret_entry_refused').at(-1)

describe('attacks on the request_secret page, each refused', () => {
  it('a request_secret link rewritten to another path or agent is refused and writes nothing', async () => {
    const { url } = await link('rewrite/target')
    const toPath = rewritten(url, (c) => void (c.p.p = 'elsewhere'))
    const toAgent = rewritten(url, (c) => void (c.s = other))
    for (const forged of [toPath, toAgent]) {
      const page = await openLink(forged)
      expect(page.status).toBe(404)
      expect(page.csrf).toBeUndefined()
      // Even with a good page's token and cookie, the forged link cannot be posted to.
      const good = await openLink(url)
      const post = await postForm(forged, good, { password: VALUE })
      expect(post.status).toBe(404)
    }
    expect(lastRefusal()).toMatchObject({ reason: 'unknown', agent: '-' })
    expect(await secretAt(owner, 'elsewhere')).toBeUndefined()
    expect(await secretAt(other, 'rewrite/target')).toBeUndefined()
    expect(await secretAt(owner, 'rewrite/target')).toBeUndefined()
  })

  it('a request_secret link signed with another key is refused', async () => {
    const stranger = await startEntryBridge(stack, [owner], { STATE_SIGNING_KEY: newSigningKey() })
    try {
      const res = await stranger.ask(owner, { path: 'foreign-key', fields: FIELDS })
      const theirs = new URL(res.json.url)
      const here = new URL(theirs.pathname, bridge.url).toString()
      expect((await openLink(here)).status).toBe(404)
    } finally {
      await stranger.close()
    }
  })

  it('an expired request_secret link shows the expired page and writes nothing', async () => {
    const { url, id } = await link('expired')
    const page = await openLink(url)
    expect(page.status).toBe(200)
    bridge.skew(2 * 60_000 + 1000)
    try {
      const again = await openLink(url)
      expect(again.status).toBe(410)
      expect(again.html).toContain('expired')
      expect((await postForm(url, page, { password: VALUE })).status).toBe(410)
      // The signed link names its agent, so the audit line does too, even past its expiry.
      expect(lastRefusal()).toMatchObject({ reason: 'expired', agent: owner, method: 'api_key' })
      expect((await bridge.check(owner, id)).json.status).toBe('expired')
    } finally {
      bridge.skew(-(2 * 60_000 + 1000))
    }
    expect(await secretAt(owner, 'expired')).toBeUndefined()
  })

  it('a request_secret link is used once: a second submission is refused', async () => {
    const { url } = await link('once')
    const page = await openLink(url)
    const [a, b] = await Promise.all([
      postForm(url, page, { password: VALUE }),
      postForm(url, page, { password: 'second-value' }),
    ])
    expect([a.status, b.status].sort()).toEqual([200, 410])
    const third = await postForm(url, page, { password: 'third-value' })
    expect(third.status).toBe(410)
    expect(third.html).toContain('already used')
    expect(Object.values((await secretAt(owner, 'once'))!)).toHaveLength(1)
  })

  it('a used request_secret link is refused after a restart without Redis', async () => {
    // Two bridges in sequence with memory stores (no Redis), one key, one Vault: the second has
    // forgotten every nonce and record, so only Vault's check-and-set stands in the way.
    const env = { STATE_SIGNING_KEY: newSigningKey(), SECRET_ENTRY_TTL: '2m' }
    await fetch(new URL('/secrets/restarted', bridge.url), {
      method: 'PUT',
      headers: { 'x-api-key': apiKeyOf(owner), 'content-type': 'application/json' },
      body: JSON.stringify({ data: { password: 'old', user: 'u' } }),
    })
    const first = await startEntryBridge(stack, [owner], env)
    const links: { url: string; page: Awaited<ReturnType<typeof openLink>> }[] = []
    try {
      for (const extra of [{ path: 'restarted', update: true }, { path: 'restarted-new' }]) {
        const res = await first.ask(owner, { fields: FIELDS, ...extra })
        expect(res.status).toBe(200)
        const url = res.json.url as string
        const page = await openLink(url)
        expect((await postForm(url, page, { password: VALUE })).status).toBe(200)
        links.push({ url, page })
      }
    } finally {
      await first.close()
    }
    const second = await startEntryBridge(stack, [owner], env)
    try {
      for (const { url: before, page: old } of links) {
        const url = new URL(new URL(before).pathname, second.url).toString()
        // The page still opens (nothing remembers the link), but the write is refused by Vault.
        const page = await openLink(url, old.cookie)
        expect(page.status).toBe(200)
        const again = await postForm(url, page, { password: 'second-overwrite' })
        expect(again.status).toBe(409)
        expect(again.html).toContain('nothing was written')
        expect(again.html).not.toContain(VALUE)
      }
      expect(second.security.map((e) => `${e.event}:${e.reason}:${e.agent}`)).toEqual(
        expect.arrayContaining([`secret_entry_submitted:failed:CAS_MISMATCH:${owner}`]),
      )
    } finally {
      await second.close()
    }
    // The values are the person's, written once: version 2 of the updated secret, 1 of the new.
    expect(await secretAt(owner, 'restarted')).toEqual({ password: VALUE, user: 'u' })
    expect(await secretAt(owner, 'restarted-new')).toEqual({ password: VALUE })
    const versions = await Promise.all(
      ['restarted', 'restarted-new'].map(
        async (p) =>
          (
            (await stack.root.read(`secret/metadata/${stack.prefix}/${owner}/${p}`)) as {
              data: { current_version: number }
            }
          ).data.current_version,
      ),
    )
    expect(versions).toEqual([2, 1])
  })

  it('an agent flooding request_secret is stopped at its cap of open links; others are not', async () => {
    const capped = await startEntryBridge(stack, [owner, other], { SECRET_ENTRY_MAX_OPEN: '3' })
    try {
      const ask = (agent: string, path: string) => capped.ask(agent, { path, fields: FIELDS })
      const open = []
      for (let i = 0; i < 3; i++) open.push(await ask(owner, `flood/${i}`))
      expect(open.map((r) => r.status)).toEqual([200, 200, 200])
      for (let i = 3; i < 6; i++) {
        const over = await ask(owner, `flood/${i}`)
        expect(over.status).toBe(429)
        expect(over.json.error.code).toBe('TOO_MANY_OPEN_REQUESTS')
        expect(over.json.error.message).toContain('SECRET_ENTRY_MAX_OPEN')
        // Retry-After: when the oldest link expires (SECRET_ENTRY_TTL, 10 minutes, from now).
        expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(590)
        expect(Number(over.headers.get('retry-after'))).toBeLessThanOrEqual(600)
      }
      expect((await ask(other, 'flood/other')).status).toBe(200)
      // A link the person used frees its place; the refused requests made no link at all.
      const url = open[0]!.json.url as string
      expect((await postForm(url, await openLink(url), { password: VALUE })).status).toBe(200)
      expect((await ask(owner, 'flood/again')).status).toBe(200)
      expect((await ask(owner, 'flood/more')).status).toBe(429)
      // Near the oldest link's end, Retry-After says so; past it, its place is free again.
      capped.skew(595_000)
      const later = await ask(owner, 'flood/later')
      expect(later.status).toBe(429)
      expect(Number(later.headers.get('retry-after'))).toBeLessThanOrEqual(5)
      expect(later.json.error.message).toMatch(/oldest link expires in [1-5] seconds/)
      capped.skew(5_000)
      expect((await ask(owner, 'flood/later')).status).toBe(200)
    } finally {
      await capped.close()
    }
  })

  it("a secret-entry POST without the CSRF token, or with another link's, is refused", async () => {
    const { url } = await link('csrf')
    const page = await openLink(url)
    expect((await postForm(url, page, { password: VALUE }, { csrf: null })).status).toBe(403)
    const another = await link('csrf-other')
    const theirs = await openLink(another.url, page.cookie)
    expect((await postForm(url, page, { password: VALUE }, { csrf: theirs.csrf })).status).toBe(403)
    expect(lastRefusal()).toMatchObject({ reason: 'forbidden', agent: owner })
    expect(await secretAt(owner, 'csrf')).toBeUndefined()
    // Refused posts leave the link usable by the person.
    expect((await postForm(url, page, { password: VALUE })).status).toBe(200)
  })

  it('a secret-entry POST without the CSRF cookie is refused', async () => {
    const { url } = await link('cookie')
    const page = await openLink(url)
    expect((await postForm(url, page, { password: VALUE }, { cookie: null })).status).toBe(403)
    const stranger = await openLink(url)
    expect(
      (await postForm(url, page, { password: VALUE }, { cookie: stranger.cookie })).status,
    ).toBe(403)
    expect(await secretAt(owner, 'cookie')).toBeUndefined()
  })

  it('a cross-site secret-entry POST is refused', async () => {
    const { url } = await link('cross-site')
    const page = await openLink(url)
    const crossSite = { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }
    const sameSite = { 'sec-fetch-site': 'same-site' }
    const foreign = { origin: 'https://evil.example' }
    // An opaque Origin (a sandboxed frame, a data: page) without the browser's same-origin word.
    const opaque = { origin: 'null', 'sec-fetch-site': '' }
    for (const headers of [crossSite, sameSite, foreign, opaque]) {
      expect((await postForm(url, page, { password: VALUE }, { headers })).status).toBe(403)
    }
    expect(await secretAt(owner, 'cross-site')).toBeUndefined()
  })

  it('a secret-entry POST that is not a urlencoded form is refused', async () => {
    const { url } = await link('media')
    const page = await openLink(url)
    for (const contentType of [
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/json',
    ]) {
      expect((await postForm(url, page, { password: VALUE }, { contentType })).status).toBe(415)
    }
    const put = await fetch(url, { method: 'PUT', body: 'x' })
    expect(put.status).toBe(405)
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST')
    // A GET carrying values in the query writes nothing.
    await fetch(`${url}?field.password=${VALUE}`)
    expect(await secretAt(owner, 'media')).toBeUndefined()
  })

  it('a request_secret link never reads: its page shows no stored value', async () => {
    const existing = 'stored-before-the-link-Xy'
    await fetch(new URL('/secrets/readme', bridge.url), {
      method: 'PUT',
      headers: { 'x-api-key': apiKeyOf(owner), 'content-type': 'application/json' },
      body: JSON.stringify({ data: { password: existing, user: 'u' } }),
    })
    const { url } = await link('readme', { update: true })
    const page = await openLink(url)
    expect(page.status).toBe(200)
    expect(page.html).not.toContain(existing)
    expect(page.html).not.toContain('value="u"')
    const done = await postForm(url, page, { password: VALUE })
    expect(done.status).toBe(200)
    expect(done.html).not.toContain(existing)
    expect(done.html).not.toContain(VALUE)
  })

  it('the secret-entry page cannot be cached, framed or leak its URL as a Referer', async () => {
    const { url } = await link('headers')
    for (const res of [await openLink(url), await openLink(`${url}x`)]) {
      const csp = res.headers.get('content-security-policy') ?? ''
      expect(csp).toContain("default-src 'none'")
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).toContain("form-action 'self'")
      expect(csp).not.toContain('unsafe-inline')
      expect(csp).not.toMatch(/script-src/)
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(res.headers.get('referrer-policy')).toBe('no-referrer')
      expect(res.headers.get('x-frame-options')).toBe('DENY')
      expect(res.html).not.toMatch(/<script|src=|href=/i)
    }
    const page = await openLink(url)
    expect(page.headers.get('set-cookie')).toMatch(/HttpOnly/)
    expect(page.headers.get('set-cookie')).toMatch(/SameSite=Strict/)
  })

  it('a value entered on the page reaches no log line, audit line, metric or error', async () => {
    await fetch(new URL('/secrets/taken', bridge.url), {
      method: 'PUT',
      headers: { 'x-api-key': apiKeyOf(owner), 'content-type': 'application/json' },
      body: JSON.stringify({ data: { password: 'old' } }),
    })
    const ok = await link('nowhere')
    const okPage = await openLink(ok.url)
    const okDone = await postForm(ok.url, okPage, { password: VALUE })
    const failed = await link('taken')
    const failedPage = await openLink(failed.url)
    const failedDone = await postForm(failed.url, failedPage, { password: VALUE })
    expect(okDone.status).toBe(200)
    expect(failedDone.status).toBe(409)
    for (const html of [okDone.html, failedDone.html]) expect(html).not.toContain(VALUE)
    const checks = await Promise.all([ok, failed].map((l) => bridge.check(owner, l.id)))
    expect(checks.map((c) => c.json.status)).toEqual(['written', 'failed'])
    expect(JSON.stringify(checks.map((c) => c.json))).not.toContain(VALUE)
    expect(bridge.everything()).not.toContain(VALUE)
    // Nor does the link itself reach the log lines or a metric label (the route pattern does).
    const token = new URL(ok.url).pathname.split('/').at(-1)!
    expect(JSON.stringify(bridge.logs)).not.toContain(token)
    const metrics = await (await fetch(new URL('/metrics', bridge.url))).text()
    expect(metrics).toContain('/secret-entry/:link')
    expect(metrics).not.toContain(VALUE)
    expect(metrics).not.toContain(token)
    expect(bridge.security.map((e) => `${e.event}:${e.reason}`)).toEqual(
      expect.arrayContaining([
        'secret_entry_submitted:written',
        'secret_entry_submitted:failed:CAS_MISMATCH',
      ]),
    )
  })

  it('form posts to the other routes are still refused by the transport guard', async () => {
    for (const path of ['/secret-requests', '/mcp', '/secrets/x']) {
      const res = await fetch(new URL(path, bridge.url), {
        method: path === '/secrets/x' ? 'PUT' : 'POST',
        headers: {
          'x-api-key': apiKeyOf(owner),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'path=x&fields=y',
      })
      expect({ path, status: res.status }).toEqual({ path, status: 415 })
    }
  })

  it('a request_secret requestState reused for another path is refused', async () => {
    const args = (path: string) => ({ path, fields: FIELDS })
    const call = (path: string, extra: Record<string, unknown> = {}) =>
      postModern(
        bridge.url,
        'tools/call',
        { name: 'request_secret', arguments: args(path), ...extra },
        { capabilities: { elicitation: { url: {} } }, headers: { 'x-api-key': apiKeyOf(owner) } },
      )
    const first = await call('state/asked')
    expect(first.json.result.resultType).toBe('input_required')
    const requestState = first.json.result.requestState as string
    const answer = { inputResponses: { secret_entry: { action: 'accept' } }, requestState }
    const from = bridge.security.length
    const other = await call('state/other', answer)
    expect(other.json.error.code).toBe(-32602)
    expect(bridge.security.slice(from).map((e) => `${e.event}:${e.reason}`)).toEqual([
      'request_state_refused:request',
    ])
    // The state was used up by the refused call; the path it was not issued for got no link.
    expect((await call('state/asked', answer)).json.error.code).toBe(-32602)
    expect(bridge.events.filter((e) => e.target === 'state/other')).toEqual([])
  })

  it('the request_secret page refuses a DNS-rebinding Host', async () => {
    const { url } = await link('rebinding')
    const page = await openLink(url)
    const u = new URL(url)
    const statusWith = (method: string, headers: Record<string, string>, body = '') =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          { host: u.hostname, port: u.port, path: u.pathname, method, headers },
          (res) => {
            res.resume()
            resolve(res.statusCode ?? 0)
          },
        )
        req.on('error', reject)
        req.end(body)
      })
    const rebinding = { host: `evil.example:${u.port}` }
    expect(await statusWith('GET', rebinding)).toBe(403)
    const form = `csrf=${encodeURIComponent(page.csrf!)}&field.password=${VALUE}`
    const post = {
      ...rebinding,
      'content-type': 'application/x-www-form-urlencoded',
      'sec-fetch-site': 'same-origin',
      cookie: page.cookie!,
    }
    expect(await statusWith('POST', post, form)).toBe(403)
    expect(await secretAt(owner, 'rebinding')).toBeUndefined()
    // The real host name still works.
    expect((await openLink(url)).status).toBe(200)
  })
})
