/** @module core/schemas: the zod input and output schema of every operation (one per thing). */
import { z } from 'zod'
import { scopeSchema } from './identity.js'
import { MAX_CURSOR_LENGTH } from './list-pages.js'
import { TRANSIT_KEY_NAME_PATTERN } from './paths.js'

// ---------------------------------------------------------------------------------------------
// Shared schemas

/**
 * Agent-relative secret path (`app/db`). Its safety rules (no traversal, no empty segments, ...)
 * are enforced by the service, which answers INVALID_PATH; the schema only says what it is.
 */
export const secretPathSchema = z
  .string()
  .describe('Secret path relative to your namespace, for example "app/db". No leading "/".')

/**
 * A whole number from `min` to `max`. REST query parameters arrive as text, so plain digits are
 * read as a number; anything else is refused with a message that names the allowed range (never
 * `NaN`).
 */
export const wholeNumber = (min: number, max: number) => {
  const message = `must be a whole number from ${min} to ${max}`
  return z.preprocess(
    (v) => (typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v),
    z.number({ error: message }).int(message).min(min, message).max(max, message),
  )
}

/** `true` or `false` (REST query parameters arrive as text). */
const flag = () =>
  z.preprocess(
    (v) => (v === 'true' ? true : v === 'false' ? false : v),
    z.boolean({ error: 'must be true or false' }),
  )

const versionSchema = wholeNumber(1, 2_147_483_647).describe(
  'Version to read (1 is the first); the latest version when left out.',
)
const versionListSchema = z
  .array(z.number().int().min(1))
  .min(1)
  .max(100)
  .describe('Version numbers of the secret, for example [1, 2]; read_secret_metadata lists them.')
const casSchema = z
  .number()
  .int()
  .min(0)
  .describe('Check-and-set: the current version you expect (0 = the secret must not exist yet).')
const secretDataSchema = z
  .record(z.string(), z.unknown())
  .refine((d) => Object.keys(d).length > 0, { message: 'data must have at least one field' })
  .describe('The key/value pairs of the secret.')

export const versionMetadataSchema = z.object({
  version: z.number().int(),
  created_time: z.string(),
  deletion_time: z.string().describe('RFC 3339 time of soft deletion, or "" when not deleted.'),
  destroyed: z.boolean(),
  custom_metadata: z.record(z.string(), z.string()).nullable(),
})

/** Transit key name as the agent sees it; the Vault-side name is derived per agent. */
export const transitKeyNameSchema = z
  .string()
  .regex(TRANSIT_KEY_NAME_PATTERN, {
    message: 'key names are 1-64 of [A-Za-z0-9_.-], ending in a letter, digit or "_"',
  })
  .describe('Name of your transit key, for example "app". Keys are private to your agent.')

const base64Schema = z
  .string()
  .max(4 * 1024 * 1024)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: 'must be standard base64' })
const plaintextSchema = base64Schema.describe('Plaintext, base64-encoded.')
const contextSchema = base64Schema.describe('Key derivation context, base64 (derived keys only).')
const ciphertextSchema = z
  .string()
  .min(1)
  .max(8 * 1024 * 1024)
  .describe('Vault ciphertext, "vault:v<N>:<base64>".')
const batchLimit = 1000

const itemErrorSchema = z.object({ code: z.string(), message: z.string() })
const ciphertextResultSchema = z.object({ ciphertext: z.string(), key_version: z.number().int() })
const batchOf = <T extends z.ZodObject>(ok: T) =>
  z.array(z.union([ok, z.object({ error: itemErrorSchema })]))

/** `plaintext`/`ciphertext` xor `batch`. */
const oneOf = (single: string) => (v: Record<string, unknown>) =>
  (v[single] === undefined) !== (v.batch === undefined)

export const writeSecretInput = z.strictObject({
  path: secretPathSchema,
  data: secretDataSchema,
  cas: casSchema.optional(),
})

export const writeSecretOutput = z.object({ path: z.string(), metadata: versionMetadataSchema })

export const versionsInput = z.strictObject({ path: secretPathSchema, versions: versionListSchema })

export const versionsOutput = z.object({ path: z.string(), versions: z.array(z.number().int()) })

