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
  createTransitKey,
  decrypt,
  deleteSecret,
  deleteSecretMetadata,
  destroySecret,
  encrypt,
  generateDataKey,
  generateHmac,
  listSecrets,
  listTransitKeys,
  patchSecret,
  readSecret,
  readSecretMetadata,
  readTransitKey,
  requestSecret,
  rewrap,
  rotateTransitKey,
  sign,
  undeleteSecret,
  updateSecretMetadata,
  verifyHmac,
  verifySignature,
  whoami,
  writeSecret,
  type Operation,
  type OperationRunner,
} from '../core/operations.js'
import { createOriginOf, type AppEnv } from './context.js'
import { refuseMethod } from './error-response.js'

type Input = Record<string, unknown>

/** `/secrets/{path}:{action}` routes, by action (`''` is the secret itself) and method. */
const SECRET_ROUTES: Record<string, Record<string, Operation>> = {
  '': { GET: readSecret, PUT: writeSecret, PATCH: patchSecret, DELETE: deleteSecret },
  undelete: { POST: undeleteSecret },
  destroy: { POST: destroySecret },
  metadata: { GET: readSecretMetadata, PUT: updateSecretMetadata, DELETE: deleteSecretMetadata },
}

/** Which query parameters each operation takes (all others are refused). */
const QUERY_FIELDS = new Map<Operation, readonly string[]>([
  [readSecret, ['version', 'wrap_ttl']],
  [deleteSecret, ['versions']],
  [listSecrets, ['prefix', 'recursive', 'limit', 'cursor']],
  [listTransitKeys, ['limit', 'cursor']],
])

/** Vault's own request header for response wrapping; GET /secrets/{path} takes it as `wrap_ttl`. */
const WRAP_TTL_HEADER = 'x-vault-wrap-ttl'

/** Which operations take a JSON body. */
const WITH_BODY = new Set<Operation>([
  writeSecret,
  updateSecretMetadata,
  createTransitKey,
  rotateTransitKey,
  generateHmac,
  verifyHmac,
  sign,
  verifySignature,
  patchSecret,
  undeleteSecret,
  destroySecret,
  encrypt,
  decrypt,
  rewrap,
  generateDataKey,
  requestSecret,
])

/** `POST /transit/{verb}` routes: the key and everything else in the JSON body. */
const TRANSIT_ROUTES: Record<string, Operation> = {
  '/transit/encrypt': encrypt,
  '/transit/decrypt': decrypt,
  '/transit/rewrap': rewrap,
  '/transit/datakey': generateDataKey,
  '/transit/hmac': generateHmac,
  '/transit/verify-hmac': verifyHmac,
  '/transit/sign': sign,
  '/transit/verify': verifySignature,
}

/** `/transit/keys` and `/transit/keys/{key}[/rotate]`, by method. */
const KEY_ROUTES: Record<'list' | 'key' | 'rotate', Record<string, Operation>> = {
  list: { GET: listTransitKeys, POST: createTransitKey },
  key: { GET: readTransitKey },
  rotate: { POST: rotateTransitKey },
}

