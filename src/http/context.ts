/** @module http/context: the per-request variables every HTTP middleware and route shares. */
import type { Principal } from '../core/identity.js'
import type { Logger } from '../observability/logger.js'

export interface AppVariables {
  /** Request id: the caller's sane `X-Request-Id`, or a new UUID. Echoed on every response. */
  requestId: string
  /** Set by the authentication middleware; absent on public routes. */
  principal?: Principal
  /** Logger bound to this request (request id, and agent once known). */
  log: Logger
}

export type AppEnv = { Variables: AppVariables }
