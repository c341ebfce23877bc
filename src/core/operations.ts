/**
 * @module core/operations: every operation the bridge offers, defined once. Each entry's name is
 * the MCP tool name and the REST operationId; its zod schemas drive REST validation, the MCP
 * inputSchema/outputSchema, the TypeScript types and the docs.
 */
import { z } from 'zod'
import { AppError, asAppError } from './errors.js'
import type { CallContext, Scope } from './identity.js'
import type { OperationEvent, OperationObserver } from './ports.js'
import {
  checkSecretRequestInput,
  createTransitKeyInput,
  createTransitKeyOutput,
  decryptInput,
  decryptOutput,
  deleteSecretInput,
  deleteSecretMetadataInput,
  deleteSecretMetadataOutput,
  deleteSecretOutput,
  encryptInput,
  encryptOutput,
  generateDataKeyInput,
  generateDataKeyOutput,
  generateHmacInput,
  generateHmacOutput,
  listTransitKeysInput,
  listTransitKeysOutput,
  listSecretsInput,
  listSecretsOutput,
  readSecretInput,
  readSecretMetadataInput,
  readSecretMetadataOutput,
  readSecretOutput,
  readTransitKeyInput,
  requestSecretInput,
  rewrapInput,
  rewrapOutput,
  rotateTransitKeyInput,
  secretRequestOutput,
  signInput,
  signOutput,
  transitKeyOutput,
  updateSecretMetadataInput,
  verifyHmacInput,
  verifyOutput,
  verifySignatureInput,
  versionsInput,
  versionsOutput,
  whoamiInput,
  whoamiOutput,
  writeSecretInput,
  writeSecretOutput,
} from './schemas.js'
import type { SecretsService } from './secrets-service.js'

/**
 * MCP tool annotations, stated honestly per operation. `idempotent` promises more than the MCP
 * definition (no further effect when repeated): a repeat of the same call also gets the same
 * answer, so that a client may retry it after a lost response (mcp-tools tests each one).
 */
export interface OperationHints {
  readOnly: boolean
  destructive: boolean
  idempotent: boolean
}

export interface Operation<
  I extends z.ZodObject = z.ZodObject,
  O extends z.ZodObject = z.ZodObject,
> {
  name: string
  title: string
  /** What the operation does and when a model should use it. */
  summary: string
  /** The scope a principal needs; `null` means any authenticated principal. */
  access: Scope | null
  hints: OperationHints
  input: I
  output: O
  invoke: (service: SecretsService, ctx: CallContext, input: z.infer<I>) => Promise<z.infer<O>>
}

export const defineOperation = <I extends z.ZodObject, O extends z.ZodObject>(
  op: Operation<I, O>,
): Operation<I, O> => op

// ---------------------------------------------------------------------------------------------
// KV v2

export const readSecret = defineOperation({
  name: 'read_secret',
  title: 'Read secret',
  summary:
    'Read one secret from your namespace: the latest version, or `version` if given. ' +
    'With `wrap_ttl`, get a single-use Vault wrapping token instead of the values, for a ' +
    'program to unwrap at Vault. Use list_secrets to see which paths exist and ' +
    'read_secret_metadata for its versions.',
  access: 'read',
  hints: { readOnly: true, destructive: false, idempotent: true },
  input: readSecretInput,
  output: readSecretOutput,
  invoke: (s, ctx, input) => s.readSecret(ctx, input),
})

export const writeSecret = defineOperation({
  name: 'write_secret',
  title: 'Write secret',
  summary:
    'Write a new version of a secret in your namespace, replacing all its fields. Pass `cas` ' +
    '(the version you last read, 0 for a new secret) to avoid overwriting a concurrent change.',
  access: 'write',
  hints: { readOnly: false, destructive: false, idempotent: false },
  input: writeSecretInput,
  output: writeSecretOutput,
  invoke: (s, ctx, input) => s.writeSecret(ctx, input),
})

