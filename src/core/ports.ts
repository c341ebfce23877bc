/** @module core/ports: what the secrets service needs from Vault, implemented by src/vault. */
import type { AuthMethod, CallContext } from './identity.js'

/** KV v2 metadata of one version, as Vault reports it (timestamps RFC 3339, `''` when unset). */
export interface KvVersionMetadata {
  version: number
  created_time: string
  deletion_time: string
  destroyed: boolean
  custom_metadata: Record<string, string> | null
}

export interface KvSecret {
  data: Record<string, unknown>
  metadata: KvVersionMetadata
}

/** KV v2 key metadata (`GET {mount}/metadata/{key}`). */
export interface KvKeyMetadata {
  current_version: number
  oldest_version: number
  created_time: string
  updated_time: string
  max_versions: number
  cas_required: boolean
  delete_version_after: string
  custom_metadata: Record<string, string> | null
  versions: Record<string, { created_time: string; deletion_time: string; destroyed: boolean }>
}

/** The settings of a KV v2 key that its metadata write changes (absent: unchanged). */
export interface KvKeySettings {
  max_versions?: number
  cas_required?: boolean
  delete_version_after?: string
  custom_metadata?: Record<string, string>
}

/** One item of a Transit batch: a value, or the error that item failed with (safe message). */
export type ItemResult<T> =
  { ok: true; value: T } | { ok: false; code: 'INVALID_INPUT'; message: string }

/**
 * What Vault returns of a response-wrapped call (`wrap_info`): a single-use wrapping token and
 * facts about it. Security: the token is a credential for exactly one unwrap of the response.
 */
export interface WrapInfo {
  token: string
  accessor: string
  /** Seconds the wrapping token lives. */
  ttl: number
  /** RFC 3339, as Vault wrote it. */
  creation_time: string
  /** The Vault path of the wrapped call (`secret/data/mcp/agent/app/db`). */
  creation_path: string
}

/**
 * A Transit key as the read of its settings shows it. Security: no key material; signing keys
 * carry their public keys, symmetric keys only creation times.
 */
export interface TransitKeyInfo {
  type: string
  latest_version: number
  min_decryption_version: number
  min_encryption_version: number
  supports_encryption: boolean
  supports_decryption: boolean
  supports_signing: boolean
  derived: boolean
  exportable: boolean
  versions: { version: number; created_time: string; public_key?: string }[]
}

/** How an ECDSA signature is made (ignored by Ed25519). */
export interface SignatureOptions {
  hash_algorithm?: string
  marshaling_algorithm?: string
}

export interface TransitCiphertext {
  ciphertext: string
  key_version: number
}

/**
 * Vault operations for one request, already authorised for one agent (bridge token or child
 * token). Keys and key names passed here are full Vault-side names computed by the service;
 * this port performs no namespacing of its own.
 *
 * Every method throws `AppError`: SECRET_NOT_FOUND, VERSION_DELETED, VERSION_DESTROYED,
 * CAS_MISMATCH, FORBIDDEN (Vault 403), INVALID_INPUT (Vault 400), VAULT_UNAVAILABLE, INTERNAL;
 * Transit methods also KEY_NOT_FOUND (a key read) and TRANSIT_NOT_MOUNTED.
 */
