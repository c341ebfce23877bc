/**
 * @module vault/vault-transport: the HTTP transport node-vault sends every request through (its
 * `request-promise` option): one undici connection pool to VAULT_ADDR's origin, no redirects
 * followed, the VAULT_TIMEOUT bound on the whole call, Vault's JSON parsed once. Also the
 * request check that stands in for node-vault's per-request JSON-schema validation (its `tv4`
 * option).
 */
import { Pool, type Dispatcher } from 'undici'

/** What node-vault hands its transport (see node-vault's src/index.js, `client.request`). */
export interface TransportRequest {
  method: string
  uri: string
  headers?: Record<string, string>
  /** The JSON body (node-vault sends only objects). */
  json?: unknown
}

/** What node-vault expects back: the status, the parsed body, and the request path. */
export interface TransportResponse {
  statusCode: number
  body: unknown
  request: { path: string }
}

/** A network failure or timeout: no status, a socket `code` (ECONNREFUSED, ECONNABORTED, ...). */
export class VaultTransportError extends Error {
  override name = 'VaultTransportError'
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** The TLS options of every connection to Vault (configuration only, never a request). */
export interface TransportTls {
  rejectUnauthorized: boolean
  ca?: Buffer
  cert?: Buffer
  key?: Buffer
}

/** The transport: node-vault's `request-promise` (`defaults`), and the pool's shutdown. */
export interface VaultTransport {
  /** node-vault calls this once per client, and the result once per request. */
  defaults: () => (req: TransportRequest) => Promise<TransportResponse>
  /** Closes the pooled connections; a later call opens a new pool. */
  close(): void
}

/**
 * undici's own failures that mean "no answer in time" or "the connection went away", as the
 * socket codes the bridge's Vault error mapping knows (vault-errors.ts).
 */
const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
])
function networkCode(code: string | undefined): string {
  if (code !== undefined && !code.startsWith('UND_ERR_')) return code
  return code !== undefined && TIMEOUT_CODES.has(code) ? 'ECONNABORTED' : 'ECONNRESET'
}

/**
 * Builds the transport over one undici `Pool` bound to the origin of `address`: keep-alive
 * connections (at most `connections`, idle ones closed after `idleMs`), and a request/response
 * cycle without a stream or a socket wrapper per call (undici's dispatcher API), which costs
 * markedly less CPU per Vault call than `http.request` on an agent.
 *
 * Security and cost: the pool can only reach VAULT_ADDR's origin: a URI node-vault builds from
 * anything else is refused before sending. A redirect is returned to node-vault as the non-2xx
 * answer it is, never followed (following one would carry `X-Vault-Token` to wherever a response
 * points). TLS settings come from `tls` (configuration) only.
 */
export function createVaultTransport(o: {
  address: string
  tls: TransportTls
  timeoutMs: number
  connections: number
  idleMs: number
}): VaultTransport {
  const origin = new URL(o.address).origin
  const open = (): Pool =>
    new Pool(origin, {
      connections: o.connections,
      keepAliveTimeout: o.idleMs,
      keepAliveMaxTimeout: o.idleMs,
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
      connect: { ...o.tls, timeout: o.timeoutMs },
    })
  let pool: Pool | undefined
  const timedOut = () =>
    new VaultTransportError(`timeout of ${o.timeoutMs}ms exceeded`, 'ECONNABORTED')

  const send = (req: TransportRequest) =>
    new Promise<TransportResponse>((resolve, reject) => {
      // node-vault builds `uri` from its endpoint, which is VAULT_ADDR: anything else is a bug.
      if (!req.uri.startsWith(origin) || req.uri.charCodeAt(origin.length) !== 47 /* "/" */) {
        reject(new TypeError('node-vault request: the URI is not under VAULT_ADDR'))
        return
      }
      const path = req.uri.slice(origin.length)
      const headers: Record<string, string> = { accept: 'application/json' }
      let typed = false
      if (req.headers) {
        for (const name in req.headers) {
          headers[name] = req.headers[name]!
          if (!typed && name.toLowerCase() === 'content-type') typed = true
        }
      }
      const payload =
        req.json !== undefined && typeof req.json === 'object'
          ? JSON.stringify(req.json)
          : undefined
      if (payload !== undefined && !typed) headers['content-type'] = 'application/json'

      let settled = false
      let status = 0
      const chunks: Buffer[] = []
      const fail = (err: VaultTransportError) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        reject(err)
      }
      // The whole call, queueing for a connection included; undici's own timeouts (connect,
      // headers, body) close the connection of a call this gives up on.
      const timer = setTimeout(() => fail(timedOut()), o.timeoutMs)
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(controller) {
          // A call that timed out while queued is not sent at all.
          if (settled) controller.abort(timedOut())
        },
        onResponseStart(_controller, statusCode) {
          status = statusCode
          chunks.length = 0
        },
        onResponseData(_controller, chunk) {
          chunks.push(chunk)
        },
        onResponseEnd() {
          if (settled) return
          settled = true
          clearTimeout(timer)
          const text =
            chunks.length === 1
              ? chunks[0]!.toString('utf8')
              : Buffer.concat(chunks).toString('utf8')
          const query = path.indexOf('?')
          resolve({
            statusCode: status,
            body: parse(text),
            request: { path: query === -1 ? path : path.slice(0, query) },
          })
        },
        onResponseError(_controller, err) {
          const code = (err as NodeJS.ErrnoException).code
          fail(new VaultTransportError(err.message, networkCode(code), { cause: err }))
        },
      }
      pool ??= open()
      pool.dispatch(
        {
          origin,
          path,
          method: req.method as Dispatcher.HttpMethod,
          headers,
          ...(payload === undefined ? {} : { body: payload }),
        },
        handler,
      )
    })
  return {
    defaults: () => send,
    close() {
      const closing = pool
      pool = undefined
      void closing?.destroy().catch(() => undefined)
    },
  }
}

/** Vault answers JSON; an empty body (204) or anything else is kept as text, as axios would. */
function parse(text: string): unknown {
  if (text === '') return ''
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

/**
 * node-vault validates every request's options against a JSON schema (`path` and `method` are
 * strings) with tv4, and the arguments of its generated commands against theirs. The bridge
 * calls only `request`, `read`, `write`, `update` and `delete`, whose options its types already
 * fix, so this checks the schema's required properties and their primitive types only: what
 * node-vault's request schema asks, without a schema engine on every call.
 */
export const requestOptionsCheck = {
  error: undefined as Error | undefined,
  validate(
    data: unknown,
    schema: { required?: string[]; properties?: Record<string, { type?: string }> },
  ): boolean {
    const record = (data ?? {}) as Record<string, unknown>
    for (const key of schema.required ?? []) {
      const type = schema.properties?.[key]?.type
      const value = record[key]
      const ok =
        type === undefined || type === 'object' ? value !== undefined : typeof value === type
      if (!ok) {
        this.error = new TypeError(`node-vault request: "${key}" must be a ${type ?? 'value'}`)
        return false
      }
    }
    return true
  },
}