export const patchSecret = defineOperation({
  name: 'patch_secret',
  title: 'Patch secret',
  summary:
    'Change some fields of an existing secret (JSON merge patch: a field set to null is ' +
    'removed), creating a new version. Use write_secret to create a secret.',
  access: 'write',
  hints: { readOnly: false, destructive: false, idempotent: false },
  input: writeSecretInput,
  output: writeSecretOutput,
  invoke: (s, ctx, input) => s.patchSecret(ctx, input),
})

export const deleteSecret = defineOperation({
  name: 'delete_secret',
  title: 'Delete secret version',
  summary:
    'Soft-delete the latest version of a secret, or the given `versions`. Deleted versions ' +
    'can be restored with undelete_secret.',
  access: 'delete',
  hints: { readOnly: false, destructive: true, idempotent: true },
  input: deleteSecretInput,
  output: deleteSecretOutput,
  invoke: (s, ctx, input) => s.deleteSecret(ctx, input),
})

export const undeleteSecret = defineOperation({
  name: 'undelete_secret',
  title: 'Undelete secret versions',
  summary:
    'Restore soft-deleted versions of a secret. read_secret_metadata shows which are deleted.',
  access: 'write',
  hints: { readOnly: false, destructive: false, idempotent: true },
  input: versionsInput,
  output: versionsOutput,
  invoke: (s, ctx, input) => s.undeleteSecret(ctx, input),
})

export const destroySecret = defineOperation({
  name: 'destroy_secret',
  title: 'Destroy secret versions',
  summary:
    'Permanently destroy the data of the given versions of a secret. This cannot be undone; ' +
    'prefer delete_secret unless the data must be gone for good.',
  // Security: permanent loss is at least a deletion; `write` alone could undo nothing it did.
  access: 'delete',
  hints: { readOnly: false, destructive: true, idempotent: true },
  input: versionsInput,
  output: versionsOutput,
  invoke: (s, ctx, input) => s.destroySecret(ctx, input),
})

export const listSecrets = defineOperation({
  name: 'list_secrets',
  title: 'List secrets',
  summary:
    'List the secret paths under `prefix` in your namespace (folders end in "/"), or with ' +
    '`recursive` every secret below it, in pages: when `truncated` is true, call again with ' +
    '`cursor` set to `next_cursor` (and the same prefix and recursive) for the next page.',
  access: 'list',
  hints: { readOnly: true, destructive: false, idempotent: true },
  input: listSecretsInput,
  output: listSecretsOutput,
  invoke: (s, ctx, input) => s.listSecrets(ctx, input),
})

export const readSecretMetadata = defineOperation({
  name: 'read_secret_metadata',
  title: 'Read secret metadata',
  summary:
    'Read the versions of a secret (created, deleted and destroyed state) and its settings, ' +
    'without any secret values.',
  access: 'read',
  hints: { readOnly: true, destructive: false, idempotent: true },
  input: readSecretMetadataInput,
  output: readSecretMetadataOutput,
  invoke: (s, ctx, input) => s.readSecretMetadata(ctx, input),
})

export const updateSecretMetadata = defineOperation({
  name: 'update_secret_metadata',
  title: 'Update secret metadata',
  summary:
    'Change the settings of an existing secret in your namespace: custom_metadata (your own ' +
    'labels; replaces the whole map), max_versions, cas_required and delete_version_after. ' +
    'Settings you leave out stay as they are. Returns the metadata as read_secret_metadata does.',
  access: 'write',
  hints: { readOnly: false, destructive: false, idempotent: true },
  input: updateSecretMetadataInput,
  output: readSecretMetadataOutput,
  invoke: (s, ctx, input) => s.updateSecretMetadata(ctx, input),
})

export const deleteSecretMetadata = defineOperation({
  name: 'delete_secret_metadata',
  title: 'Delete secret permanently',
  summary:
    'Remove a secret with all its versions and metadata permanently. This cannot be undone. ' +
    'Once it is gone, a repeated call answers SECRET_NOT_FOUND.',
  access: 'delete',
  // Not idempotent to a caller: a repeat answers SECRET_NOT_FOUND rather than success, which
  // keeps a mistyped path (or a secret someone else removed) visible instead of "deleted".
  hints: { readOnly: false, destructive: true, idempotent: false },
  input: deleteSecretMetadataInput,
  output: deleteSecretMetadataOutput,
  invoke: (s, ctx, input) => s.deleteSecretMetadata(ctx, input),
})