/** `300`, `"300"`, `"90s"`, `"5m"` or `"1h"`: whole seconds, at least 1 (0 would not wrap). */
const wrapTtlSchema = z
  .union([
    z.number().int().min(1),
    z.string().regex(/^[1-9]\d{0,6}[smh]?$/, {
      message: 'a wrap TTL is whole seconds ("300") or minutes or hours ("5m", "1h"), at least 1s',
    }),
  ])
  .transform((v) => {
    if (typeof v === 'number') return v
    const n = Number.parseInt(v, 10)
    return v.endsWith('h') ? n * 3600 : v.endsWith('m') ? n * 60 : n
  })
  .describe(
    'Return a single-use Vault wrapping token instead of the values, valid this long: seconds ' +
      '(300) or "5m"/"1h", at most the bridge\'s WRAP_TTL_MAX (1h unless configured). The ' +
      'program that needs the secret unwraps the token at Vault itself (vault unwrap).',
  )

/** Vault's `wrap_info` of a wrapped read: the handle, never the data. */
export const wrapInfoSchema = z
  .object({
    token: z.string().describe('Single-use wrapping token: unwrap it at Vault, once.'),
    accessor: z.string().describe("The wrapping token's accessor (to look it up or revoke it)."),
    ttl: z.number().int().describe('Seconds the wrapping token lives.'),
    creation_time: z.string(),
    creation_path: z.string().describe('The Vault path of the wrapped read.'),
  })
  .describe('Response-wrapping information; the values stay in Vault until unwrapped.')

export const readSecretInput = z.strictObject({
  path: secretPathSchema,
  version: versionSchema.optional(),
  wrap_ttl: wrapTtlSchema.optional(),
})

/**
 * A read answers `data` and `metadata`, or, wrapped, `wrap_info` alone. Security: an answer
 * that mixes them breaks the schema (the runner turns it into INTERNAL), so a wrapped read can
 * never carry a value out.
 */
export const readSecretOutput = z
  .object({
    path: z.string(),
    data: z.record(z.string(), z.unknown()).optional(),
    metadata: versionMetadataSchema.optional(),
    wrap_info: wrapInfoSchema.optional(),
  })
  .refine(
    (o) =>
      o.wrap_info === undefined
        ? o.data !== undefined && o.metadata !== undefined
        : o.data === undefined && o.metadata === undefined,
    { message: 'a read answers data and metadata, or wrap_info alone' },
  )

export const deleteSecretInput = z.strictObject({
  path: secretPathSchema,
  versions: versionListSchema.optional(),
})

export const deleteSecretOutput = z.object({
  path: z.string(),
  versions: z.union([z.literal('latest'), z.array(z.number().int())]),
})

/** `limit` and `cursor` of every list. */
const pageInput = {
  limit: wholeNumber(1, 100_000)
    .optional()
    .describe('Most keys in this page; at most (and by default) LIST_MAX_KEYS.'),
  cursor: z
    .string()
    .min(1)
    .max(MAX_CURSOR_LENGTH)
    .optional()
    .describe('The next_cursor of the previous page, to get the page after it.'),
}

const pageOutput = {
  truncated: z.boolean().describe('True when more keys follow: pass next_cursor to get them.'),
  next_cursor: z
    .string()
    .optional()
    .describe(
      'Pass it as cursor (with the same other arguments) for the next page; absent on the last page.',
    ),
}

export const listSecretsInput = z.strictObject({
  prefix: z
    .string()
    .default('')
    .describe(
      'Folder to list, for example "app/" ("" is your whole namespace). A folder, not the start ' +
        'of a name: "ap" lists the folder "ap/" and does not find "app/"; list the parent ' +
        'folder to see the names in it.',
    ),
  recursive: flag()
    .default(false)
    .describe(
      'List every secret below the folder (paths relative to `prefix`, no folder entries) ' +
        'instead of its entries.',
    ),
  ...pageInput,
})

export const listSecretsOutput = z.object({
  prefix: z.string(),
  keys: z
    .array(z.string())
    .describe(
      'Paths relative to prefix, in lexicographic order; folders end in "/" (not recursive).',
    ),
  ...pageOutput,
})

export const readSecretMetadataInput = z.strictObject({ path: secretPathSchema })

export const readSecretMetadataOutput = z.object({
  path: z.string(),
  current_version: z.number().int(),
  oldest_version: z.number().int(),
  created_time: z.string(),
  updated_time: z.string(),
  max_versions: z.number().int(),
  cas_required: z.boolean(),
  delete_version_after: z.string(),
  custom_metadata: z.record(z.string(), z.string()).nullable(),
  versions: z.array(
    z.object({
      version: z.number().int(),
      created_time: z.string(),
      deletion_time: z.string(),
      destroyed: z.boolean(),
      state: z.enum(['live', 'deleted', 'destroyed']),
    }),
  ),
})

