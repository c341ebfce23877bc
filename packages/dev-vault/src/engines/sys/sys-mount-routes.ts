/** @module dev-vault/engines/sys/sys-mount-routes: `sys/mounts[/:path]` and `sys/auth[/:path]` (§1.11). */
import type { EngineHost, EngineResponse } from '../../routing/backend.js'
import type { CoreRequest } from '../../routing/core-engine.js'
import { engineType } from '../engine-types.js'
import { boolField, durationField, stringField } from '../../encoding/request-fields.js'
import { isJsonObject, numberLiteral } from '../../encoding/go-number.js'
import { mountEntryJson, type MountTable } from '../../routing/mount-table.js'
import type { TokenStore } from '../token/token-store.js'
import { errorResponse, unsupportedOperation } from '../../routing/error-responses.js'

export interface MountRouteDeps {
  mounts: MountTable
  tokens: TokenStore
  host: EngineHost
}

const RESERVED = ['sys/', 'auth/', 'cubbyhole/', 'identity/']

function normalise(p: string): string {
  return `${p.replace(/^\/+|\/+$/g, '')}/`
}

/**
 * Handles `mounts[/path]` and `auth[/path]` inside `sys/`; undefined for other paths.
 * @throws VaultHttpError 400 for unknown types, duplicate paths and bad options.
 */
export function handleMountRoute(
  deps: MountRouteDeps,
  req: CoreRequest,
): EngineResponse | undefined {
  const m = /^(mounts|auth)(?:\/(.*))?$/.exec(req.path)
  if (!m) return undefined
  const table = m[1] === 'auth' ? 'auth' : 'secret'
  const rel = (m[2] ?? '').replace(/^\/+|\/+$/g, '')
  const { mounts } = deps
  const op = req.operation

  if (rel === '') {
    if (op !== 'read') throw unsupportedOperation()
    const data: Record<string, unknown> = {}
    const listed =
      table === 'auth' ? mounts.list('auth') : [...mounts.list('system'), ...mounts.list('secret')]
    for (const mt of listed) {
      data[table === 'auth' ? mt.path.slice('auth/'.length) : mt.path] = mountEntryJson(mt)
    }
    return { kind: 'envelope', data }
  }

  const path = normalise(rel)
  const full = table === 'auth' ? `auth/${path}` : path
  switch (op) {
    case 'read': {
      const mt = mounts.get(full)
      if (!mt) {
        throw errorResponse(
          table === 'auth' ? `No auth engine at ${path}` : `No secret engine mount at ${path}`,
        )
      }
      return { kind: 'envelope', data: mountEntryJson(mt) }
    }
    case 'create':
    case 'update':
      return enable(deps, req, table, path, full)
    case 'delete': {
      if (table === 'auth' && path === 'token/') {
        throw errorResponse('token credential backend cannot be disabled')
      }
      if (table === 'secret' && RESERVED.includes(path)) {
        throw errorResponse(`cannot unmount "${path}"`)
      }
      const removed = mounts.get(full) ? mounts.remove(full) : undefined
      if (removed && table === 'auth') deps.tokens.revokeByPathPrefix(full)
      return { kind: 'envelope' }
    }
    default:
      throw unsupportedOperation()
  }
}

function enable(
  deps: MountRouteDeps,
  req: CoreRequest,
  table: 'secret' | 'auth',
  path: string,
  full: string,
): EngineResponse {
  const d = req.data
  let type = stringField(d, 'type') ?? ''
  if (type === '') throw errorResponse('backend type must be specified as a string')
  const rawOptions = d.options
  if (rawOptions !== undefined && rawOptions !== null && !isJsonObject(rawOptions)) {
    throw errorResponse('error converting input for field "options"')
  }
  const options: Record<string, string> = {}
  for (const [k, v] of Object.entries((rawOptions ?? {}) as Record<string, unknown>)) {
    options[k] = numberLiteral(v) ?? String(v)
  }
  if (type === 'kv-v1' || type === 'kv-v2') {
    options.version = type === 'kv-v2' ? '2' : '1'
    type = 'kv'
  }
  if (table === 'auth' && type === 'token') {
    throw errorResponse('token credential backend cannot be instantiated')
  }
  const kind = engineType(type)
  if (!kind || kind.table !== table) {
    throw errorResponse(`plugin not found in the catalog: ${type}`)
  }
  if (options.version !== undefined && type !== 'kv') {
    throw errorResponse(`secrets engine "${type}" does not allow setting a version`)
  }
  if (type === 'kv' && options.version !== '2') {
    throw errorResponse(
      'the dev vault supports KV version 2 only: use type "kv-v2" or options.version "2"',
    )
  }
  if (table === 'secret' && RESERVED.some((r) => path.startsWith(r))) {
    throw errorResponse(`cannot mount under reserved path "${path}"`)
  }
  const config = (d.config ?? {}) as Record<string, unknown>
  if (!isJsonObject(config)) {
    throw errorResponse('error converting input for field "config"')
  }
  const description = stringField(d, 'description') ?? ''
  const local = boolField(d, 'local') ?? false
  const sealWrap = boolField(d, 'seal_wrap') ?? false
  const defaultTtl = durationField(config, 'default_lease_ttl') ?? 0
  const maxTtl = durationField(config, 'max_lease_ttl') ?? 0
  const engine = kind.factory(deps.host, { ...options })
  const added = deps.mounts.add({
    path: full,
    table,
    type,
    description,
    options: type === 'kv' ? options : null,
    config: { default_lease_ttl: defaultTtl, max_lease_ttl: maxTtl },
    local,
    sealWrap,
    engine,
  })
  if (!added.ok) throw errorResponse(`path is already in use at ${added.conflict}`)
  return { kind: 'envelope' }
}
