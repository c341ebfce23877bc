/** @module dev-vault/engines/engine-routes: the path tables of the Transit, AppRole and JWT engines. */
import type { EngineRequest, EngineResponse } from '../routing/backend.js'
import { unsupportedOperation, unsupportedPath } from '../routing/error-responses.js'

/** `framework.GenericNameRegex`, one capture group. */
export const GENERIC_NAME = String.raw`(\w(?:(?:[\w.@-]+)?\w)?)`

/** Answers one operation on a matched path; `m` is the pattern's match. */
export type Handler = (m: string[], req: EngineRequest) => EngineResponse | Promise<EngineResponse>

/** A path pattern and the operations it supports. */
export type Route = { pattern: RegExp; ops: Partial<Record<EngineRequest['operation'], Handler>> }

/** The same handler for `create` and `update` (POST/PUT), as Vault's `UpdateOperation` paths. */
export const writeOps = (h: Handler): Route['ops'] => ({ create: h, update: h })

/**
 * Runs the handler of the first route whose pattern matches `req.path`.
 * @throws VaultHttpError 405 `unsupported operation` when the path has no handler for the
 *   operation, 404 `unsupported path` when no route matches.
 */
export function dispatch(
  routes: Route[],
  req: EngineRequest,
): EngineResponse | Promise<EngineResponse> {
  for (const route of routes) {
    const m = route.pattern.exec(req.path)
    if (!m) continue
    const handler = route.ops[req.operation]
    if (!handler) throw unsupportedOperation()
    return handler(m, req)
  }
  throw unsupportedPath()
}
