/**
 * @module http/operation-routes: the REST routes existing users call, each a thin mapping of the
 * URL, query and JSON body to one operation's input. Validation, scopes and namespacing happen
 * in core; errors are thrown as AppErrors and rendered by the app's error handler.
 */
import type { IncomingMessage } from 'node:http'
import type { Context, Hono } from 'hono'
import { AppError } from '../core/errors.js'
import {
  checkSecretRequest,
  decrypt,
  deleteSecret,
  deleteSecretMetadata,
  destroySecret,
  encrypt,
  generateDataKey,
  listSecrets,
  patchSecret,
  readSecret,
  readSecretMetadata,
  requestSecret,
  rewrap,
  undeleteSecret,
  whoami,
  writeSecret,
  type Operation,
  type OperationRunner,
} from '../core/operations.js'
import type { AppEnv } from './context.js'
import { refuseMethod } from './error-response.js'

type Input = Record<string, unknown>

/** `/secrets/{path}:{action}` routes, by action (`''` is the secret itself) and method. */
const SECRET_ROUTES: Record<string, Record<string, Operation>> = {
  '': { GET: readSecret, PUT: writeSecret, PATCH: patchSecret, DELETE: deleteSecret },
  undelete: { POST: undeleteSecret },
  destroy: { POST: destroySecret },
  metadata: { GET: readSecretMetadata, DELETE: deleteSecretMetadata },
}

/** Which query parameters each operation takes (all others are refused). */
const QUERY_FIELDS = new Map<Operation, readonly string[]>([
  [readSecret, ['version']],
  [deleteSecret, ['versions']],
  [listSecrets, ['prefix', 'recursive']],
])

/** Which operations take a JSON body. */
const WITH_BODY = new Set<Operation>([
  writeSecret,
  patchSecret,
  undeleteSecret,
  destroySecret,
  encrypt,
  decrypt,
  rewrap,
  generateDataKey,
  requestSecret,
])

const TRANSIT_ROUTES: Record<string, Operation> = {
  '/transit/encrypt': encrypt,
  '/transit/decrypt': decrypt,
  '/transit/rewrap': rewrap,
  '/transit/datakey': generateDataKey,
}

/**
 * Registers the REST table: `PUT|GET|PATCH|DELETE /secrets/{path}`, `GET /secrets?prefix=&
 * recursive=`, `POST /secrets/{path}:undelete|:destroy`, `GET|DELETE /secrets/{path}:metadata`,
 * `POST /transit/encrypt|decrypt|rewrap|datakey`, `POST /secret-requests` (request_secret),
 * `GET /secret-requests/{id}` (check_secret_request) and `GET /whoami`. Mount it after the
 * authentication middleware; every route needs `c.var.principal`.
 *
 * A suffix is an action only when its `:` is literal; `%3A` keeps it part of the path.
 * @throws UNAUTHENTICATED (no principal), INVALID_INPUT (malformed JSON, a body that is not an
 *   object, unknown or repeated query parameters, `path` in a body), INVALID_PATH (a path that
 *   is not valid percent-encoding or was normalised away), METHOD_NOT_ALLOWED, and whatever the
 *   operation throws.
 */
export function registerOperationRoutes(app: Hono<AppEnv>, runner: OperationRunner): void {
  // Security: URL parsers resolve `..` (also `%2e%2e`) before routing, so `/secrets/a/../b`
  // would quietly become `/secrets/b` and `/secrets/../x` would leave the table. Look at the
  // request target as the client sent it and refuse dot segments instead.
  app.use('*', async (c, next) => {
    const raw = rawPath(c)
    if (/^\/secrets(?:\/|$)/.test(raw) && hasDotSegment(raw)) {
      throw new AppError('INVALID_PATH', '"." and ".." segments are not allowed in secret paths.')
    }
    await next()
  })

  const run = async (c: Context<AppEnv>, op: Operation, input: Input) => {
    const principal = c.var.principal
    if (!principal) throw new AppError('UNAUTHENTICATED', 'Authentication is required.')
    const { requestId, clientRequestId } = c.var
    const ctx = {
      principal,
      requestId,
      ...(clientRequestId ? { clientRequestId } : {}),
      origin: new URL(c.req.url).origin,
    }
    const out = await runner.run(op, ctx, input)
    return c.json(out as object, 200)
  }

  /** Query parameters and JSON body of `op`, merged into one input. */
  const inputOf = async (c: Context<AppEnv>, op: Operation, extra: Input = {}): Promise<Input> => {
    const input: Input = { ...queryOf(c, QUERY_FIELDS.get(op) ?? []) }
    if (WITH_BODY.has(op)) {
      const body = await jsonBody(c)
      if ('path' in extra && 'path' in body) {
        throw new AppError('INVALID_INPUT', 'Give the secret path in the URL, not in the body.')
      }
      Object.assign(input, body)
    }
    return { ...input, ...extra }
  }

  app.all('/secrets', async (c) => {
    if (c.req.method !== 'GET') refuseMethod(c, 'GET')
    return run(c, listSecrets, await inputOf(c, listSecrets))
  })

  app.all('/secrets/*', async (c) => {
    const target = parseSecretTarget(rawPath(c))
    if (target.path === '' && target.action === '') {
      if (c.req.method !== 'GET') refuseMethod(c, 'GET')
      return run(c, listSecrets, await inputOf(c, listSecrets))
    }
    const routes = SECRET_ROUTES[target.action]!
    const op = routes[c.req.method]
    if (!op) refuseMethod(c, Object.keys(routes).join(', '))
    return run(c, op, await inputOf(c, op, { path: decodePath(target.path) }))
  })

  for (const [route, op] of Object.entries(TRANSIT_ROUTES)) {
    app.all(route, async (c) => {
      if (c.req.method !== 'POST') refuseMethod(c, 'POST')
      return run(c, op, await inputOf(c, op))
    })
  }

  app.all('/secret-requests', async (c) => {
    if (c.req.method !== 'POST') refuseMethod(c, 'POST')
    return run(c, requestSecret, await inputOf(c, requestSecret))
  })

  app.all('/secret-requests/:id', async (c) => {
    if (c.req.method !== 'GET') refuseMethod(c, 'GET')
    const input = await inputOf(c, checkSecretRequest, { request_id: c.req.param('id') })
    return run(c, checkSecretRequest, input)
  })

  app.all('/whoami', async (c) => {
    if (c.req.method !== 'GET') refuseMethod(c, 'GET')
    return run(c, whoami, await inputOf(c, whoami))
  })
}