// ---------------------------------------------------------------------------------------------
// Secret entry: a person types the value into a one-time page; the model sees names only

export const requestSecret = defineOperation({
  name: 'request_secret',
  title: 'Ask a person for a secret',
  summary:
    'Ask a person to type a secret (a password, an API key) into a one-time page of the bridge, ' +
    'which stores it at `path` in your namespace. You get the link to give them, never the ' +
    'value; check_secret_request shows when it is stored and at which version. Creates a new ' +
    'secret unless `update` is true; an update link is bound to the current version, so a ' +
    'change made after it fails (CAS_MISMATCH) rather than being overwritten.',
  access: 'write',
  hints: { readOnly: false, destructive: false, idempotent: false },
  input: requestSecretInput,
  output: secretRequestOutput,
  invoke: (s, ctx, input) => s.requestSecret(ctx, input),
})

export const checkSecretRequest = defineOperation({
  name: 'check_secret_request',
  title: 'Check a secret request',
  summary:
    'Show how a request_secret request stands: pending, written (with its version), failed, ' +
    'declined or expired. Never shows the value.',
  access: 'write',
  // Not idempotent to a caller: the same call answers pending, then written.
  hints: { readOnly: true, destructive: false, idempotent: false },
  input: checkSecretRequestInput,
  output: secretRequestOutput,
  invoke: (s, ctx, input) => s.checkSecretRequest(ctx, input),
})

// ---------------------------------------------------------------------------------------------
// Transit

export const encrypt = defineOperation({
  name: 'encrypt',
  title: 'Encrypt',
  summary:
    'Encrypt base64 `plaintext` (or a `batch` of items) with your transit key `key`; the key ' +
    'is created on first use. Store the returned ciphertext; decrypt turns it back.',
  access: 'write',
  hints: { readOnly: false, destructive: false, idempotent: false },
  input: encryptInput,
  output: encryptOutput,
  invoke: (s, ctx, input) => s.encrypt(ctx, input),
})

export const decrypt = defineOperation({
  name: 'decrypt',
  title: 'Decrypt',
  summary:
    'Decrypt a `ciphertext` (or a `batch`) made by encrypt with your key `key`; returns base64 ' +
    'plaintext.',
  access: 'read',
  hints: { readOnly: true, destructive: false, idempotent: true },
  input: decryptInput,
  output: decryptOutput,
  invoke: (s, ctx, input) => s.decrypt(ctx, input),
})

export const rewrap = defineOperation({
  name: 'rewrap',
  title: 'Rewrap ciphertext',
  summary:
    'Re-encrypt a `ciphertext` (or a `batch`) to the latest version of your key `key` without ' +
    'revealing the plaintext, for example after a key rotation.',
  access: 'write',
  hints: { readOnly: false, destructive: false, idempotent: false },
  input: rewrapInput,
  output: rewrapOutput,
  invoke: (s, ctx, input) => s.rewrap(ctx, input),
})

export const generateDataKey = defineOperation({
  name: 'generate_data_key',
  title: 'Generate data key',
  summary:
    'Generate a new random data key for envelope encryption, returned wrapped by your key ' +
    '`key` (and, with type "plaintext", also in the clear, base64).',
  access: 'write',
  hints: { readOnly: false, destructive: false, idempotent: false },
  input: generateDataKeyInput,
  output: generateDataKeyOutput,
  invoke: (s, ctx, input) => s.generateDataKey(ctx, input),
})

// ---------------------------------------------------------------------------------------------
// The agent's own transit keys

export const createTransitKey = defineOperation({
  name: 'create_transit_key',
  title: 'Create transit key',
  summary:
    'Create a transit key of your own: type aes256-gcm96 (default), aes128-gcm96 or ' +
    'chacha20-poly1305 to encrypt, ed25519 or ecdsa-p256 to sign; every type computes HMACs. ' +
    'Keys are never exportable. Creating a key you already have with the same type changes ' +
    'nothing (created: false).',
  // Security: what changes the set of keys needs more than what uses them: creating a key (of
  // a chosen type, signing keys included) takes `delete`, like rotating. encrypt still creates
  // its default aes256-gcm96 key on first use with `write`, as it always has.
  access: 'delete',
  hints: { readOnly: false, destructive: false, idempotent: true },
  input: createTransitKeyInput,
  output: createTransitKeyOutput,
  invoke: (s, ctx, input) => s.createTransitKey(ctx, input),
})

