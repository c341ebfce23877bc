/**
 * @module dev-vault/engines/kv/kv-engine: the KV v2 secrets engine (reference §2), state in
 * memory: data, metadata, delete/undelete/destroy and list. The mount's `config` and `subkeys/`
 * are not emulated (no bridge operation calls them).
 */
import type { Engine, EngineFactory, EngineRequest, EngineResponse } from '../../routing/backend.js'
import { rawEnvelope } from '../../http/envelope.js'
import { asGoFloats, isJsonObject } from '../../encoding/go-number.js'
import { intField } from '../../encoding/request-fields.js'
import { applyMetadata, isEmpty, metadataFields } from './kv-metadata.js'
import {
  addVersion,
  effectiveDeleteAfter,
  isDeleted,
  metadataJson,
  newKey,
  versionJson,
  type KvKey,
} from './kv-state.js'
import { mergePatch } from '../../encoding/merge-patch.js'
import { errorResponse, unsupportedOperation } from '../../routing/error-responses.js'

const ROOTS = new Set(['data', 'metadata', 'delete', 'undelete', 'destroy', 'subkeys'])

const CLI_VERB: Record<string, string> = {
  create: 'put',
  update: 'put',
  patch: 'patch',
  read: 'get',
  list: 'list',
  delete: 'delete',
}

const isMap = isJsonObject

/** `options.cas` from a write/patch body: undefined when absent. */
function casOption(data: Record<string, unknown>): number | undefined {
  const options = data.options
  if (options === undefined || options === null) return undefined
  if (!isMap(options)) throw errorResponse('error parsing check-and-set parameter')
  const cas = options.cas
  if (cas === undefined || cas === null) return undefined
  if (typeof cas === 'number' && Number.isInteger(cas)) return cas
  if (typeof cas === 'string' && /^\d+$/.test(cas)) return Number(cas)
  throw errorResponse('error parsing check-and-set parameter')
}

/** Versions list: `[1,2]`, `"1,2"` or a single number (framework `TypeCommaIntSlice`). */
function versionsField(data: Record<string, unknown>): number[] {
  const v = data.versions
  if (v === undefined || v === null) return []
  const items =
    typeof v === 'string' ? v.split(',').filter((s) => s.trim() !== '') : Array.isArray(v) ? v : [v]
  return items.map((x) => {
    const n =
      typeof x === 'number' ? x : typeof x === 'string' && /^\s*\d+\s*$/.test(x) ? Number(x) : NaN
    if (!Number.isInteger(n))
      throw errorResponse(`error converting input ${JSON.stringify(v)} for field "versions"`)
    return n
  })
}

