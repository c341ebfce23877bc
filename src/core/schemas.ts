/** @module core/schemas: the zod input and output schema of every operation (one per thing). */
import { z } from 'zod'
import { scopeSchema } from './identity.js'
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

const versionSchema = z.coerce
  .number()
  .int()
  .min(1)
  .describe('Version to read (1 is the first); the latest version when left out.')
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

export const readSecretInput = z.strictObject({
  path: secretPathSchema,
  version: versionSchema.optional(),
})

export const readSecretOutput = z.object({
  path: z.string(),
  data: z.record(z.string(), z.unknown()),
  metadata: versionMetadataSchema,
})

export const deleteSecretInput = z.strictObject({
  path: secretPathSchema,
  versions: versionListSchema.optional(),
})

export const deleteSecretOutput = z.object({
  path: z.string(),
  versions: z.union([z.literal('latest'), z.array(z.number().int())]),
})

export const listSecretsInput = z.strictObject({
  prefix: z
    .string()
    .default('')
    .describe(
      'Folder to list, for example "app/" ("" is your whole namespace). A folder, not the start ' +
        'of a name: "ap" lists the folder "ap/" and does not find "app/"; list the parent ' +
        'folder to see the names in it.',
    ),
  recursive: z
    .preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean())
    .default(false)
    .describe('Walk sub-folders too, returning paths relative to `prefix`.'),
})

export const listSecretsOutput = z.object({
  prefix: z.string(),
  keys: z.array(z.string()),
  truncated: z.boolean(),
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
  bits: z.literal([128, 256, 512]).default(256).describe('Key length in bits: 128, 256 or 512.'),
  context: contextSchema.optional(),
})

export const generateDataKeyOutput = z.object({
  key: z.string(),
  ciphertext: z.string(),
  key_version: z.number().int(),
  plaintext: z.string().optional(),
})

export const whoamiInput = z.strictObject({})

export const whoamiOutput = z.object({
  agent: z.string(),
  method: z.string(),
  scopes: z.array(scopeSchema),
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