export const listTransitKeys = defineOperation({
  name: 'list_transit_keys',
  title: 'List transit keys',
  summary:
    'List the names of your transit keys, in pages: when truncated is true, call again with ' +
    'cursor set to next_cursor.',
  access: 'list',
  hints: { readOnly: true, destructive: false, idempotent: true },
  input: listTransitKeysInput,
  output: listTransitKeysOutput,
  invoke: (s, ctx, input) => s.listTransitKeys(ctx, input),
})

export const readTransitKey = defineOperation({
  name: 'read_transit_key',
  title: 'Read transit key',
  summary:
    'Show one of your transit keys: its type, what it supports, its versions (with the public ' +
    'key of signing keys), the latest version and the oldest that still decrypts or verifies. ' +
    'Never any private or symmetric key material.',
  access: 'read',
  hints: { readOnly: true, destructive: false, idempotent: true },
  input: readTransitKeyInput,
  output: transitKeyOutput,
  invoke: (s, ctx, input) => s.readTransitKey(ctx, input),
})

export const rotateTransitKey = defineOperation({
  name: 'rotate_transit_key',
  title: 'Rotate transit key',
  summary:
    'Give one of your transit keys a new version: new encryptions, HMACs and signatures use ' +
    'it, while older ciphertext still decrypts (rewrap moves it to the new version).',
  // Security: a rotation changes the key every holder of its ciphertext depends on and cannot be
  // undone: it needs the scope that gates irreversible changes, more than using the key does.
  access: 'delete',
  hints: { readOnly: false, destructive: false, idempotent: false },
  input: rotateTransitKeyInput,
  output: transitKeyOutput,
  invoke: (s, ctx, input) => s.rotateTransitKey(ctx, input),
})

export const generateHmac = defineOperation({
  name: 'generate_hmac',
  title: 'Generate HMAC',
  summary:
    'Compute an HMAC of base64 `input` with your transit key `key` (any type; sha2-256 unless ' +
    '`algorithm` says otherwise). verify_hmac checks it.',
  access: 'write',
  hints: { readOnly: false, destructive: false, idempotent: true },
  input: generateHmacInput,
  output: generateHmacOutput,
  invoke: (s, ctx, input) => s.generateHmac(ctx, input),
})

export const verifyHmac = defineOperation({
  name: 'verify_hmac',
  title: 'Verify HMAC',
  summary:
    'Check an HMAC that generate_hmac made of base64 `input` with your key `key`; `valid` ' +
    'says whether it matches.',
  access: 'read',
  hints: { readOnly: true, destructive: false, idempotent: true },
  input: verifyHmacInput,
  output: verifyOutput,
  invoke: (s, ctx, input) => s.verifyHmac(ctx, input),
})

export const sign = defineOperation({
  name: 'sign',
  title: 'Sign',
  summary:
    'Sign base64 `input` with your signing key `key` (ed25519 or ecdsa-p256; create one with ' +
    'create_transit_key). verify_signature checks the signature, and read_transit_key shows ' +
    'the public key for others to check it.',
  access: 'write',
  hints: { readOnly: false, destructive: false, idempotent: true },
  input: signInput,
  output: signOutput,
  invoke: (s, ctx, input) => s.sign(ctx, input),
})

export const verifySignature = defineOperation({
  name: 'verify_signature',
  title: 'Verify signature',
  summary:
    'Check a signature that sign made of base64 `input` with your key `key` (give the same ' +
    'hash_algorithm and marshaling_algorithm); `valid` says whether it matches.',
  access: 'read',
  hints: { readOnly: true, destructive: false, idempotent: true },
  input: verifySignatureInput,
  output: verifyOutput,
  invoke: (s, ctx, input) => s.verifySignature(ctx, input),
})