export interface VaultSession {
  kvRead(key: string, version?: number): Promise<KvSecret>
  /**
   * The same read, response-wrapped by Vault for `ttlSeconds` (at least 1): only the wrapping
   * information comes back.
   * @throws INTERNAL when Vault's answer is not a wrapped response (fail closed: no data).
   */
  kvReadWrapped(key: string, ttlSeconds: number, version?: number): Promise<WrapInfo>
  kvWrite(key: string, data: Record<string, unknown>, cas?: number): Promise<KvVersionMetadata>
  kvPatch(key: string, data: Record<string, unknown>, cas?: number): Promise<KvVersionMetadata>
  kvDeleteLatest(key: string): Promise<void>
  kvDeleteVersions(key: string, versions: number[]): Promise<void>
  kvUndelete(key: string, versions: number[]): Promise<void>
  kvDestroy(key: string, versions: number[]): Promise<void>
  /** Direct children of a folder key (`a/b/`); folders end in `/`. Empty when nothing is there. */
  kvList(folderKey: string): Promise<string[]>
  kvReadMetadata(key: string): Promise<KvKeyMetadata>
  /** Sets the given key settings, keeps the others (`custom_metadata` replaces the whole map). */
  kvWriteMetadata(key: string, settings: KvKeySettings): Promise<void>
  kvDeleteMetadata(key: string): Promise<void>
  transitEncrypt(
    keyName: string,
    items: { plaintext: string; context?: string }[],
  ): Promise<ItemResult<TransitCiphertext>[]>
  transitDecrypt(
    keyName: string,
    items: { ciphertext: string; context?: string }[],
  ): Promise<ItemResult<{ plaintext: string }>[]>
  transitRewrap(
    keyName: string,
    items: { ciphertext: string; context?: string }[],
  ): Promise<ItemResult<TransitCiphertext>[]>
  transitDataKey(
    keyName: string,
    options: { type: 'plaintext' | 'wrapped'; bits: 128 | 256 | 512; context?: string },
  ): Promise<TransitCiphertext & { plaintext?: string }>
  /** Creates a key (Vault keeps an existing one); undefined when Vault answered without it (before 1.14). */
  transitCreateKey(keyName: string, type: string): Promise<TransitKeyInfo | undefined>
  /** @throws KEY_NOT_FOUND */
  transitReadKey(keyName: string): Promise<TransitKeyInfo>
  /** Every key name on the mount (Vault lists no prefix); empty when there is none. */
  transitListKeys(): Promise<string[]>
  /** A new key version; undefined when Vault answered without the key (before 1.14). */
  transitRotateKey(keyName: string): Promise<TransitKeyInfo | undefined>
  transitHmac(
    keyName: string,
    options: { input: string; algorithm: string; key_version?: number },
  ): Promise<{ hmac: string; key_version: number }>
  transitVerifyHmac(
    keyName: string,
    options: { input: string; hmac: string; algorithm: string },
  ): Promise<boolean>
  transitSign(
    keyName: string,
    options: SignatureOptions & { input: string; key_version?: number },
  ): Promise<{ signature: string; key_version: number }>
  transitVerifySignature(
    keyName: string,
    options: SignatureOptions & { input: string; signature: string },
  ): Promise<boolean>
}

export interface VaultReadiness {
  ready: boolean
  /** Short, safe reason when not ready (`vault unreachable`, `vault sealed`, `token invalid`). */
  reason?: string
}

/** The Vault side of the bridge. */
export interface VaultPort {
  /**
   * Runs `fn` with Vault access for one agent request. `calls` bounds how many Vault calls `fn`
   * makes, so that a per-request child token can be minted with exactly that many uses.
   */
  session<T>(ctx: CallContext, calls: number, fn: (vault: VaultSession) => Promise<T>): Promise<T>
  /** Through which token a `session` for this caller reaches Vault (whoami tells the caller). */
  identity(ctx: CallContext): VaultIdentity
  readiness(): Promise<VaultReadiness>
}

/**
 * How Vault sees one caller's requests: `bridge_token` (the bridge's own token), `child_token`
 * (a short-lived token of the agent's own per request), `own_login` (the caller's own login at
 * Vault's JWT method, JWT exchange), or `none` (the bridge reaches Vault only as the caller, and
 * this caller's credential cannot log in there).
 */
export type VaultIdentity = 'bridge_token' | 'child_token' | 'own_login' | 'none'

/**
 * One finished operation, as the audit trail records it. Security: names and version numbers
 * only; never a secret value, plaintext, ciphertext, token or API key.
 */
export interface OperationEvent {
  time: string
  requestId: string
  /** The caller's own request id, cleaned, when it sent one. */
  clientRequestId?: string
  agent: string
  method: string
  operation: string
  /** Agent-relative path, list prefix or transit key name, as the caller gave it. */
  target?: string
  version?: number | number[]
  /** `ok` or the error code. */
  outcome: string
  durationMs: number
  vaultRequestIds: string[]
  /**
   * A response-wrapped read: the wrapping token's accessor and TTL. Security: never the token
   * itself, which is a credential for the values.
   */
  wrap?: { accessor: string; ttl: number }
}

