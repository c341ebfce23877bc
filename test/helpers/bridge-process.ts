/**
 * @module test/helpers/bridge-process: a real bridge process for the attack suite, started the way a user
 * starts one (the dev command, `scripts/dev.ts`: its own dev vault, AppRole, HTTP on loopback)
 * and configured only through environment variables, so that every attack is sent over real
 * HTTP to what users run. Audit lines (AUDIT_LOG=stdout) and log lines (stderr) are kept.
 */
import { mkdtempSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnScript, type CliProcess } from './cli.js'

export interface Bridge {
  url: string
  port: number
  process: CliProcess
  /** Audit lines written so far (JSON lines of `type: audit` on stdout). */
  audit(): Record<string, unknown>[]
  /** Log lines written so far (JSON lines on stderr). */
  logs(): Record<string, unknown>[]
  stop(): Promise<void>
}

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>]
      } catch {
        return []
      }
    })

/**
 * Starts `scripts/dev.ts` on 127.0.0.1 with `env` (plus HOST, PORT 0, a generous rate limit and
 * an env file of its own in a scratch directory, unless given) and resolves once it prints its
 * URL, which carries the port the bridge took.
 */
export async function startBridge(env: Record<string, string> = {}): Promise<Bridge> {
  const child = spawnScript(
    'scripts/dev.ts',
    [],
    {
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      AUDIT_LOG: 'stdout',
      RATE_LIMIT_REQUESTS: '100000',
      DEV_ENV_FILE: join(mkdtempSync(join(tmpdir(), 'bridge-process-')), 'bridge.env'),
      ...env,
    },
    120_000,
  )
  const m = await child.waitFor(/Bridge:\s+(https?:\/\/\S+)/)
  const url = m[1] as string
  return {
    url,
    port: Number(new URL(url).port),
    process: child,
    audit: () => jsonLines(child.stdout()).filter((l) => l.type === 'audit'),
    logs: () => jsonLines(child.stderr()),
    async stop() {
      if (child.child.exitCode === null) child.child.kill('SIGTERM')
      await child.exited
    },
  }
}

export interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: any // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface Send {
  method?: string
  headers?: Record<string, string>
  /** Sent as is (no Content-Type is added). */
  body?: string
  /** Source address of the connection (any 127.x address works on Linux). */
  localAddress?: string
}

/**
 * One HTTP request with node:http, which sends the path and headers exactly as given (no
 * normalisation of `..` or percent-encoding, no Origin or Sec-Fetch-* of its own).
 */
export function send(url: string, path: string, o: Send = {}): Promise<Reply> {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        method: o.method ?? 'GET',
        path,
        headers: {
          ...(o.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(o.body)) }),
          ...o.headers,
        },
        agent: false,
        ...(o.localAddress ? { localAddress: o.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
        })
      },
    )
    req.on('error', reject)
    req.end(o.body)
  })
}

/** JSON body headers plus an API key. */
export const jsonWith = (key: string): Record<string, string> => ({
  'content-type': 'application/json',
  'x-api-key': key,
})

/** An API key of 43 random-looking characters (what `openssl rand -base64 32` gives). */
export const randomKey = (label: string): string =>
  `${label}-${Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url')}`

/** An MCP `initialize` request (2025-06-18, which every SDK generation speaks), as a JSON body. */
export const mcpInitialize = (client = 'attack-suite'): string =>
  JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: client, version: '1.0.0' },
    },
  })

/** The headers of an MCP Streamable HTTP POST. */
export const MCP_POST_HEADERS: Readonly<Record<string, string>> = {
  accept: 'application/json, text/event-stream',
  'content-type': 'application/json',
}
