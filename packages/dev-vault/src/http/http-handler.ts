/** @module dev-vault/http/http-handler: Vault's HTTP front: methods, headers, bodies, and rendering. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { LogicalOperation } from '../routing/backend.js'
import { METHOD_HEADER } from './method-rewrite.js'
import { errorAnswer, type HttpAnswer } from './envelope.js'
import { isJsonObject, parseJsonKeepingNumbers } from '../encoding/go-number.js'
import type { LogicalRequest } from '../routing/vault-core.js'
import { GoDurationError, parseDurationSecond } from '../encoding/go-duration.js'

/** Vault's request body limit: 32 MiB (reference §1.3). */
export const MAX_BODY_BYTES = 32 * 1024 * 1024

/** Handles requests the generic layer does not route (sys/health renders its own JSON). */
export interface SpecialRoutes {
  health(method: 'GET' | 'HEAD', query: URLSearchParams): HttpAnswer
}

const METHODS: Record<string, LogicalOperation | 'write'> = {
  GET: 'read',
  LIST: 'list',
  POST: 'write',
  PUT: 'write',
  PATCH: 'patch',
  DELETE: 'delete',
}

/** Go `strconv.ParseBool`. */
export function parseGoBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false
  return undefined
}

/**
 * Builds the node:http handler. Request parsing errors (405, 400, 413, 415) are answered before
 * any token check, as in Vault's `buildLogicalRequest`.
 */
export function createHttpHandler(
  core: { handle(req: LogicalRequest): Promise<HttpAnswer> },
  special: SpecialRoutes,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    answer(req)
      .catch(() => errorAnswer(500, []))
      .then((a) => send(res, a, req.method === 'HEAD'))
  }

  function methodOf(req: IncomingMessage): string {
    const original = req.headers[METHOD_HEADER]
    return (
      typeof original === 'string' && original !== '' ? original : (req.method ?? 'GET')
    ).toUpperCase()
  }

  async function answer(req: IncomingMessage): Promise<HttpAnswer> {
    const url = new URL(req.url ?? '/', 'http://dev-vault')
    if (!url.pathname.startsWith('/v1/')) {
      await drain(req)
      return errorAnswer(404)
    }
    let path: string
    try {
      path = decodeURIComponent(url.pathname.slice('/v1/'.length))
    } catch {
      await drain(req)
      return errorAnswer(400)
    }
    const method = methodOf(req)
    if (path === 'sys/health' && (method === 'GET' || method === 'HEAD')) {
      await drain(req)
      return special.health(method, url.searchParams)
    }
    let operation = METHODS[method]
    if (!operation) {
      await drain(req)
      return errorAnswer(405)
    }
    const query = new URLSearchParams(url.searchParams)
    if (method === 'GET' && query.has('list')) {
      const list = parseGoBool(query.get('list') as string)
      if (list === undefined) {
        await drain(req)
        return errorAnswer(400)
      }
      query.delete('list')
      if (list) operation = 'list'
    }
    if (operation === 'list' && !path.endsWith('/')) path += '/'
    if (method === 'PATCH') {
      const ct = req.headers['content-type']
      const media = ct?.split(';')[0]?.trim().toLowerCase() ?? ''
      if (!media) {
        await drain(req)
        return errorAnswer(400, ['mime: no media type'])
      }
      if (media !== 'application/merge-patch+json') {
        await drain(req)
        return errorAnswer(415, [
          `PATCH requires Content-Type of application/merge-patch+json, provided ${media}`,
        ])
      }
    }
    const body = await readBody(req)
    if (body === 'too-large') return errorAnswer(413, ['http: request body too large'])
    let data: Record<string, unknown>
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      const parsed = parseBody(body, req.headers['content-type'])
      if (parsed === undefined) return errorAnswer(400, ['error parsing JSON'])
      data = parsed
    } else {
      data = queryData(query)
    }
    const wrapTtl = wrapTtlOf(req)
    if (typeof wrapTtl === 'string') {
      return errorAnswer(400, [`error parsing X-Vault-Wrap-TTL header: ${wrapTtl}`])
    }
    return core.handle({ operation, path, data, query, token: tokenOf(req), wrapTtl })
  }
}

/**
 * `requestWrapInfo`: the `X-Vault-Wrap-TTL` header in seconds (`ParseDurationSecond`:
 * seconds, `<n>d` or a Go duration); undefined when absent or empty; the error text otherwise.
 */
function wrapTtlOf(req: IncomingMessage): number | undefined | string {
  const header = req.headers['x-vault-wrap-ttl']
  const value = Array.isArray(header) ? header[0] : header
  if (value === undefined || value === '') return undefined
  try {
    const ttl = parseDurationSecond(value)
    return ttl < 0 ? 'requested wrap ttl cannot be negative' : ttl
  } catch (e) {
    if (e instanceof GoDurationError) return e.message
    throw e
  }
}

/** `X-Vault-Token` first, else `Authorization: Bearer` (reference §1.2). */
function tokenOf(req: IncomingMessage): string {
  const header = req.headers['x-vault-token']
  const direct = Array.isArray(header) ? header[0] : header
  if (direct) return direct
  return /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? ''
}

/** Query parameters as request data: one value → string, several → list (Vault `parseQuery`). */
function queryData(query: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of new Set(query.keys())) {
    const all = query.getAll(key)
    out[key] = all.length === 1 ? all[0] : all
  }
  return out
}

function parseBody(
  body: Buffer,
  contentType: string | undefined,
): Record<string, unknown> | undefined {
  const text = body.toString('utf8')
  const trimmed = text.trimStart()
  if (trimmed === '') return {}
  const isForm =
    (contentType ?? '').split(';')[0]?.trim().toLowerCase() ===
      'application/x-www-form-urlencoded' &&
    !trimmed.startsWith('{') &&
    !trimmed.startsWith('[')
  if (isForm) return queryData(new URLSearchParams(text))
  try {
    const value: unknown = parseJsonKeepingNumbers(text)
    if (value === null) return {}
    return isJsonObject(value) ? value : undefined
  } catch {
    return undefined
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = []
  let size = 0
  let tooLarge = false
  for await (const chunk of req) {
    const buf = chunk as Buffer
    size += buf.length
    if (size > MAX_BODY_BYTES) tooLarge = true
    else chunks.push(buf)
  }
  return tooLarge ? 'too-large' : Buffer.concat(chunks)
}

async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req) {
    // Discard the body so the connection can be reused.
  }
}

function send(res: ServerResponse, a: HttpAnswer, head: boolean): void {
  res.statusCode = a.status
  res.setHeader('Cache-Control', 'no-store')
  res.setHeader('Content-Type', 'application/json')
  if (a.body === null || head) {
    res.end()
    return
  }
  res.setHeader('Content-Length', Buffer.byteLength(a.body))
  res.end(a.body)
}