/** Builds a KV v2 engine with its own empty store. */
export const createKvEngine: EngineFactory = (host) => {
  const keys = new Map<string, KvKey>()
  const now = () => host.now()

  function checkCas(key: KvKey | undefined, data: Record<string, unknown>): void {
    const cas = casOption(data)
    const required = key?.casRequired ?? false
    if (cas === undefined && required)
      throw errorResponse('check-and-set parameter required for this call')
    if (cas !== undefined && cas !== (key?.currentVersion ?? 0)) {
      throw errorResponse('check-and-set parameter did not match the current version')
    }
  }

  function readData(path: string, req: EngineRequest): EngineResponse {
    const key = keys.get(path)
    if (!key) return { kind: 'envelope' }
    const wanted = intField(req.data, 'version') ?? 0
    const n = wanted > 0 ? wanted : key.currentVersion
    const v = key.versions.get(n)
    if (!v) return { kind: 'envelope' }
    const metadata = versionJson(key, n, v)
    if (v.destroyed || isDeleted(v, now())) return rawEnvelope(404, { data: null, metadata })
    return { kind: 'envelope', data: { data: asGoFloats(v.data), metadata } }
  }

  function writeData(path: string, req: EngineRequest): EngineResponse {
    const body = req.data.data
    if (body === undefined || body === null) throw errorResponse('no data provided')
    if (!isMap(body)) throw errorResponse('error converting input for field "data"')
    const existing = keys.get(path)
    checkCas(existing, req.data)
    const key = existing ?? newKey(now())
    const v = addVersion(key, body, now())
    keys.set(path, key)
    return { kind: 'envelope', data: versionJson(key, key.currentVersion, v) }
  }

  function patchData(path: string, req: EngineRequest): EngineResponse {
    const body = req.data.data
    if (body === undefined || body === null) throw errorResponse('no data provided')
    if (!isMap(body)) throw errorResponse('error converting input for field "data"')
    const key = keys.get(path)
    if (!key) return { kind: 'raw', status: 404, body: null }
    checkCas(key, req.data)
    const current = key.versions.get(key.currentVersion)
    if (!current) return { kind: 'raw', status: 404, body: null }
    if (current.destroyed || isDeleted(current, now())) {
      return rawEnvelope(404, versionJson(key, key.currentVersion, current))
    }
    const merged = mergePatch(asGoFloats(current.data ?? {}), body) as Record<string, unknown>
    const v = addVersion(key, merged, now())
    return { kind: 'envelope', data: versionJson(key, key.currentVersion, v) }
  }

  function deleteLatest(path: string): EngineResponse {
    const key = keys.get(path)
    const v = key?.versions.get(key.currentVersion)
    if (v && !v.destroyed && !isDeleted(v, now())) v.deletionTime = now()
    return { kind: 'envelope' }
  }

  function versionsOp(verb: string, path: string, req: EngineRequest): EngineResponse {
    const versions = versionsField(req.data)
    if (versions.length === 0) {
      throw errorResponse(
        verb === 'destroy' ? 'no version number provided' : 'No version number provided',
      )
    }
    const key = keys.get(path)
    if (!key) return { kind: 'envelope' }
    const t = now()
    for (const n of versions) {
      const v = key.versions.get(n)
      if (!v) continue
      if (verb === 'delete') {
        if (!v.destroyed && !isDeleted(v, t)) v.deletionTime = t
      } else if (verb === 'undelete') {
        if (v.destroyed) continue
        const after = effectiveDeleteAfter(key)
        v.deletionTime = after > 0 ? t + after * 1000 : null
      } else {
        v.destroyed = true
        v.data = null
      }
    }
    return { kind: 'envelope' }
  }

  function listKeys(prefix: string): EngineResponse {
    const out = new Set<string>()
    for (const k of keys.keys()) {
      if (!k.startsWith(prefix)) continue
      const rest = k.slice(prefix.length)
      if (rest === '') continue
      const slash = rest.indexOf('/')
      out.add(slash >= 0 ? rest.slice(0, slash + 1) : rest)
    }
    return { kind: 'envelope', data: { keys: [...out].sort() } }
  }

  function metadata(path: string, req: EngineRequest): EngineResponse {
    switch (req.operation) {
      case 'list':
        return listKeys(path)
      case 'read': {
        const key = keys.get(path)
        return key ? { kind: 'envelope', data: metadataJson(key) } : { kind: 'envelope' }
      }
      case 'create':
      case 'update': {
        const fields = metadataFields(req.data, false)
        if (isEmpty(fields)) return { kind: 'envelope' }
        const key = keys.get(path) ?? newKey(now())
        applyMetadata(key, fields, now())
        keys.set(path, key)
        return { kind: 'envelope' }
      }
      case 'patch': {
        const key = keys.get(path)
        if (!key) return { kind: 'raw', status: 404, body: null }
        const fields = metadataFields(req.data, true)
        if (fields.customMetadata !== undefined) {
          fields.customMetadata = mergePatch(
            key.customMetadata ?? {},
            req.data.custom_metadata,
          ) as Record<string, string>
        }
        applyMetadata(key, fields, now())
        return { kind: 'envelope' }
      }
      case 'delete':
        keys.delete(path)
        return { kind: 'envelope' }
    }
  }

  const engine: Engine = {
    type: 'kv',
    exists(path) {
      const m = /^(data|metadata)\/(.+)$/.exec(path)
      if (!m) return undefined
      return keys.has(m[2] as string)
    },
    handle(req) {
      const { path, operation: op } = req
      const slash = path.indexOf('/')
      const root = slash < 0 ? path : path.slice(0, slash)
      const rest = slash < 0 ? '' : path.slice(slash + 1)
      if (ROOTS.has(root) && slash < 0 && op !== 'list') {
        return rawEnvelope(404, null, [
          'Non-listing operations on the root of a K/V v2 mount are not supported.',
        ])
      }
      if (root === 'metadata' && (op === 'list' || rest !== '')) return metadata(rest, req)
      if (root === 'data' && rest !== '' && !rest.endsWith('/') && op !== 'list') {
        switch (op) {
          case 'read':
            return readData(rest, req)
          case 'create':
          case 'update':
            return writeData(rest, req)
          case 'patch':
            return patchData(rest, req)
          case 'delete':
            return deleteLatest(rest)
        }
      }
      if (
        (root === 'delete' || root === 'undelete' || root === 'destroy') &&
        rest !== '' &&
        op !== 'list'
      ) {
        if (op !== 'update' && op !== 'create') throw unsupportedOperation()
        return versionsOp(root, rest, req)
      }
      return rawEnvelope(404, null, [
        `Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv ${CLI_VERB[op] ?? 'get'}' for this operation.`,
      ])
    },
  }
  return engine
}
