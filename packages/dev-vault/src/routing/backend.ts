/**
 * @module dev-vault/routing/backend: the contract between the dev vault's HTTP/core layer and its
 * engines (KV v2, Transit, token, AppRole, JWT). The core does routing to a mount, token
 * lookup, ACL checks and envelope rendering; an engine only sees requests inside its mount.
 */

/** Vault's logical operations (reference §1.1). POST/PUT become create or update (§1.6). */
export type LogicalOperation = 'read' | 'list' | 'create' | 'update' | 'patch' | 'delete'

/** A failure rendered as `{"errors":[...]}` with `status` (reference §1.7). */
export class VaultHttpError extends Error {
  override name = 'VaultHttpError'
  constructor(
    readonly status: number,
    readonly errors: string[] = [],
  ) {
    super(errors[0] ?? `HTTP ${status}`)
  }
}

/** What an engine may ask the core to do with tokens (auth engines issue tokens at login). */
export interface TokenIssueRequest {
  policies: string[]
  /** Seconds; 0 = the system default (2764800). */
  ttl?: number
  explicitMaxTtl?: number
  numUses?: number
  renewable?: boolean
  meta?: Record<string, string> | null
  displayName: string
  /** The auth path that issued it, e.g. `auth/approle/login`. */
  path: string
  noDefaultPolicy?: boolean
  /**
   * The identity the login authenticated (`logical.Alias`): its name on this auth mount (a
   * JWT's user claim, an AppRole's role ID) and metadata. The token acts for its entity.
   */
  alias?: { name: string; metadata: Record<string, string> }
}

/** The `auth` block of a login/create response (reference §4.1). */
export interface AuthBlock {
  client_token: string
  accessor: string
  policies: string[]
  token_policies?: string[]
  metadata: Record<string, string> | null
  lease_duration: number
  renewable: boolean
  entity_id: string
  token_type: 'service'
  orphan: boolean
  mfa_requirement: null
  num_uses: number
}

/** Services the core offers to engines. */
export interface EngineHost {
  /** Issues an orphan service token (logins). */
  issueToken(req: TokenIssueRequest): AuthBlock
  /** Current time in ms (tests may control the clock). */
  now(): number
}

export interface EngineRequest {
  operation: LogicalOperation
  /** Path inside the mount, without a leading slash (`data/app/db`, `keys/k`, `login`). */
  path: string
  /** JSON body (POST/PUT/PATCH) or query parameters (GET/LIST/DELETE); `{}` when none. */
  data: Record<string, unknown>
  /** Raw query parameters (GET `?version=` and friends). */
  query: URLSearchParams
  /** The mount path with a trailing slash (`secret/`). */
  mountPath: string
  /** Display name of the calling token (`root`, `token`, `approle`), `''` for unauthenticated. */
  tokenDisplayName: string
}

/**
 * An engine's answer:
 * - `envelope`: wrapped in Vault's response envelope; 204 when `data`, `auth` and `warnings`
 *   are all absent (reference §1.5), else 200. `wrapInfo` asks the core to response-wrap it
 *   (`sys/wrapping/rewrap` does: TTL in seconds and the original creation path).
 * - `raw`: written with `status` (reference §1.9): an object is JSON-encoded, a string sent as
 *   it is, `null` means an empty body.
 */
export type EngineResponse =
  | {
      kind: 'envelope'
      data?: Record<string, unknown> | null
      auth?: AuthBlock | null
      warnings?: string[]
      wrapInfo?: { ttl: number; creationPath: string }
    }
  | { kind: 'raw'; status: number; body: Record<string, unknown> | string | null }

export interface Engine {
  /** Vault mount type: `kv`, `transit`, `approle`, `jwt`, `token`. */
  readonly type: string
  /**
   * For POST/PUT: whether the target exists, which turns the operation into `update`
   * (exists) or `create` (absent). Return `undefined` for paths without an existence check
   * (always `update`). Reference §1.6. `clientToken` is the caller's token, as Vault's
   * `req.ClientToken` (the cubbyhole's entries are per token).
   */
  exists?(path: string, data: Record<string, unknown>, clientToken?: string): boolean | undefined
  /** Paths inside this mount that need no token (auth engines' `login`). */
  isUnauthenticated?(path: string, operation: LogicalOperation): boolean
  /** Handles one request; throws VaultHttpError for Vault errors. */
  handle(req: EngineRequest): Promise<EngineResponse> | EngineResponse
}

/** Builds a fresh engine for a new mount. */
export type EngineFactory = (host: EngineHost, options: Record<string, unknown>) => Engine