export const whoami = defineOperation({
  name: 'whoami',
  title: 'Who am I',
  summary:
    'Show who you are and what you can touch: your agent id, how you authenticated, your ' +
    'scopes, where your secrets and transit keys live in Vault, the operations you may call, ' +
    'whether Vault sees you through a token of your own (child tokens), and what is left of ' +
    'your rate budget.',
  access: null,
  hints: { readOnly: true, destructive: false, idempotent: true },
  input: whoamiInput,
  output: whoamiOutput,
  invoke: (s, ctx) => s.whoami(ctx, { operations: callableBy(ctx) }),
})

/** Every operation, in the order tools are listed. */
export const OPERATIONS = [
  readSecret,
  writeSecret,
  patchSecret,
  deleteSecret,
  undeleteSecret,
  destroySecret,
  listSecrets,
  readSecretMetadata,
  updateSecretMetadata,
  deleteSecretMetadata,
  requestSecret,
  checkSecretRequest,
  encrypt,
  decrypt,
  rewrap,
  generateDataKey,
  createTransitKey,
  listTransitKeys,
  readTransitKey,
  rotateTransitKey,
  generateHmac,
  verifyHmac,
  sign,
  verifySignature,
  whoami,
] as const

export type AnyOperation = (typeof OPERATIONS)[number]
export type OperationName = AnyOperation['name']

/** Whether the bridge offers the operation (ctx.offered, set by the runner; all when unset). */
const isOffered = (op: Operation, ctx: CallContext): boolean =>
  ctx.offered === undefined || ctx.offered.includes(op.name)

/** The operations the caller may call: offered, and allowed by its scopes, in catalogue order. */
function callableBy(ctx: CallContext): string[] {
  const ops: readonly Operation[] = OPERATIONS
  return ops
    .filter((op) => isOffered(op, ctx) && isAllowed(op, ctx.principal.scopes))
    .map((op) => op.name)
}

/** True when the principal's scopes allow this operation. */
export const isAllowed = (op: Operation, scopes: readonly Scope[]): boolean =>
  op.access === null || scopes.includes(op.access)

/**
 * Checks the scope, validates the raw input against the operation's schema, invokes it, and
 * validates what it returns against the output schema. Adapters go through
 * `createOperationRunner`, which adds the audit trail.
 * @returns the output as the output schema declares it (undeclared fields stripped).
 * @throws FORBIDDEN (missing scope, with `details.requiredScope`), INVALID_INPUT, INTERNAL (an
 *   output that breaks the output schema), and whatever the service throws.
 */
export async function runOperation(
  op: Operation,
  service: SecretsService,
  ctx: CallContext,
  rawInput: unknown,
): Promise<unknown> {
  if (!isAllowed(op, ctx.principal.scopes)) {
    const scope = op.access as Scope
    throw new AppError('FORBIDDEN', `${op.name} needs the "${scope}" scope.`, {
      details: { requiredScope: scope },
    })
  }
  const parsed = op.input.safeParse(rawInput ?? {})
  if (!parsed.success) {
    throw new AppError('INVALID_INPUT', describeIssues(parsed.error, op.input), {
      cause: parsed.error,
    })
  }
  const out = await op.invoke(service, ctx, parsed.data)
  // The output schema is a promise to every adapter (MCP clients validate structuredContent
  // against it, REST documents it): nothing undeclared is passed on, nothing broken either.
  const checked = op.output.safeParse(out)
  if (!checked.success) {
    throw new AppError('INTERNAL', 'The operation returned an unexpected result.', {
      cause: checked.error,
    })
  }
  return checked.data
}

/** Runs operations for the adapters and tells the observer (audit, metrics) how each ended. */
export interface OperationRunner {
  /** @throws OPERATION_DISABLED for an operation the bridge does not offer, then as runOperation. */
  run(op: Operation, ctx: CallContext, rawInput: unknown): Promise<unknown>
  /** Whether the bridge offers the operation (OPERATIONS, READ_ONLY). */
  offers(op: Operation): boolean
}

