/** @module dev-vault/routing/vault-core: the request pipeline: token, existence check, ACL, mount routing. */
import { VaultHttpError, type EngineResponse, type LogicalOperation } from './backend.js'
import type { CoreRequest } from './core-engine.js'
import { goJson } from '../encoding/go-json.js'
import { envelopeAnswer, envelopeObject, errorAnswer, type HttpAnswer } from '../http/envelope.js'
import type { MountTable } from './mount-table.js'
import type { PolicyStore } from '../policy/policy-store.js'
import type { TokenEntry, TokenStore } from '../engines/token/token-store.js'
import { multiError, PERMISSION_DENIED } from './error-responses.js'
import { isEmptyResponse, type ResponseWrapping } from './response-wrapping.js'

/** A request after the HTTP layer: POST/PUT arrive as `write` (create or update, §1.6). */
export interface LogicalRequest {
  operation: LogicalOperation | 'write'
  path: string
  data: Record<string, unknown>
  query: URLSearchParams
  /** Client token from `X-Vault-Token` or `Authorization: Bearer`; '' when none. */
  token: string
  /** `X-Vault-Wrap-TTL` in seconds (0 and sub-second values allowed); undefined when absent. */
  wrapTtl?: number
}

export interface VaultCore {
  handle(req: LogicalRequest): Promise<HttpAnswer>
}

export interface VaultCoreDeps {
  mounts: MountTable
  tokens: TokenStore
  policies: PolicyStore
  wrapping: ResponseWrapping
}

/** Paths that need no token (reference §1.6), outside the auth engines' own login paths. */
const UNAUTHENTICATED_SYS = [
  /^sys\/health$/,
  /^sys\/seal-status$/,
  /^sys\/init$/,
  /^sys\/leader$/,
  /^sys\/internal\/ui\/mounts(\/.*)?$/,
  /^sys\/wrapping\/lookup$/,
]

/** Root-protected paths: any operation also needs `sudo` (reference §1.6). */
const SUDO_PATHS = [
  /^sys\/auth\/./,
  /^sys\/audit$/,
  /^sys\/audit\//,
  /^sys\/raw(\/|$)/,
  /^sys\/remount$/,
  /^sys\/rotate$/,
  /^sys\/config\/cors$/,
  /^sys\/config\/auditing\//,
  /^sys\/plugins\/catalog\//,
  /^sys\/leases\/revoke-prefix\//,
  /^sys\/leases\/revoke-force\//,
  /^sys\/leases\/lookup\//,
  /^sys\/leases$/,
  /^sys\/revoke-prefix\//,
  /^sys\/revoke-force\//,
  /^auth\/token\/revoke-orphan\//,
  /^auth\/token\/accessors/,
]

/** Legacy sys routes whose `data` keys are also copied to the top level (reference §1.4). */
const INJECTOR = [
  /^sys\/mounts(\/.*)?$/,
  /^sys\/auth(\/.*)?$/,
  /^sys\/policy(\/.*)?$/,
  /^sys\/capabilities/,
  /^sys\/key-status$/,
  /^sys\/audit/,
]

/** True when `path` is root-protected (needs `sudo` in addition to the operation's capability). */
export function isSudoPath(path: string): boolean {
  return SUDO_PATHS.some((r) => r.test(path))
}

/**
 * The core of the dev vault, in Vault's order: wrapping-token validation (`sys/wrapping/*`) →
 * token lookup → existence check (POST/PUT) → ACL → route to the mount's engine → response
 * wrapping → render (reference §1.6).
 */
