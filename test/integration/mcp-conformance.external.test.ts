/**
 * @module The official MCP conformance suite (`@modelcontextprotocol/conformance`, which needs
 * Node 22) against a normal instance of the app on the dev vault, for the scenarios that apply
 * to this server: server-initialize, ping, tools-list and dns-rebinding-protection
 * (logging-set-level does not apply: the server declares no logging capability).
 *
 * The suite sends no credentials, so a small loopback proxy in front of the app adds an API key
 * to each request and forwards Host and Origin as the suite sent them. Authentication stays on;
 * there is no switch that turns it off.
 *
 * It downloads the suite from the npm registry through npx. Offline, set
 * SKIP_MCP_CONFORMANCE=1 to skip it (the skip is reported, never silent).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SCOPES } from '../../src/core/identity.js'
import { apiKeyOf, startMcpApp, type McpApp } from '../helpers/mcp-harness.js'
import { startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

const SUITE = '@modelcontextprotocol/conformance@0.1.16'
const SCENARIOS = ['server-initialize', 'ping', 'tools-list', 'dns-rebinding-protection']
const skip = process.env.SKIP_MCP_CONFORMANCE === '1'

let stack: VaultStack
let app: McpApp
let proxy: Server
let proxyUrl: string
let outDir: string

/** Forwards to the app with the agent's API key added; Host and Origin pass through untouched. */
function startCredentialProxy(target: () => URL, apiKey: string): Promise<Server> {
  const server = createServer((req, res) => {
    const to = target()
    const upstream = request(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'x-api-key': apiKey },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(res)
      },
    )
    upstream.on('error', () => res.writeHead(502).end())
    req.pipe(upstream)
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

beforeAll(async () => {
  if (skip) return
  stack = await startVaultStack()
  const agent = stack.agent('conformance')
  // The proxy's port goes into the app's config, so the proxy starts first and learns the app's
  // address afterwards.
  const upstream: { url?: URL } = {}
  proxy = await startCredentialProxy(() => upstream.url!, apiKeyOf(agent))
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
  // The suite's "valid localhost" request carries Origin: <its URL>, the origin a local web UI
  // would have; it is allowed the documented way, by listing it.
  app = await startMcpApp(stack, { [agent]: [...SCOPES] }, { ALLOWED_ORIGINS: proxyUrl })
  upstream.url = new URL(app.url)
  outDir = mkdtempSync(join(tmpdir(), 'mcp-conformance-'))
}, 120_000)

afterAll(async () => {
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()))
  proxy?.closeAllConnections()
  await app?.close()
  await stack?.close()
  if (outDir) rmSync(outDir, { recursive: true, force: true })
})

function runSuite(scenario: string) {
  const dir = join(outDir, scenario)
  const args = ['-y', '-p', 'node@22', '-p', SUITE, '--', 'conformance', 'server']
  args.push('--url', `${proxyUrl}/mcp`, '--scenario', scenario, '-o', dir)
  return new Promise<{ code: number | null; output: string; dir: string }>((resolve, reject) => {
    const child = spawn('npx', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')))
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')))
    const killer = setTimeout(() => child.kill('SIGKILL'), 170_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(killer)
      resolve({ code, output, dir })
    })
  })
}

interface Check {
  id: string
  status: string
  errorMessage?: string
}

/** Every check the suite recorded under `dir` (it writes checks.json per scenario run). */
function readChecks(dir: string): Check[] {
  const found: Check[] = []
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (name === 'checks.json')
        found.push(...(JSON.parse(readFileSync(p, 'utf8')) as Check[]))
    }
  }
  walk(dir)
  return found
}

describe.skipIf(skip)(`MCP conformance suite ${SUITE}`, () => {
  it.each(SCENARIOS)(
    'passes %s',
    async (scenario) => {
      const { code, output, dir } = await runSuite(scenario)
      const checks = readChecks(dir)
      const failed = checks.filter((c) => c.status !== 'SUCCESS' && c.status !== 'INFO')
      expect(failed, output).toEqual([])
      expect(checks.length, output).toBeGreaterThan(0)
      expect(code, output).toBe(0)
    },
    180_000,
  )
})
