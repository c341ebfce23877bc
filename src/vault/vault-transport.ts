/**
 * @module vault/vault-transport: the HTTP transport node-vault sends every request through (its
 * `request-promise` option), on the bridge's keep-alive agents: no redirects followed, the
 * VAULT_TIMEOUT bound on the whole call, Vault's JSON parsed once. Also the request check that
 * stands in for node-vault's per-request JSON-schema validation (its `tv4` option).
 */
import http from 'node:http'
import https from 'node:https'

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

/**
 * The transport. node-vault calls `defaults(...)` once per client and the result once per
 * request.
 *
 * Security and cost: a redirect is returned to node-vault as the non-2xx answer it is, never
 * followed (following one would carry `X-Vault-Token` to wherever a response points, and costs a
 * wrapper per request); TLS settings live in `httpsAgent` only (configuration, never a request).
 */
export function createVaultTransport(o: {
  httpAgent: http.Agent
  httpsAgent: https.Agent
  timeoutMs: number
}): { defaults: () => (req: TransportRequest) => Promise<TransportResponse> } {
  const send = (req: TransportRequest) =>
    new Promise<TransportResponse>((resolve, reject) => {
      const url = new URL(req.uri)
      const secure = url.protocol === 'https:'
      const headers: Record<string, string | number> = { accept: 'application/json' }
      let typed = false
      for (const [name, value] of Object.entries(req.headers ?? {})) {
        headers[name] = value
        if (name.toLowerCase() === 'content-type') typed = true
      }
      const payload =
        req.json !== undefined && typeof req.json === 'object'
          ? JSON.stringify(req.json)
          : undefined
      if (payload !== undefined) {
        if (!typed) headers['content-type'] = 'application/json'
        headers['content-length'] = Buffer.byteLength(payload)
      }
      const call = (secure ? https : http).request(url, {
        method: req.method,
        headers,
        agent: secure ? o.httpsAgent : o.httpAgent,
      })
      let settled = false
      const fail = (err: VaultTransportError) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        call.destroy()
        reject(err)
      }
      const timer = setTimeout(
        () => fail(new VaultTransportError(`timeout of ${o.timeoutMs}ms exceeded`, 'ECONNABORTED')),
        o.timeoutMs,
      )
      call.on('error', (err: NodeJS.ErrnoException) =>
        fail(new VaultTransportError(err.message, err.code ?? 'ECONNRESET', { cause: err })),
      )
      call.on('response', (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', (err: NodeJS.ErrnoException) =>
          fail(new VaultTransportError(err.message, err.code ?? 'ECONNRESET', { cause: err })),
        )
        res.on('end', () => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          const text = Buffer.concat(chunks).toString('utf8')
          resolve({
            statusCode: res.statusCode ?? 0,
            body: parse(text),
            request: { path: url.pathname },
          })
        })
      })
      call.end(payload)
    })
  return { defaults: () => send }
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