/**
 * Registers the REST table: `PUT|GET|PATCH|DELETE /secrets/{path}`, `GET /secrets?prefix=&
 * recursive=&limit=&cursor=`, `POST /secrets/{path}:undelete|:destroy`,
 * `GET|PUT|DELETE /secrets/{path}:metadata`,
 * `POST /transit/encrypt|decrypt|rewrap|datakey|hmac|verify-hmac|sign|verify`,
 * `GET|POST /transit/keys`, `GET /transit/keys/{key}`, `POST /transit/keys/{key}/rotate`,
 * `POST /secret-requests` (request_secret), `GET /secret-requests/{id}` (check_secret_request)
 * and `GET /whoami`. `GET /secrets/{path}` takes `?wrap_ttl=` or Vault's `X-Vault-Wrap-TTL`
 * header (a response-wrapped read); every other route refuses that header. Mount it after the
 * authentication middleware; every route needs `c.var.principal`.
 *
 * A literal `:` in the last segment of `/secrets/...` always starts an action; an unknown one is
 * NOT_FOUND on every method. `%3A` is a `:` that belongs to the name.
 * @throws UNAUTHENTICATED (no principal), INVALID_INPUT (malformed JSON, a body that is not an
 *   object, unknown or repeated query parameters, `path` in a body), INVALID_PATH (a path that
 *   is not valid percent-encoding or was normalised away), NOT_FOUND (an unknown `:action`),
 *   METHOD_NOT_ALLOWED, and whatever the operation throws.
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

  const originOf = createOriginOf()
  const run = async (c: Context<AppEnv>, op: Operation, input: Input) => {
    // c.get, not c.var: hono builds a new object of all variables on every `c.var`.
    const principal = c.get('principal')
    if (!principal) throw new AppError('UNAUTHENTICATED', 'Authentication is required.')
    const requestId = c.get('requestId')
    const clientRequestId = c.get('clientRequestId')
    const rateBudget = c.get('rateBudget')
    const ctx = {
      principal,
      requestId,
      ...(clientRequestId ? { clientRequestId } : {}),
      ...(rateBudget ? { rateBudget } : {}),
      origin: originOf(c.req.url),
    }
    const out = await runner.run(op, ctx, input)
    return c.json(out as object, 200)
  }

  /** Query parameters, `X-Vault-Wrap-TTL` and JSON body of `op`, merged into one input. */
  const inputOf = async (c: Context<AppEnv>, op: Operation, extra: Input = {}): Promise<Input> => {
    const input: Input = { ...queryOf(c, QUERY_FIELDS.get(op) ?? []) }
    const wrapHeader = c.req.header(WRAP_TTL_HEADER)
    if (wrapHeader !== undefined) {
      // Security: a caller who asks for wrapping must never get the values back unwrapped.
      if (op !== readSecret) {
        throw new AppError(
          'INVALID_INPUT',
          'Only read_secret (GET /secrets/{path}) can be response-wrapped; this route does ' +
            'not take X-Vault-Wrap-TTL.',
        )
      }
      if ('wrap_ttl' in input) {
        throw new AppError(
          'INVALID_INPUT',
          'Give the wrap TTL once: ?wrap_ttl= or X-Vault-Wrap-TTL.',
        )
      }
      input.wrap_ttl = wrapHeader
    }
    if (WITH_BODY.has(op)) {
      const body = await jsonBody(c)
      if ('path' in extra && 'path' in body) {
        throw new AppError('INVALID_INPUT', 'Give the secret path in the URL, not in the body.')
      }
      if ('key' in extra && 'key' in body) {
        throw new AppError('INVALID_INPUT', 'Give the key name in the URL, not in the body.')
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
    const routes = Object.hasOwn(SECRET_ROUTES, target.action)
      ? SECRET_ROUTES[target.action]
      : undefined
    if (!routes) {
      throw new AppError(
        'NOT_FOUND',
        'Unknown action: a ":" in the last segment of /secrets/... starts an action (:metadata, ' +
          ':undelete, :destroy). Write a ":" that is part of a secret\'s name as %3A.',
      )
    }
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

  app.all('/transit/keys', async (c) => {
    const op = KEY_ROUTES.list[c.req.method]
    if (!op) refuseMethod(c, 'GET, POST')
    return run(c, op, await inputOf(c, op))
  })

  app.all('/transit/keys/*', async (c) => {
    const m = /^\/transit\/keys\/([^/]+)(\/rotate)?$/.exec(rawPath(c))
    if (!m) {
      throw new AppError(
        'NOT_FOUND',
        'No such route: keys are /transit/keys/{key} (GET) and /transit/keys/{key}/rotate (POST).',
      )
    }
    const routes = KEY_ROUTES[m[2] ? 'rotate' : 'key']
    const op = routes[c.req.method]
    if (!op) refuseMethod(c, Object.keys(routes).join(', '))
    return run(c, op, await inputOf(c, op, { key: decodePath(m[1]!) }))
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

/**
 * Splits `/secrets/{path}:{action}`; the path stays percent-encoded. The first literal `:` of
 * the last segment starts the action (`''` when there is none), whatever follows it, so a
 * name can never be mistaken for an action or the reverse: a `:` in a name is written `%3A`.
 */
function parseSecretTarget(raw: string): { path: string; action: string } {
  const rest = raw.replace(/^\/secrets\/?/, '')
  const colon = rest.indexOf(':', rest.lastIndexOf('/') + 1)
  if (colon < 0) return { path: rest, action: '' }
  // An empty action (`x:`) is no action either: it is refused like any unknown one.
  return { path: rest.slice(0, colon), action: rest.slice(colon + 1) || ':' }
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
  const out: Input = {}
  // Most requests have no query string: no URL to parse for them.
  if (!c.req.url.includes('?')) return out
  const params = new URL(c.req.url).searchParams
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