/** Told about every operation the adapters run (audit trail, metrics). Must not throw. */
export interface OperationObserver {
  operationFinished(event: OperationEvent): void
}

/**
 * A request refused before any operation ran: authentication (401), the transport guard or an
 * invalid identity (403), a rate limit (429). Security: names, codes and addresses only; never
 * the credential that was presented.
 */
export interface RefusalEvent {
  time: string
  requestId: string
  /** The caller's own request id, cleaned, when it sent one. */
  clientRequestId?: string
  /** The HTTP method and the route pattern (never the raw URL, which names secret paths). */
  method: string
  route: string
  /** The error code the caller got. */
  outcome: string
  status: number
  /** Why, as a fixed word: `no_credential`, `invalid_credential`, `origin_not_allowed`, ... */
  reason: string
  /** The kind of credential the request carried (`api_key`, `jwt`, `mtls`, `none`). */
  credential: string
  /** The agent, when the refusal came after authentication (its rate limit). */
  agent?: string
  /** The TCP peer. */
  clientAddress?: string
}

/** Told about every refused request (the audit trail). Must not throw. */
export interface RefusalObserver {
  requestRefused(event: RefusalEvent): void
}

/**
 * Remembers single-use nonces until they expire, so that a signed token (an MCP requestState,
 * a one-time link) is honoured once. Shared by every replica when backed by Redis.
 */
export interface NonceStore {
  /**
   * Marks `nonce` used until `expiresAt` (epoch ms). Resolves true the first time, false when it
   * was already used.
   * @throws when the store cannot tell (Redis unreachable, memory full): callers refuse.
   */
  consume(nonce: string, expiresAt: number): Promise<boolean>
  close(): Promise<void>
}

/**
 * A request the bridge refused for a security reason outside an operation (a tampered, replayed,
 * expired or foreign MCP requestState). Security: a reason code only, never the refused content.
 */
export interface SecurityEvent {
  time: string
  requestId: string
  agent: string
  method: string
  /** What happened, for example `request_state_refused`. */
  event: string
  /** Why, as a stable code (`signature`, `replayed`, `expired`, `principal`, ...). */
  reason: string
  /** The tool or operation the refused request was for, when known. */
  operation?: string
}

/** Told about security refusals (the audit trail). Must not throw. */
export interface SecurityObserver {
  securityEvent(event: SecurityEvent): void
}

/** A secret a person is asked to type into the bridge's one-time page (request_secret). */
export interface SecretEntryRequest {
  /** The agent that asks; the write runs under its identity. */
  agent: string
  method: AuthMethod
  /** Agent-relative path, already checked by the service. */
  path: string
  fields: { name: string; description: string }[]
  /** false: create (cas 0); true: change these fields of an existing secret. */
  update: boolean
  /**
   * The check-and-set version the write passes to Vault: 0 to create, the secret's current
   * version (read when the link is made) to update. Vault itself then takes the link's write at
   * most once, across replicas and restarts, and never over a change made since.
   */
  cas: number
}

export type SecretEntryStatus = 'pending' | 'written' | 'failed' | 'declined' | 'expired'

/** Where a request stands. Security: names, a version and an error code; never a value. */
export interface SecretEntryState {
  id: string
  agent: string
  path: string
  fields: string[]
  status: SecretEntryStatus
  version?: number
  error?: string
  /** When the link stops working, epoch ms. */
  expiresAt: number
}

/**
 * The one-time links of request_secret (src/entry): signed, expiring, single use across
 * replicas, and the shared record of how each request ended.
 */
export interface SecretEntryLinks {
  /**
   * A link for `request`, recorded as pending. `origin` is where the caller reached the bridge.
   * @throws FORBIDDEN when the bridge has no address a person can open (PUBLIC_URL unset),
   *   VAULT_UNAVAILABLE when the shared store cannot record it.
   */
  issue(
    request: SecretEntryRequest,
    origin: string | undefined,
  ): Promise<{ id: string; url: string; expiresAt: number }>
  /** The request `id` of `agent`; undefined when unknown, forgotten or another agent's. */
  state(id: string, agent: string): Promise<SecretEntryState | undefined>
  /** Ends a pending request of `agent` unused (the person declined); false when not pending. */
  decline(id: string, agent: string): Promise<boolean>
}
