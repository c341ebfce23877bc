/**
 * @module request_secret end to end in a real browser: an MCP client asks for a secret, a
 * person opens the link in headless Chromium (Debian's, through playwright-core), types the value
 * and submits; the value is then in Vault and in no tool result, log line or audit line. A second
 * submission, an expired link, a tampered link and a POST without the CSRF token are refused in
 * the browser too. Screenshots of every page go to test-results/secret-entry/.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumSuitesRun, launchChromium, testOutputDir } from '../helpers/chromium.js'
import { startEntryBridge, type EntryBridge } from '../helpers/entry-bridge.js'
import { apiKeyOf, connectHttp, type Connected } from '../helpers/mcp-harness.js'
import { startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

if (!chromiumSuitesRun) console.warn('SKIPPED secret-entry-browser: chromium is not installed')

const VALUE = 'typed-in-chromium-V9#q'
const FIELDS = [
  { name: 'password', description: 'Password of the reporting database' },
  { name: 'user', description: 'Its user name' },
]
const TTL_MS = 60_000
let stack: VaultStack
let bridge: EntryBridge
let browser: Browser
let mcp: Connected
let agent: string
let dir: string
let auditFile: string
const shots = () => testOutputDir('secret-entry')

beforeAll(async () => {
  if (!chromiumSuitesRun) return
  dir = mkdtempSync(join(tmpdir(), 'entry-browser-'))
  auditFile = join(dir, 'audit.log')
  stack = await startVaultStack()
  agent = stack.agent('browser')
  bridge = await startEntryBridge(stack, [agent], { SECRET_ENTRY_TTL: '1m', AUDIT_LOG: auditFile })
  browser = await launchChromium()
  mcp = await connectHttp(new URL('/mcp', bridge.url), { 'x-api-key': apiKeyOf(agent) })
})
afterAll(async () => {
  await mcp?.close()
  await browser?.close()
  await bridge?.close()
  await stack?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** request_secret as the model calls it; its result carries the link (no URL elicitation). */
async function requestLink(path: string) {
  const res = await mcp.client.callTool({
    name: 'request_secret',
    arguments: { path, fields: FIELDS },
  })
  expect(res.isError).toBeFalsy()
  return res.structuredContent as { url: string; request_id: string }
}

/** A fresh browser context (its own cookies) with a phone's viewport, and its CSP complaints. */
async function phone(): Promise<{ context: BrowserContext; page: Page; complaints: string[] }> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  })
  const page = await context.newPage()
  const complaints: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') complaints.push(m.text())
  })
  return { context, page, complaints }
}

const fill = async (page: Page, password: string, user: string) => {
  await page.fill('input[name="field.password"]', password)
  await page.fill('input[name="field.user"]', user)
}

const heading = (page: Page) => page.textContent('h1')

/** Presses the form's button as a person would; the answer to the POST. */
const submit = async (page: Page) =>
  (await Promise.all([page.waitForNavigation(), page.click('button')]))[0]

const secretAt = async (path: string) => {
  try {
    return (
      (await stack.root.read(`secret/data/${stack.prefix}/${agent}/${path}`)) as {
        data: { data: Record<string, string> }
      }
    ).data.data
  } catch {
    return undefined
  }
}

