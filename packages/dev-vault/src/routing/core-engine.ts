/** @module dev-vault/routing/core-engine: what the core passes to its built-in engines (sys, token). */
import type { Engine, EngineRequest, EngineResponse } from './backend.js'
import type { TokenEntry } from '../engines/token/token-store.js'

/** An engine request plus the caller, for the core's own engines (sys, auth/token). */
export interface CoreRequest extends EngineRequest {
  /** The calling token; null on unauthenticated paths. */
  caller: TokenEntry | null
  /** Full logical path (`auth/token/create`), for sudo checks. */
  fullPath: string
  /** The client token as sent (`X-Vault-Token` or bearer), '' when none; `req.ClientToken`. */
  clientToken: string
  /** `X-Vault-Wrap-TTL` in seconds; undefined when the header was absent. */
  wrapTtl: number | undefined
}

/** An engine that may read the caller; plugin engines (`Engine`) fit this type too. */
export interface CoreEngine extends Omit<Engine, 'handle'> {
  handle(req: CoreRequest): Promise<EngineResponse> | EngineResponse
}