export function createVaultCore(deps: VaultCoreDeps): VaultCore {
  const { mounts, tokens, policies, wrapping } = deps

  async function handle(req: LogicalRequest): Promise<HttpAnswer> {
    const invalidWrappingToken = wrapping.validate(req.path, req.data, req.token)
    if (invalidWrappingToken) return invalidWrappingToken
    const mount = mounts.match(req.path)
    const rel = mount ? req.path.slice(mount.path.length) : ''
    const write = req.operation === 'write'
    let operation: LogicalOperation = write ? 'update' : (req.operation as LogicalOperation)
    const unauthenticated =
      UNAUTHENTICATED_SYS.some((r) => r.test(req.path)) ||
      (mount?.engine.isUnauthenticated?.(rel, operation) ?? false)

    let caller: TokenEntry | null = null
    if (!unauthenticated) {
      if (!req.token) return errorAnswer(403, PERMISSION_DENIED.noToken)
      caller = tokens.lookup(req.token) ?? null
      if (!caller) return errorAnswer(403, PERMISSION_DENIED.invalidToken)
      // Vault counts a use before the ACL check, so a denied request also spends one.
      tokens.use(caller)
      if (write && mount?.engine.exists) {
        // Security: an engine without an existence check on a path is always `update`, so a
        // policy granting only `create` cannot overwrite (reference §1.6).
        const exists = mount.engine.exists(rel, req.data, req.token)
        operation = exists === false ? 'create' : 'update'
      }
      const acl = policies.aclFor(caller.policies)
      if (!acl.allows(req.path, operation, isSudoPath(req.path), req.data, req.wrapTtl)) {
        tokens.finishUse(caller)
        return errorAnswer(403, PERMISSION_DENIED.aclDenied)
      }
    }
    try {
      if (!mount) {
        return errorAnswer(404, [`no handler for route "${req.path}". route entry not found.`])
      }
      const coreReq: CoreRequest = {
        operation,
        path: rel,
        data: req.data,
        query: req.query,
        mountPath: mount.path,
        tokenDisplayName: caller?.displayName ?? '',
        caller,
        fullPath: req.path,
        clientToken: req.token,
        wrapTtl: req.wrapTtl,
      }
      const res = await mount.engine.handle(coreReq)
      const wrapTtl = isEmptyResponse(res) ? 0 : wrapping.ttlFor(res, req.wrapTtl)
      if (wrapTtl > 0) {
        return wrapping.wrap(res, wrapTtl, { path: req.path, operation, mountType: mount.type })
      }
      return render(
        res,
        operation,
        mount.type,
        INJECTOR.some((r) => r.test(req.path)),
      )
    } catch (err) {
      if (err instanceof VaultHttpError) return errorAnswer(err.status, err.errors)
      return errorAnswer(500, [multiError('internal error')])
    } finally {
      if (caller) tokens.finishUse(caller)
    }
  }

  return { handle }
}

function render(
  res: EngineResponse,
  operation: LogicalOperation,
  mountType: string,
  inject: boolean,
): HttpAnswer {
  // Raw bodies are the plugin's json.Marshal output: no trailing newline (reference §1.9).
  if (res.kind === 'raw') {
    const body =
      typeof res.body === 'string' || res.body === null ? res.body : goJson(res.body, false)
    return { status: res.status, body }
  }
  const data = res.data ?? null
  const warnings = res.warnings ?? []
  const empty = data === null && !res.auth && warnings.length === 0
  if (operation === 'list') {
    const status = listStatus(data, warnings)
    if (status === 404) return errorAnswer(404)
  } else if (empty) {
    return operation === 'read' ? errorAnswer(404) : { status: 204, body: null }
  }
  return envelopeAnswer(200, envelopeObject(data, warnings, res.auth, mountType), inject)
}

/** `RespondErrorCommon` for list operations (reference §1.8). */
function listStatus(data: Record<string, unknown> | null, warnings: string[]): 200 | 404 {
  if (!data || Object.keys(data).length === 0) return warnings.length > 0 ? 200 : 404
  const keys = data.keys
  if (keys === undefined || keys === null) {
    const others = Object.keys(data).filter((k) => k !== 'keys').length
    return others > 0 || warnings.length > 0 ? 200 : 404
  }
  return Array.isArray(keys) && keys.length === 0 ? 404 : 200
}