/** The settings update_secret_metadata may change (Vault's own limits, for clear messages first). */
const metadataSettings = {
  custom_metadata: z
    .record(
      z.string().min(1, 'keys are 1-128 characters').max(128, 'keys are 1-128 characters'),
      z
        .string({ error: 'values are strings' })
        .min(1, 'values are 1-512 characters')
        .max(512, 'values are 1-512 characters'),
      { error: 'must be an object of string values' },
    )
    .refine((m) => Object.keys(m).length <= 64, { message: 'at most 64 keys' })
    .optional()
    .describe(
      'Your own string labels (at most 64), for example {"owner": "team-a"}. Replaces the ' +
        'whole map; read_secret_metadata shows the current one.',
    ),
  max_versions: wholeNumber(0, 2_147_483_647)
    .optional()
    .describe(
      'Versions to keep; older ones are pruned on the next write (0 = the mount default, 10).',
    ),
  cas_required: flag().optional().describe('Require cas on every write of this secret.'),
  delete_version_after: z
    .string()
    .regex(/^(?:\d{1,10}|(?:\d{1,10}(?:ms|s|m|h))+)$/, {
      message: 'must be a duration such as "30m", "720h" or "1h30m" ("0s" turns it off)',
    })
    .optional()
    .describe('Soft-delete each new version this long after it is written ("0s" turns it off).'),
}

export const updateSecretMetadataInput = z
  .strictObject({ path: secretPathSchema, ...metadataSettings })
  .refine(
    (v) =>
      Object.keys(metadataSettings).some((k) => k in v && v[k as keyof typeof v] !== undefined),
    {
      message:
        'give at least one of custom_metadata, max_versions, cas_required, delete_version_after',
    },
  )

export const deleteSecretMetadataInput = z.strictObject({ path: secretPathSchema })

export const deleteSecretMetadataOutput = z.object({ path: z.string(), deleted: z.literal(true) })

export const encryptInput = z
  .strictObject({
    key: transitKeyNameSchema,
    plaintext: plaintextSchema.optional(),
    context: contextSchema.optional(),
    batch: z
      .array(z.strictObject({ plaintext: plaintextSchema, context: contextSchema.optional() }))
      .min(1)
      .max(batchLimit)
      .optional()
      .describe(
        `Up to ${batchLimit} items to encrypt in one call, instead of \`plaintext\`; each result ` +
          'comes back in the same position, a failed item as {error}.',
      ),
  })
  .refine(oneOf('plaintext'), { message: 'give exactly one of plaintext or batch' })

/** Encrypt and rewrap both answer with ciphertext (one, or one per batch item). */
const ciphertextOutput = z.object({
  key: z.string(),
  ciphertext: z.string().optional(),
  key_version: z.number().int().optional(),
  batch: batchOf(ciphertextResultSchema).optional(),
})

export const encryptOutput = ciphertextOutput

/** Decrypt and rewrap both take Vault ciphertext (one, or a batch). */
const ciphertextInput = z
  .strictObject({
    key: transitKeyNameSchema,
    ciphertext: ciphertextSchema.optional(),
    context: contextSchema.optional(),
    batch: z
      .array(z.strictObject({ ciphertext: ciphertextSchema, context: contextSchema.optional() }))
      .min(1)
      .max(batchLimit)
      .optional()
      .describe(
        `Up to ${batchLimit} items in one call, instead of \`ciphertext\`; each result comes ` +
          'back in the same position, a failed item as {error}.',
      ),
  })
  .refine(oneOf('ciphertext'), { message: 'give exactly one of ciphertext or batch' })

export const decryptInput = ciphertextInput

export const decryptOutput = z.object({
  key: z.string(),
  plaintext: z.string().optional(),
  batch: batchOf(z.object({ plaintext: z.string() })).optional(),
})

export const rewrapInput = ciphertextInput

export const rewrapOutput = ciphertextOutput

export const generateDataKeyInput = z.strictObject({
  key: transitKeyNameSchema,
  type: z
    .enum(['plaintext', 'wrapped'])
    .default('wrapped')
    .describe(
      '"wrapped" (default): only the key encrypted by `key`, to store; "plaintext": also the key ' +
        'itself, base64, to use now and then forget.',
    ),
  bits: z
    .literal([128, 256, 512], { error: 'must be 128, 256 or 512' })
    .default(256)
    .describe('Key length in bits: 128, 256 or 512.'),
  context: contextSchema.optional(),
})

export const generateDataKeyOutput = z.object({
  key: z.string(),
  ciphertext: z.string(),
  key_version: z.number().int(),
  plaintext: z.string().optional(),
})

// ---------------------------------------------------------------------------------------------
// The agent's own transit keys

