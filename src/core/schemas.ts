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