/**
 * @param deps.offered names of the operations to offer (config `operations`); every operation
 *   when absent. `whoami` is always offered.
 */
export function createOperationRunner(deps: {
  service: SecretsService
  observer?: OperationObserver
  now?: () => number
  offered?: readonly string[]
}): OperationRunner {
  const now = deps.now ?? Date.now
  const offered = deps.offered && [...new Set([...deps.offered, whoami.name])]
  const offers = (op: Operation) => offered === undefined || offered.includes(op.name)
  return {
    offers,
    async run(op, ctx, rawInput) {
      const started = now()
      const trace = ctx.trace ?? { vaultRequestIds: [] }
      const traced = { ...ctx, trace, ...(offered ? { offered } : {}) }
      const finish = (outcome: string, out?: unknown) => {
        if (!deps.observer) return
        // Optional fields are added, not spread in: this runs on every operation.
        const event: OperationEvent = {
          time: new Date(started).toISOString(),
          requestId: ctx.requestId,
          agent: ctx.principal.agent,
          method: ctx.principal.method,
          operation: op.name,
          target: auditTarget(rawInput),
          version: auditVersion(rawInput),
          outcome,
          durationMs: now() - started,
          vaultRequestIds: trace.vaultRequestIds,
        }
        if (ctx.clientRequestId !== undefined) event.clientRequestId = ctx.clientRequestId
        const wrap = auditWrap(out)
        if (wrap) event.wrap = wrap
        deps.observer.operationFinished(event)
      }
      try {
        // Before the scope: no scope would help, and a caller must not be sent to get one.
        if (!offers(op)) {
          throw new AppError(
            'OPERATION_DISABLED',
            `${op.name} is switched off by the operator of this bridge (OPERATIONS, READ_ONLY). ` +
              'whoami lists the operations you can call.',
          )
        }
        const out = await runOperation(op, deps.service, traced, rawInput)
        finish('ok', out)
        return out
      } catch (err) {
        finish(asAppError(err).code)
        throw err
      }
    },
  }
}

// Security: only names (path, prefix, key) and version numbers reach the audit trail, never
// data, plaintext, ciphertext or context. Values are read defensively from unvalidated input.
const auditTarget = (raw: unknown): string | undefined => {
  const r = (raw ?? {}) as Record<string, unknown>
  for (const field of ['path', 'prefix', 'key', 'request_id']) {
    const v = r[field]
    if (typeof v === 'string') return v.length > 600 ? `${v.slice(0, 600)}…` : v
  }
  return undefined
}
// Security: a wrapped read is audited by its wrapping token's accessor, never by the token.
const auditWrap = (out: unknown): { accessor: string; ttl: number } | undefined => {
  const w = (out as { wrap_info?: { accessor?: unknown; ttl?: unknown } } | undefined)?.wrap_info
  return typeof w?.accessor === 'string' && typeof w.ttl === 'number'
    ? { accessor: w.accessor, ttl: w.ttl }
    : undefined
}
const auditVersion = (raw: unknown): number | number[] | undefined => {
  const r = (raw ?? {}) as Record<string, unknown>
  const v = r.version ?? r.versions
  if (typeof v === 'number') return v
  if (typeof v === 'string' && /^\d{1,9}$/.test(v)) return Number(v)
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v.slice(0, 100)
  return undefined
}

/**
 * A safe, helpful one-line summary of zod issues: each names the field and what it accepts,
 * never an input value. An unknown top-level field is answered with the fields `schema` takes.
 */
export function describeIssues(error: z.ZodError, schema?: z.ZodObject): string {
  const parts = error.issues.slice(0, 5).map((i) => {
    const at = i.path.length ? i.path.join('.') : 'input'
    if (i.code === 'unrecognized_keys') {
      const unknown = i.keys.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 40)))
      const fields = i.path.length === 0 && schema ? Object.keys(schema.shape) : undefined
      const known = fields
        ? fields.length
          ? `; the fields are ${fields.join(', ')}`
          : '; it takes no fields'
        : ''
      return `${at}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}${known}`
    }
    return `${at}: ${i.message}`
  })
  return `Invalid input. ${parts.join('; ')}.`
}