/** Key types an agent may create: AEAD types encrypt, ed25519 and ecdsa-p256 sign; all HMAC. */
export const TRANSIT_KEY_TYPES = [
  'aes256-gcm96',
  'aes128-gcm96',
  'chacha20-poly1305',
  'ed25519',
  'ecdsa-p256',
] as const

const keyOnly = z.strictObject({ key: transitKeyNameSchema })

const keyVersionSchema = wholeNumber(1, 2_147_483_647).describe(
  'Key version to use (default: the latest).',
)

/** What read_transit_key shows of a key: its settings and versions, never key material. */
export const transitKeyOutput = z.object({
  key: z.string(),
  type: z.string(),
  latest_version: z.number().int(),
  min_decryption_version: z
    .number()
    .int()
    .describe('Oldest version that still decrypts and verifies.'),
  min_encryption_version: z
    .number()
    .int()
    .describe('Oldest version that encrypts and signs (0: any).'),
  supports_encryption: z.boolean(),
  supports_decryption: z.boolean(),
  supports_signing: z.boolean(),
  derived: z.boolean(),
  exportable: z.boolean(),
  versions: z.array(
    z.object({
      version: z.number().int(),
      created_time: z.string(),
      public_key: z
        .string()
        .optional()
        .describe('Signing keys only: the public key (PEM, or base64 for ed25519).'),
    }),
  ),
})

export const createTransitKeyInput = z.strictObject({
  key: transitKeyNameSchema,
  type: z
    .enum(TRANSIT_KEY_TYPES, {
      error: `must be one of ${TRANSIT_KEY_TYPES.join(', ')}`,
    })
    .default('aes256-gcm96')
    .describe(
      'aes256-gcm96 (default), aes128-gcm96 or chacha20-poly1305 to encrypt; ed25519 or ' +
        'ecdsa-p256 to sign. Every type computes HMACs.',
    ),
})

export const createTransitKeyOutput = transitKeyOutput.extend({
  created: z.boolean().describe('False when the key already existed with this type.'),
})

export const readTransitKeyInput = keyOnly

export const rotateTransitKeyInput = keyOnly

export const listTransitKeysInput = z.strictObject({ ...pageInput })

export const listTransitKeysOutput = z.object({
  keys: z.array(z.string()).describe('Your key names, in lexicographic order.'),
  ...pageOutput,
})

const HMAC_ALGORITHMS = [
  'sha2-224',
  'sha2-256',
  'sha2-384',
  'sha2-512',
  'sha3-224',
  'sha3-256',
  'sha3-384',
  'sha3-512',
] as const
const hmacAlgorithmSchema = z
  .enum(HMAC_ALGORITHMS, { error: `must be one of ${HMAC_ALGORITHMS.join(', ')}` })
  .default('sha2-256')
  .describe('Hash of the HMAC (default sha2-256).')

const dataInput = base64Schema.describe('The data, base64-encoded.')

/** A `vault:v<N>:...` value a key made (an HMAC or a signature). */
const vaultValue = (what: string) =>
  z
    .string()
    .min(
      1,
      `${what} is "vault:v<N>:..." as ${what === 'hmac' ? 'generate_hmac' : 'sign'} returned it`,
    )
    .max(64 * 1024)
    .describe(
      `The ${what} as ${what === 'hmac' ? 'generate_hmac' : 'sign'} returned it ("vault:v<N>:...").`,
    )

export const generateHmacInput = z.strictObject({
  key: transitKeyNameSchema,
  input: dataInput,
  algorithm: hmacAlgorithmSchema,
  key_version: keyVersionSchema.optional(),
})

export const generateHmacOutput = z.object({
  key: z.string(),
  hmac: z.string(),
  key_version: z.number().int(),
})

export const verifyHmacInput = z.strictObject({
  key: transitKeyNameSchema,
  input: dataInput,
  hmac: vaultValue('hmac'),
  algorithm: hmacAlgorithmSchema,
})

export const verifyOutput = z.object({
  key: z.string(),
  valid: z.boolean().describe('Whether it matches; a mismatch is not an error.'),
})

const SIGNATURE_HASHES = ['sha2-256', 'sha2-384', 'sha2-512'] as const
/** How an ECDSA signature is made (Ed25519 signs the data itself and ignores the hash). */
const signatureOptions = {
  hash_algorithm: z
    .enum(SIGNATURE_HASHES, { error: `must be one of ${SIGNATURE_HASHES.join(', ')}` })
    .optional()
    .describe('ecdsa-p256: the hash of the data that is signed (default sha2-256).'),
  marshaling_algorithm: z
    .enum(['asn1', 'jws'], { error: 'must be asn1 or jws' })
    .optional()
    .describe('asn1 (default; DER, standard base64) or jws (r||s for ECDSA, base64url).'),
}

