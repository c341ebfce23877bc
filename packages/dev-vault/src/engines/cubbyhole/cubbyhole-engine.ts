/** @module dev-vault/engines/cubbyhole/cubbyhole-engine: the `cubbyhole/` mount: each token sees only its own entries. */
import type { CoreEngine } from '../../routing/core-engine.js'
import type { TokenEntry } from '../token/token-store.js'
import type { CubbyholeStore } from './cubbyhole-store.js'
import { goError, unsupportedOperation } from '../../routing/error-responses.js'
import { RESPONSE_WRAPPING_POLICY } from '../../policy/policy-store.js'

/** Vault's warning when a wrapping token reads its response the legacy way. */
export const CUBBYHOLE_RESPONSE_WARNING =
  "Reading from 'cubbyhole/response' is deprecated. Please use sys/wrapping/unwrap to unwrap responses, as it provides additional security checks and other benefits."

/**
 * The cubbyhole backend (`vault/logical_cubbyhole.go`): read, write, list and delete under the
 * calling token's own prefix, with an existence check. Entries go when the token is revoked.
 */
export function createCubbyholeEngine(store: CubbyholeStore): CoreEngine {
  return {
    type: 'cubbyhole',
    exists: (path, _data, clientToken) => store.get(clientToken ?? '', path) !== undefined,
    handle(req) {
      const caller = req.caller as TokenEntry
      const path = req.path
      switch (req.operation) {
        case 'read': {
          if (path === '') throw goError('missing path')
          const data = store.get(caller.id, path)
          if (!data) return { kind: 'envelope' }
          const wrapping =
            path === 'response' &&
            caller.policies.length === 1 &&
            caller.policies[0] === RESPONSE_WRAPPING_POLICY
          return { kind: 'envelope', data, warnings: wrapping ? [CUBBYHOLE_RESPONSE_WARNING] : [] }
        }
        case 'create':
        case 'update':
          if (Object.keys(req.data).length === 0) throw goError('missing data fields')
          if (path === '') throw goError('missing path')
          store.put(caller.id, path, req.data)
          return { kind: 'envelope' }
        case 'delete':
          store.delete(caller.id, path)
          return { kind: 'envelope' }
        case 'list': {
          const prefix = path === '' || path.endsWith('/') ? path : `${path}/`
          return { kind: 'envelope', data: { keys: store.list(caller.id, prefix) } }
        }
        default:
          throw unsupportedOperation()
      }
    },
  }
}
