/** @module dev-vault/engines/sys/sys-policy-routes: `sys/policies/acl/*` (§6.1). */
import type { EngineResponse } from '../../routing/backend.js'
import type { CoreRequest } from '../../routing/core-engine.js'
import { stringField } from '../../encoding/request-fields.js'
import { parsePolicy, PolicyParseError } from '../../policy/policy-document.js'
import { IMMUTABLE_POLICIES, type PolicyStore } from '../../policy/policy-store.js'
import { errorResponse, unsupportedOperation } from '../../routing/error-responses.js'

/** Vault decodes a policy that parses as standard base64 (with padding). */
function maybeBase64(text: string): string {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return text
  return Buffer.from(text, 'base64').toString('utf8')
}

/**
 * Handles `policies/acl[/name]` inside `sys/`; returns undefined for other paths (the legacy
 * `sys/policy/*` API is not implemented: the bridge uses `sys/policies/acl`).
 * @throws VaultHttpError 400 for bad documents, `root` writes and protected deletes.
 */
export function handlePolicyRoute(
  store: PolicyStore,
  req: CoreRequest,
): EngineResponse | undefined {
  const match = /^policies\/acl\/?(.*)$/.exec(req.path)
  if (!match) return undefined
  const rawName = (match[1] as string).replace(/\/$/, '')
  const op = req.operation

  if (rawName === '') {
    if (op !== 'list') throw unsupportedOperation()
    return { kind: 'envelope', data: { keys: store.list() } }
  }

  const name = rawName.toLowerCase()
  switch (op) {
    case 'read': {
      const p = store.get(name)
      if (!p) return { kind: 'envelope' }
      return { kind: 'envelope', data: { name: p.name, policy: p.raw } }
    }
    case 'create':
    case 'update': {
      const warnings: string[] = []
      const text = stringField(req.data, 'policy')
      if (name !== rawName) warnings.push(`policy name was converted to ${name}`)
      if (IMMUTABLE_POLICIES.includes(name)) throw errorResponse(`cannot update "${name}" policy`)
      if (text === undefined || text === '')
        throw errorResponse("'policy' parameter not supplied or empty")
      const doc = maybeBase64(text)
      try {
        store.put(parsePolicy(name, doc))
      } catch (e) {
        if (e instanceof PolicyParseError)
          throw errorResponse(`failed to parse policy: ${e.message}`)
        throw e
      }
      return { kind: 'envelope', warnings }
    }
    case 'delete':
      if (IMMUTABLE_POLICIES.includes(name)) throw errorResponse(`cannot delete "${name}" policy`)
      if (name === 'default') throw errorResponse('cannot delete default policy')
      store.remove(name)
      return { kind: 'envelope' }
    default:
      throw unsupportedOperation()
  }
}
