/**
 * @module test/helpers/entry-page: request_secret's one-time page as a plain HTTP client sees
 * it (fetch, no browser): open a link (its form, CSRF token and cookie) and post the form, as the
 * page would or with one thing changed (no token, another site, another media type).
 */
import { ENTRY_COOKIE } from '../../src/http/entry-routes.js'
import { fieldInputName } from '../../src/http/entry-page.js'

export interface OpenedPage {
  status: number
  headers: Headers
  html: string
  /** The form's CSRF token, when the page is a form. */
  csrf?: string
  /** `name=value` of the CSRF cookie the page set. */
  cookie?: string
}

/** GET a link, as a browser opening it. */
export async function openLink(url: string, cookie?: string): Promise<OpenedPage> {
  const res = await fetch(url, { headers: cookie ? { cookie } : {}, redirect: 'manual' })
  const html = await res.text()
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1]
  const set = res.headers.get('set-cookie') ?? ''
  const own = new RegExp(`${ENTRY_COOKIE}=([^;]+)`).exec(set)?.[0]
  return { status: res.status, headers: res.headers, html, csrf, cookie: own ?? cookie }
}

export interface PostOptions {
  /** Omit the token (true), or send this one. */
  csrf?: string | null
  cookie?: string | null
  /** Extra headers; an empty value leaves that header out. */
  headers?: Record<string, string>
  contentType?: string
  /** Extra form fields beyond the named ones. */
  extra?: Record<string, string>
}

/** POST the form of an opened page with `values` (field name → value). */
export async function postForm(
  url: string,
  page: OpenedPage,
  values: Record<string, string>,
  options: PostOptions = {},
): Promise<{ status: number; html: string; headers: Headers }> {
  const form = new URLSearchParams()
  const csrf = options.csrf === undefined ? page.csrf : options.csrf
  if (csrf !== null && csrf !== undefined) form.set('csrf', csrf)
  for (const [name, value] of Object.entries(values)) form.set(fieldInputName(name), value)
  for (const [name, value] of Object.entries(options.extra ?? {})) form.set(name, value)
  const cookie = options.cookie === undefined ? page.cookie : options.cookie
  const headers = Object.entries({
    'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
    // What a browser sends with the page's own form (no-referrer makes its Origin "null").
    origin: 'null',
    'sec-fetch-site': 'same-origin',
    ...(cookie ? { cookie } : {}),
    ...options.headers,
  }).filter(([, v]) => v !== '')
  const res = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: Object.fromEntries(headers),
    body: form.toString(),
  })
  return { status: res.status, html: await res.text(), headers: res.headers }
}
