/**
 * @module http/entry-routes: request_secret's one-time page, `GET|POST /secret-entry/{link}`.
 * It is public (the link is the capability), so it is mounted before the transport guard and
 * authentication, and it guards itself: the form POST must come from the page itself
 * (same-origin, urlencoded, with the CSRF token bound to a SameSite=Strict cookie). The write
 * goes through the operation runner, as the agent that asked, with the write scope only.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Context, Hono } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { ERROR_SPEC, type ErrorCode } from '../core/errors.js'
import { patchSecret, writeSecret, type OperationRunner } from '../core/operations.js'
import type { SecurityObserver } from '../core/ports.js'
import {
  ENTRY_PATH,
  type EntryView,
  type LinkIssuer,
  type SecretEntry,
} from '../entry/secret-entry.js'
import type { AppEnv } from './context.js'
import {
  ENTRY_CSP,
  fieldInputName,
  renderDone,
  renderForm,
  renderProblem,
  type EntryProblem,
} from './entry-page.js'

export interface EntryRouteDeps {
  entry: SecretEntry
  runner: OperationRunner
  /** The `secret-entry-csrf` subkey. */
  csrfKey: Buffer
  audit: SecurityObserver
  /** PUBLIC_URL: its origin is the page's own besides the one the request names. */
  publicUrl?: string
  /** Whether a Host header names this server (the transport guard's DNS-rebinding check). */
  hostAllowed: (hostHeader: string) => boolean
}

/** The cookie the CSRF token is bound to. */
export const ENTRY_COOKIE = 'vmb_entry'
/** The most characters one field's value may have (checked before the link is used up). */
export const ENTRY_MAX_VALUE_CHARS = 16 * 1024

const STATUS: Record<EntryProblem, number> = {
  unknown: 404,
  expired: 410,
  used: 410,
  unavailable: 503,
  failed: 409,
  forbidden: 403,
  method: 405,
  media: 415,
}

/**
 * Security: every answer of the page is uncacheable, sends no Referer onward (the link is in
 * the URL), cannot be framed, and may load nothing but its own inline stylesheet.
 */
function html(c: Context<AppEnv>, body: string, status: number) {
  c.header('Content-Security-Policy', ENTRY_CSP)
  c.header('Cache-Control', 'no-store')
  c.header('Pragma', 'no-cache')
  c.header('Referrer-Policy', 'no-referrer')
  c.header('X-Frame-Options', 'DENY')
  c.header('X-Content-Type-Options', 'nosniff')
  c.header('Cross-Origin-Opener-Policy', 'same-origin')
  return c.html(body, status as 200)
}