// ---------------------------------------------------------------------------------------------

/**
 * The request path exactly as the client sent it (percent-encoding intact, dot segments not
 * resolved) when served by @hono/node-server, else the parsed URL's path.
 */
function rawPath(c: Context<AppEnv>): string {
  const incoming = (c.env as { incoming?: Pick<IncomingMessage, 'url'> } | undefined)?.incoming
  // The absolute form (`PUT http://host/secrets/x HTTP/1.1`) carries the same path after its origin.
  const target = incoming?.url?.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '')
  if (target?.startsWith('/')) return target.replace(/[?#].*$/s, '')
  return new URL(c.req.url).pathname
}

/** Splits `/secrets/{path}:{action}`; the path stays percent-encoded. */
function parseSecretTarget(raw: string): { path: string; action: string } {
  const rest = raw.replace(/^\/secrets\/?/, '')
  // An unknown `:suffix` is simply part of the secret's name.
  const m = /^(.*):(undelete|destroy|metadata)$/s.exec(rest)
  return m ? { path: m[1]!, action: m[2]! } : { path: rest, action: '' }
}

function decodePath(encoded: string): string {
  try {
    return decodeURIComponent(encoded)
  } catch {
    throw new AppError('INVALID_PATH', 'The secret path is not valid percent-encoding.')
  }
}

const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i

/** Dot segments, literal or percent-encoded once or more (`%252e`). */
function hasDotSegment(raw: string): boolean {
  let current = raw
  for (let i = 0; i < 5; i++) {
    if (DOT_SEGMENT.test(current)) return true
    const next = current.replace(/%25/gi, '%')
    if (next === current) return false
    current = next
  }
  return true
}

function queryOf(c: Context<AppEnv>, allowed: readonly string[]): Input {
  const params = new URL(c.req.url).searchParams
  const out: Input = {}
  for (const name of new Set(params.keys())) {
    if (!allowed.includes(name)) {
      throw new AppError(
        'INVALID_INPUT',
        allowed.length
          ? `Unknown query parameter "${safeName(name)}"; this route takes ${allowed.join(', ')}.`
          : `Unknown query parameter "${safeName(name)}"; this route takes none.`,
      )
    }
    const values = params.getAll(name)
    if (values.length > 1) {
      throw new AppError('INVALID_INPUT', `Give the query parameter "${safeName(name)}" once.`)
    }
    const value = values[0]!
    out[name] = name === 'versions' ? versionList(value) : value
  }
  return out
}

/** `1,2` → `[1, 2]`; anything that is not a number stays a string for the schema to refuse. */
const versionList = (text: string): unknown[] =>
  text.split(',').map((t) => (/^\s*\d{1,9}\s*$/.test(t) ? Number(t) : t))

async function jsonBody(c: Context<AppEnv>): Promise<Input> {
  const text = await c.req.text()
  if (text.trim() === '') return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new AppError('INVALID_INPUT', 'The request body is not valid JSON.')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AppError('INVALID_INPUT', 'The request body must be a JSON object.')
  }
  return parsed as Input
}

/** A query parameter name fit to quote back (it is the caller's own text, but keep it short). */
const safeName = (name: string) => name.replace(/[^\w.-]/g, '?').slice(0, 40)