describe.skipIf(!chromiumSuitesRun)('request_secret in headless Chromium', () => {
  it('a person enters a secret; the model sees only its path, version and field names', async () => {
    const { url, request_id } = await requestLink('reports/db')
    const { context, page, complaints } = await phone()
    try {
      const opened = await page.goto(url)
      expect(opened?.status()).toBe(200)
      expect(await heading(page)).toBe('Enter a secret')
      expect(await page.textContent('main')).toContain(agent)
      expect(await page.getAttribute('input[name="field.password"]', 'type')).toBe('password')
      expect(await page.getAttribute('input[name="field.user"]', 'type')).toBe('password')
      // Usable on a phone: nothing wider than the screen, the button within reach.
      const width = await page.evaluate<number>('document.documentElement.scrollWidth')
      expect(width).toBeLessThanOrEqual(390)
      const button = await page.locator('button[type="submit"]').boundingBox()
      expect(button!.width).toBeGreaterThan(300)
      await fill(page, VALUE, 'reporter')
      await page.screenshot({ path: join(shots(), '1-form.png'), fullPage: true })

      const answer = await submit(page)
      expect(answer?.status()).toBe(200)
      expect(await heading(page)).toBe('Secret stored')
      expect(await page.textContent('main')).toContain('version 1')
      await page.screenshot({ path: join(shots(), '2-stored.png'), fullPage: true })
      // The page's own stylesheet is allowed by its CSP; nothing else was loaded or refused.
      expect(complaints).toEqual([])
    } finally {
      await context.close()
    }

    expect(await secretAt('reports/db')).toEqual({ password: VALUE, user: 'reporter' })
    const check = await mcp.client.callTool({
      name: 'check_secret_request',
      arguments: { request_id },
    })
    expect(check.structuredContent).toMatchObject({
      path: 'reports/db',
      status: 'written',
      version: 1,
      fields: ['password', 'user'],
    })
    const meta = await mcp.client.callTool({
      name: 'read_secret_metadata',
      arguments: { path: 'reports/db' },
    })
    for (const result of [check, meta]) expect(JSON.stringify(result)).not.toContain(VALUE)
    expect(bridge.everything()).not.toContain(VALUE)
    // The trail is written asynchronously (a bounded queue): wait for the last call's line
    // before reading the file, instead of reading it while lines may still be on their way.
    const trail = () => readFileSync(auditFile, 'utf8')
    await expect.poll(trail, { timeout: 5000 }).toContain('"operation":"check_secret_request"')
    const audit = trail()
    expect(audit).not.toContain(VALUE)
    expect(audit).toContain('"operation":"request_secret"')
    expect(audit).toContain('"event":"secret_entry_submitted"')
  })

  it('a second submission of the same link is refused in the browser', async () => {
    const { url } = await requestLink('reports/twice')
    const { context, page } = await phone()
    try {
      const second = await context.newPage()
      await page.goto(url)
      await second.goto(url)
      await fill(page, VALUE, 'first')
      await submit(page)
      expect(await heading(page)).toBe('Secret stored')
      await fill(second, 'second-value', 'second')
      const answer = await submit(second)
      expect(answer?.status()).toBe(410)
      expect(await heading(second)).toBe('Link already used')
      await second.screenshot({ path: join(shots(), '3-used.png'), fullPage: true })
    } finally {
      await context.close()
    }
    expect(await secretAt('reports/twice')).toEqual({ password: VALUE, user: 'first' })
  })

  it('an expired link shows the expired page', async () => {
    const { url } = await requestLink('reports/late')
    const { context, page } = await phone()
    try {
      await page.goto(url)
      await fill(page, VALUE, 'late')
      bridge.skew(TTL_MS + 1000)
      const answer = await submit(page)
      expect(answer?.status()).toBe(410)
      expect(await heading(page)).toBe('Link expired')
      await page.screenshot({ path: join(shots(), '4-expired.png'), fullPage: true })
    } finally {
      bridge.skew(-(TTL_MS + 1000))
      await context.close()
    }
    expect(await secretAt('reports/late')).toBeUndefined()
  })

  it('a tampered link shows the not-valid page', async () => {
    const { url } = await requestLink('reports/tampered')
    const u = new URL(url)
    const [v, body, mac] = u.pathname.split('/').at(-1)!.split('.')
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString())
    claims.p.p = 'reports/elsewhere'
    u.pathname = `/secret-entry/${v}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`
    const { context, page } = await phone()
    try {
      const opened = await page.goto(u.toString())
      expect(opened?.status()).toBe(404)
      expect(await heading(page)).toBe('Link not valid')
      expect(await page.locator('input').count()).toBe(0)
      await page.screenshot({ path: join(shots(), '5-tampered.png'), fullPage: true })
    } finally {
      await context.close()
    }
    expect(await secretAt('reports/elsewhere')).toBeUndefined()
  })

  it('a POST without the CSRF token is refused', async () => {
    const { url } = await requestLink('reports/csrf')
    const { context, page } = await phone()
    try {
      await page.goto(url)
      await fill(page, VALUE, 'csrf')
      // The page runs no script (its CSP allows none); the test removes the token from outside.
      await page.evaluate(`document.querySelector('input[name="csrf"]').remove()`)
      const answer = await submit(page)
      expect(answer?.status()).toBe(403)
      expect(await heading(page)).toBe('Request refused')
      await page.screenshot({ path: join(shots(), '6-no-csrf.png'), fullPage: true })
    } finally {
      await context.close()
    }
    expect(await secretAt('reports/csrf')).toBeUndefined()
  })
})
