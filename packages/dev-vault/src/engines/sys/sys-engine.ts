/** @module dev-vault/engines/sys/sys-engine: the `sys/` backend: mounts, auth methods, ACL policies, response wrapping. */
import type { EngineHost } from '../../routing/backend.js'
import type { CoreEngine } from '../../routing/core-engine.js'
import type { MountTable } from '../../routing/mount-table.js'
import type { PolicyStore } from '../../policy/policy-store.js'
import { handleMountRoute } from './sys-mount-routes.js'
import { handlePolicyRoute } from './sys-policy-routes.js'
import { handleWrappingRoute } from './sys-wrapping-routes.js'
import type { CubbyholeStore } from '../cubbyhole/cubbyhole-store.js'
import type { TokenStore } from '../token/token-store.js'
import { unsupportedPath } from '../../routing/error-responses.js'

export interface SysEngineDeps {
  mounts: MountTable
  tokens: TokenStore
  policies: PolicyStore
  cubbyholes: CubbyholeStore
  host: EngineHost
}

/** The system backend mounted at `sys/` (type `system`): mounts, auth methods, policies, wrapping. */
export function createSysEngine(deps: SysEngineDeps): CoreEngine {
  return {
    type: 'system',
    handle(req) {
      const res =
        handleMountRoute(deps, req) ??
        handlePolicyRoute(deps.policies, req) ??
        handleWrappingRoute(deps, req)
      if (!res) throw unsupportedPath()
      return res
    },
  }
}
