/**
 * @module test/helpers/vault-proxy: a recording HTTP proxy in front of a (dev) Vault on
 * 127.0.0.1:0. Tests point the bridge at it to see which token each call carried, and switch
 * it `down` to make Vault unreachable without losing Vault's state.
 */
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface ProxiedRequest {
  method: string
  /** Path after `/v1/`, without the query string. */
  path: string
  query: string
  token?: string
  namespace?: string
  body?: unknown
  status: number
  response?: unknown
}

export interface VaultProxy {
  url: string
  requests: ProxiedRequest[]
  /** Requests that arrived plus connections cut while down: how often the bridge tried. */
  attempts: number
  /** While true, every connection is cut at once, as if Vault were unreachable. */
  down: boolean
  close(): Promise<void>
}

const parse = (text: string): unknown => {
  try {
    return text === '' ? undefined : JSON.parse(text)
  } catch {
    return text
  }
}

/**
 * Changes to what passes through, to make the Vault behind the proxy look like another version
 * (test/helpers/vault-1-8.ts). Each gets the method, the path after `/v1/` and the parsed JSON
 * body, and returns the body to pass on (undefined: unchanged).
 */
export interface ProxyRewrites {
  request?: (method: string, path: string, body: unknown) => unknown
  response?: (method: string, path: string, body: unknown) => unknown
}

/** `body` through `fn` when it is JSON and `fn` changes it. */
function rewrite(
  fn: ((method: string, path: string, body: unknown) => unknown) | undefined,
  method: string,
  path: string,
  body: Buffer,
): Buffer {
  if (!fn || body.length === 0) return body
  let json: unknown
  try {
    json = JSON.parse(body.toString('utf8'))
  } catch {
    return body
  }
  const changed = fn(method, path, json)
  return changed === undefined ? body : Buffer.from(JSON.stringify(changed))
}

/** Starts a proxy to `target` (`http://127.0.0.1:port`). */
export async function startVaultProxy(
  target: string,
  rewrites: ProxyRewrites = {},
): Promise<VaultProxy> {
  const upstream = new URL(target)
  const sockets = new Set<Socket>()
  const state: VaultProxy = {
    url: '',
    requests: [],
    attempts: 0,
    get down() {
      return isDown
    },
    set down(value: boolean) {
      // Open connections stay: each request on them is cut (and counted) when it arrives.
      isDown = value
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
  let isDown = false
  const server = createServer((req, res) => {
    state.attempts += 1
    if (isDown) {
      req.socket.destroy()
      return
    }
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x')
      const vaultPath = url.pathname.replace(/^\/v1\//, '')
      const body = rewrite(rewrites.request, req.method ?? '', vaultPath, Buffer.concat(chunks))
      const { 'transfer-encoding': _chunked, ...reqHeaders } = req.headers
      const headers = { ...reqHeaders, host: upstream.host, 'content-length': String(body.length) }
      const out = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers,
        },
        (up) => {
          const back: Buffer[] = []
          up.on('data', (c: Buffer) => back.push(c))
          up.on('end', () => {
            const text = rewrite(
              rewrites.response,
              req.method ?? '',
              vaultPath,
              Buffer.concat(back),
            )
            state.requests.push({
              method: req.method ?? '',
              path: vaultPath,
              query: url.search,
              token: req.headers['x-vault-token'] as string | undefined,
              namespace: req.headers['x-vault-namespace'] as string | undefined,
              body: parse(body.toString('utf8')),
              status: up.statusCode ?? 0,
              response: parse(text.toString('utf8')),
            })
            const { 'transfer-encoding': _chunked, ...upHeaders } = up.headers
            res.writeHead(up.statusCode ?? 502, {
              ...upHeaders,
              'content-length': String(text.length),
            })
            res.end(text)
          })
        },
      )
      out.on('error', () => req.socket.destroy())
      out.end(body)
    })
  })
  server.on('connection', (s: Socket) => {
    if (isDown) {
      state.attempts += 1
      s.destroy()
      return
    }
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return state
}