export const signInput = z.strictObject({
  key: transitKeyNameSchema,
  input: dataInput,
  ...signatureOptions,
  key_version: keyVersionSchema.optional(),
})

export const signOutput = z.object({
  key: z.string(),
  signature: z.string(),
  key_version: z.number().int(),
})

export const verifySignatureInput = z.strictObject({
  key: transitKeyNameSchema,
  input: dataInput,
  signature: vaultValue('signature'),
  ...signatureOptions,
})

export const whoamiInput = z.strictObject({})

export const whoamiOutput = z.object({
  agent: z.string(),
  method: z.string(),
  scopes: z.array(scopeSchema),
  kv_mount: z.string().describe('The KV v2 mount your secrets are on.'),
  secrets_prefix: z
    .string()
    .describe('Where your secrets are on that mount: your paths are relative to it.'),
  transit_mount: z.string().describe('The Transit mount your keys are on.'),
  transit_key_prefix: z
    .string()
    .describe('The start of the Vault names of your transit keys (you name them without it).'),
  operations: z
    .array(z.string())
    .describe('The operations you may call: offered by this bridge and allowed by your scopes.'),
  child_tokens: z
    .boolean()
    .describe('True: Vault sees each of your requests through a short-lived token of your own.'),
  vault_identity: z
    .enum(['bridge_token', 'child_token', 'own_login', 'none'])
    .describe(
      "How Vault sees your requests: bridge_token (the bridge's own token, allowed your policy), " +
        'child_token (a short-lived token of your own per request), own_login (your own login ' +
        "at Vault's JWT method with your token: Vault's audit log names you), none (this bridge " +
        'reaches Vault only as the caller, which needs a token from its identity provider).',
    ),
  rate_limit: z
    .object({
      limit: z.number().int(),
      remaining: z.number().int(),
      reset_seconds: z.number().int(),
    })
    .nullable()
    .describe(
      'Requests left in the current window (this one counted); null: no per-agent limit here.',
    ),
})

// ---------------------------------------------------------------------------------------------
// Secret entry: a person types a secret into a one-time page; the model sees names only

/** The most fields one request may ask a person for. */
export const ENTRY_MAX_FIELDS = 10

/** A field name of a secret asked for: what the person types it under, and its KV key. */
export const ENTRY_FIELD_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/

const entryFieldSchema = z.strictObject({
  name: z
    .string()
    .regex(ENTRY_FIELD_NAME_PATTERN, { message: 'field names are 1-64 of [A-Za-z0-9_.-]' })
    .describe('Name of the field in the secret, for example "password".'),
  description: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .describe('What the person should type, shown on the page, for example "Database password".'),
})

export const requestSecretInput = z.strictObject({
  path: secretPathSchema,
  fields: z
    .array(entryFieldSchema)
    .min(1)
    .max(ENTRY_MAX_FIELDS)
    .refine((f) => new Set(f.map((x) => x.name)).size === f.length, {
      message: 'field names must be distinct',
    })
    .describe(
      `The fields the person types in (1-${ENTRY_MAX_FIELDS}), each with a short description.`,
    ),
  update: z
    .boolean()
    .default(false)
    .describe(
      'false (default): create the secret; it must not exist yet. true: change these fields of ' +
        'an existing secret, keeping its other fields.',
    ),
})

const entryStatusSchema = z
  .enum(['pending', 'written', 'failed', 'declined', 'expired'])
  .describe(
    'pending: waiting for the person; written: stored (see version); failed: the write was ' +
      'refused (see error); declined: the person or client said no; expired: nobody submitted.',
  )

export const secretRequestOutput = z.object({
  request_id: z.string().describe('Give it to check_secret_request to see how the request ended.'),
  path: z.string(),
  fields: z.array(z.string()).describe('The field names asked for (never their values).'),
  status: entryStatusSchema,
  version: z.number().int().optional().describe('The version written, when status is written.'),
  error: z.string().optional().describe('The error code, when status is failed.'),
  url: z
    .string()
    .optional()
    .describe('The one-time page, while pending: give it to the person, do not open it yourself.'),
  expires_at: z.string().optional().describe('When the link stops working (RFC 3339).'),
  message: z.string().optional().describe('What to tell the person, or what to do next.'),
})

export const checkSecretRequestInput = z.strictObject({
  request_id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,64}$/, { message: 'must be a request_id from request_secret' })
    .describe('The request_id request_secret answered with.'),
})