export function registerEntryRoutes(app: Hono<AppEnv>, deps: EntryRouteDeps): void {
  const { entry, runner, audit } = deps
  const csrfFor = (id: string, cookie: string) =>
    createHmac('sha256', deps.csrfKey).update(`${id}.${cookie}`).digest('base64url')
  const sameToken = (given: string, expected: string) => {
    const a = Buffer.from(given)
    const b = Buffer.from(expected)
    return a.length === b.length && timingSafeEqual(a, b)
  }
  const publicOrigin = deps.publicUrl ? new URL(deps.publicUrl).origin : undefined

  /** Security: reason codes and names only, never the link or a value. */
  const event = (c: Context<AppEnv>, name: string, reason: string, view?: LinkIssuer) =>
    audit.securityEvent({
      time: new Date().toISOString(),
      requestId: c.var.requestId,
      agent: view?.agent ?? '-',
      method: view?.method ?? '-',
      event: name,
      reason,
      operation: 'request_secret',
    })
  const problem = (c: Context<AppEnv>, p: EntryProblem, view?: LinkIssuer, code?: string) => {
    event(c, 'secret_entry_refused', code ? `${p}:${code}` : p, view)
    const status = code && code in ERROR_SPEC ? ERROR_SPEC[code as ErrorCode].status : STATUS[p]
    return html(c, renderProblem(p, code), status)
  }

  const cookieOf = (c: Context<AppEnv>) => {
    const current = getCookie(c, ENTRY_COOKIE)
    if (current && /^[A-Za-z0-9_-]{43}$/.test(current)) return current
    const fresh = randomBytes(32).toString('base64url')
    setCookie(c, ENTRY_COOKIE, fresh, {
      path: ENTRY_PATH,
      httpOnly: true,
      sameSite: 'Strict',
      secure: new URL(c.req.url).protocol === 'https:' || publicOrigin?.startsWith('https:'),
    })
    return fresh
  }

  const showForm = (c: Context<AppEnv>, view: EntryView, status = 200, error?: string) =>
    html(c, renderForm(view, csrfFor(view.id, cookieOf(c)), error), status)

  app.all(`${ENTRY_PATH}:link`, async (c) => {
    const method = c.req.method
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
      c.header('Allow', 'GET, HEAD, POST')
      return problem(c, 'method')
    }
    // Security: the same DNS-rebinding check as the transport guard's, for every method.
    if (!deps.hostAllowed(c.req.header('host') ?? new URL(c.req.url).host)) {
      return problem(c, 'forbidden')
    }
    const link = c.req.param('link')
    const opened = await entry.open(link)
    if (!opened.ok) return problem(c, opened.reason, opened.issuer)
    const { view } = opened
    if (method !== 'POST') return showForm(c, view)

    // Security: a browser sends a urlencoded form cross-site without asking first; only the
    // page's own form, from its own origin, with the token bound to the cookie, is taken.
    const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
    if (type !== 'application/x-www-form-urlencoded') return problem(c, 'media', view)
    const site = c.req.header('sec-fetch-site')?.toLowerCase()
    if (site !== undefined && site !== 'same-origin') return problem(c, 'forbidden', view)
    // The page's `Referrer-Policy: no-referrer` makes browsers send `Origin: null` with its own
    // form; that is taken only with the browser's word that the post is same-origin.
    const origin = c.req.header('origin')
    const own = origin === new URL(c.req.url).origin || origin === publicOrigin
    if (origin !== undefined && !own && !(origin === 'null' && site === 'same-origin')) {
      return problem(c, 'forbidden', view)
    }
    const form = new URLSearchParams(await c.req.text())
    const cookie = getCookie(c, ENTRY_COOKIE)
    const csrf = form.get('csrf')
    if (!cookie || !csrf || !sameToken(csrf, csrfFor(view.id, cookie))) {
      return problem(c, 'forbidden', view, undefined)
    }

    // Only the named fields are taken; anything else in the form is ignored.
    const data: Record<string, string> = {}
    for (const f of view.fields) {
      const value = form.get(fieldInputName(f.name)) ?? ''
      if (value === '') return showForm(c, view, 400, `Fill in every field (${f.name} is empty).`)
      if (value.length > ENTRY_MAX_VALUE_CHARS) {
        return showForm(c, view, 400, `${f.name} is longer than the bridge accepts.`)
      }
      data[f.name] = value
    }

    const done = await entry.submit(link, async (v) => {
      const ctx = {
        // Security: the agent that asked, with one scope: the one write this link grants.
        principal: { agent: v.agent, method: v.method, scopes: ['write' as const] },
        requestId: c.var.requestId,
      }
      // The link's cas: Vault takes this write once, and only over the version the link saw.
      const op = v.update ? patchSecret : writeSecret
      const input = { path: v.path, data, cas: v.cas }
      const out = (await runner.run(op, ctx, input)) as { metadata: { version: number } }
      return out.metadata.version
    })
    if (done.ok) {
      event(c, 'secret_entry_submitted', 'written', done.view)
      return html(c, renderDone(done.view, done.version), 200)
    }
    if (done.reason === 'failed') {
      event(c, 'secret_entry_submitted', `failed:${done.code ?? 'INTERNAL'}`, done.view)
      const status = ERROR_SPEC[(done.code ?? 'INTERNAL') as ErrorCode]?.status ?? 500
      return html(c, renderProblem('failed', done.code, done.view), status)
    }
    return problem(c, done.reason, done.issuer ?? view)
  })
}
