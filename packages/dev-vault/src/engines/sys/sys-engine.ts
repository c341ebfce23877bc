/** @module dev-vault/engines/sys/sys-engine: the `sys/` backend: mounts, auth methods, policies, capabilities. */
import type { EngineHost } from '../../routing/backend.js'
import type { CoreEngine, CoreRequest } from '../../routing/core-engine.js'
import { stringField, stringListField } from '../../encoding/request-fields.js'
import type { MountTable } from '../../routing/mount-table.js'
import type { PolicyStore } from '../../policy/policy-store.js'
import { handleMountRoute } from './sys-mount-routes.js'
import { handlePolicyRoute } from './sys-policy-routes.js'
import type { TokenEntry, TokenStore } from '../token/token-store.js'
import { badRequest, unsupportedOperation, unsupportedPath } from '../../routing/error-responses.js'

export interface SysEngineDeps {
  mounts: MountTable
  tokens: TokenStore
  policies: PolicyStore
  host: EngineHost
}

/** The system backend mounted at `sys/` (type `system`). */
export function createSysEngine(deps: SysEngineDeps): CoreEngine {
  return {
    type: 'system',
    handle(req) {
      const res =
        handleMountRoute(deps, req) ??
        handlePolicyRoute(deps.policies, req) ??
        capabilities(deps, req)
      if (!res) throw unsupportedPath()
      return res
    },
  }
}

/** `sys/capabilities-self` and `sys/capabilities` (token's capabilities on paths). */
function capabilities(deps: SysEngineDeps, req: CoreRequest) {
  if (req.path !== 'capabilities-self' && req.path !== 'capabilities') return undefined
  if (req.operation !== 'update' && req.operation !== 'create') throw unsupportedOperation()
  let token: TokenEntry | undefined = req.caller ?? undefined
  if (req.path === 'capabilities') {
    const id = stringField(req.data, 'token') ?? ''
    if (id === '') throw badRequest('missing token')
    token = deps.tokens.lookup(id)
    if (!token) throw badRequest('invalid token')
  }
  const paths = stringListField(req.data, 'paths') ?? stringListField(req.data, 'path') ?? []
  if (paths.length === 0) throw badRequest('missing paths')
  const acl = deps.policies.aclFor(token?.policies ?? [])
  const data: Record<string, unknown> = {}
  let last: string[] = []
  for (const p of paths) {
    last = acl.capabilities(p.replace(/^\/+/, ''))
    data[p] = last
  }
  if (paths.length === 1) data.capabilities = last
  return { kind: 'envelope' as const, data }
}
