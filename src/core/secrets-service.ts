/**
 * @module core/secrets-service: the one place that holds the bridge's rules. It confines every
 * operation to the caller's namespace and turns agent-relative names into Vault-side names,
 * then calls Vault through the VaultPort.
 */
import type { z } from 'zod'
import { checkDataLimits, type DataLimits } from './data-limits.js'
import { AppError } from './errors.js'
import type { CallContext } from './identity.js'
import { agentOf, resolveFolderPath, resolveSecretPath, transitKeyName } from './paths.js'
import type {
  ItemResult,
  KvVersionMetadata,
  SecretEntryLinks,
  SecretEntryState,
  TransitCiphertext,
  VaultPort,
  VaultSession,
} from './ports.js'
import type * as S from './schemas.js'

type Call<I extends z.ZodType, O extends z.ZodType> = (
  ctx: CallContext,
  input: z.infer<I>,
) => Promise<z.infer<O>>

/** One method per operation; inputs are already validated against the operation's schema. */
export interface SecretsService {
  readSecret: Call<typeof S.readSecretInput, typeof S.readSecretOutput>
  writeSecret: Call<typeof S.writeSecretInput, typeof S.writeSecretOutput>
  patchSecret: Call<typeof S.writeSecretInput, typeof S.writeSecretOutput>
  deleteSecret: Call<typeof S.deleteSecretInput, typeof S.deleteSecretOutput>
  undeleteSecret: Call<typeof S.versionsInput, typeof S.versionsOutput>
  destroySecret: Call<typeof S.versionsInput, typeof S.versionsOutput>
  listSecrets: Call<typeof S.listSecretsInput, typeof S.listSecretsOutput>
  readSecretMetadata: Call<typeof S.readSecretMetadataInput, typeof S.readSecretMetadataOutput>
  deleteSecretMetadata: Call<
    typeof S.deleteSecretMetadataInput,
    typeof S.deleteSecretMetadataOutput
  >
  encrypt: Call<typeof S.encryptInput, typeof S.encryptOutput>
  decrypt: Call<typeof S.decryptInput, typeof S.decryptOutput>
  rewrap: Call<typeof S.rewrapInput, typeof S.rewrapOutput>
  generateDataKey: Call<typeof S.generateDataKeyInput, typeof S.generateDataKeyOutput>
  requestSecret: Call<typeof S.requestSecretInput, typeof S.secretRequestOutput>
  checkSecretRequest: Call<typeof S.checkSecretRequestInput, typeof S.secretRequestOutput>
}

export interface SecretsServiceDeps {
  vault: VaultPort
  /** DEFAULT_PREFIX: agents live under `{kvMount}/data/{prefix}/{agent}/`. */
  prefix: string
  /** LIST_MAX_KEYS: most keys one list returns before `truncated` is set. */
  listMaxKeys: number
  /** LIST_MAX_FOLDERS: most folders (Vault list calls) one recursive list opens. */
  listMaxFolders: number
  /** DATA_MAX_*: the shape limits of the data a write or patch sends to Vault. */
  dataLimits: DataLimits
  /** Clock for the live/deleted state of versions (tests may fix it). */
  now?: () => number
  /** The one-time links of request_secret; absent, request_secret is refused (FORBIDDEN). */
  entry?: SecretEntryLinks
}

/**
 * The secrets service over Vault. Every name is confined to the caller's namespace before any
 * Vault call (paths.ts); outputs carry only the fields of the operation's output schema, never
 * Vault's envelope or a token.
 *
 * Each operation tells the VaultPort an upper bound of its Vault calls (a per-request child
 * token gets exactly that many uses): reads and transit calls 1; writes and patches 2 with
 * `cas` (a refused CAS write reads the metadata to tell CAS_MISMATCH apart), else 1; delete,
 * undelete, destroy and delete-metadata 2 (an existence check, then the change); a list 1, a
 * recursive list at most `listMaxFolders`.
 * @throws INVALID_PATH, FORBIDDEN (invalid agent id), DATA_LIMIT_EXCEEDED (a write or patch
 *   whose data passes a DATA_MAX_* limit, before Vault is called), and the VaultSession errors.
 */
export function createSecretsService(deps: SecretsServiceDeps): SecretsService {
  const { vault, prefix } = deps
  const listMaxKeys = Math.max(1, Math.floor(deps.listMaxKeys))
  const listMaxFolders = Math.max(1, Math.floor(deps.listMaxFolders))
  const now = deps.now ?? Date.now

  const secretKey = (ctx: CallContext, path: string) =>
    resolveSecretPath(prefix, agentOf(ctx.principal), path)
  const keyName = (ctx: CallContext, key: string) =>
    transitKeyName(prefix, agentOf(ctx.principal), key)

  /**
   * Vault's KV delete, undelete and destroy succeed silently on absent keys: check first, then
   * `change` the secret at `path` (2 Vault calls).
   */
  const changeExisting = (
    ctx: CallContext,
    path: string,
    change: (v: VaultSession, key: string) => Promise<void>,
  ) => {
    const key = secretKey(ctx, path)
    return vault.session(ctx, 2, async (v) => {
      await v.kvReadMetadata(key)
      await change(v, key)
    })
  }

  const written = (path: string, m: KvVersionMetadata) => ({ path, metadata: pickVersion(m) })

  /**
   * Encrypt, decrypt or rewrap with `key`: a batch answers item by item (a failed item carries
   * its error), while a single item's failure is the operation's error and its result goes
   * through `pick` (only the output schema's fields).
   */
  const transit = async <I, T extends object, O extends object>(
    ctx: CallContext,
    key: string,
    batch: I[] | undefined,
    item: I,
    call: (v: VaultSession, name: string, items: I[]) => Promise<ItemResult<T>[]>,
    pick: (value: T) => O,
  ) => {
    const name = keyName(ctx, key)
    if (batch) {
      const results = await vault.session(ctx, 1, (v) => call(v, name, batch))
      return { key, batch: results.map(batchItem) }
    }
    const [r] = await vault.session(ctx, 1, (v) => call(v, name, [item]))
    return { key, ...pick(single(r)) }
  }

  const entryLinks = () => {
    if (deps.entry) return deps.entry
    throw new AppError('FORBIDDEN', 'This bridge does not serve the one-time secret entry page.')
  }

  return {
    async readSecret(ctx, { path, version }) {
      const key = secretKey(ctx, path)
      const secret = await vault.session(ctx, 1, (v) => v.kvRead(key, version))
      return { path, data: secret.data, metadata: pickVersion(secret.metadata) }
    },

    async writeSecret(ctx, { path, data, cas }) {
      const key = secretKey(ctx, path)
      checkDataLimits(data, deps.dataLimits)
      const calls = cas === undefined ? 1 : 2
      return written(path, await vault.session(ctx, calls, (v) => v.kvWrite(key, data, cas)))
    },

    async patchSecret(ctx, { path, data, cas }) {
      const key = secretKey(ctx, path)
      checkDataLimits(data, deps.dataLimits)
      const calls = cas === undefined ? 1 : 2
      return written(path, await vault.session(ctx, calls, (v) => v.kvPatch(key, data, cas)))
    },

    async deleteSecret(ctx, { path, versions }) {
      await changeExisting(ctx, path, (v, key) =>
        versions ? v.kvDeleteVersions(key, versions) : v.kvDeleteLatest(key),
      )
      return { path, versions: versions ? [...versions] : ('latest' as const) }
    },

    async undeleteSecret(ctx, { path, versions }) {
      await changeExisting(ctx, path, (v, key) => v.kvUndelete(key, versions))
      return { path, versions: [...versions] }
    },

    async destroySecret(ctx, { path, versions }) {
      await changeExisting(ctx, path, (v, key) => v.kvDestroy(key, versions))
      return { path, versions: [...versions] }
    },

    async listSecrets(ctx, { prefix: folder, recursive }) {
      const root = resolveFolderPath(prefix, agentOf(ctx.principal), folder)
      if (!recursive) {
        const keys = await vault.session(ctx, 1, (v) => v.kvList(root))
        return {
          prefix: folder,
          keys: keys.slice(0, listMaxKeys),
          truncated: keys.length > listMaxKeys,
        }
      }
      // Security: one request, one unit of the agent's rate budget: the folders it may open
      // (each a Vault call) are bounded on their own, not only the keys it returns.
      return vault.session(ctx, listMaxFolders, async (v) => {
        const { keys, truncated } = await walk(v, root, listMaxKeys, listMaxFolders)
        return { prefix: folder, keys, truncated }
      })
    },

    async readSecretMetadata(ctx, { path }) {
      const key = secretKey(ctx, path)
      const m = await vault.session(ctx, 1, (v) => v.kvReadMetadata(key))
      const at = now()
      const versions = Object.entries(m.versions)
        .map(([n, v]) => ({
          version: Number(n),
          created_time: v.created_time,
          deletion_time: v.deletion_time,
          destroyed: v.destroyed,
          state: versionState(v, at),
        }))
        .filter((v) => Number.isInteger(v.version))
        .sort((a, b) => a.version - b.version)
      return {
        path,
        current_version: m.current_version,
        oldest_version: m.oldest_version,
        created_time: m.created_time,
        updated_time: m.updated_time,
        max_versions: m.max_versions,
        cas_required: m.cas_required,
        delete_version_after: m.delete_version_after,
        custom_metadata: m.custom_metadata,
        versions,
      }
    },

    async deleteSecretMetadata(ctx, { path }) {
      await changeExisting(ctx, path, (v, key) => v.kvDeleteMetadata(key))
      return { path, deleted: true as const }
    },

    async encrypt(ctx, input) {
      const item = { plaintext: input.plaintext ?? '', context: input.context }
      return transit(ctx, input.key, input.batch, item, (v, n, i) => v.transitEncrypt(n, i), cipher)
    },

    async decrypt(ctx, input) {
      const item = { ciphertext: input.ciphertext ?? '', context: input.context }
      return transit(ctx, input.key, input.batch, item, (v, n, i) => v.transitDecrypt(n, i), plain)
    },

    async rewrap(ctx, input) {
      const item = { ciphertext: input.ciphertext ?? '', context: input.context }
      return transit(ctx, input.key, input.batch, item, (v, n, i) => v.transitRewrap(n, i), cipher)
    },

    async generateDataKey(ctx, { key, type, bits, context }) {
      const name = keyName(ctx, key)
      const dk = await vault.session(ctx, 1, (v) => v.transitDataKey(name, { type, bits, context }))
      return {
        key,
        ciphertext: dk.ciphertext,
        key_version: dk.key_version,
        ...(type === 'plaintext' && dk.plaintext !== undefined ? { plaintext: dk.plaintext } : {}),
      }
    },

    async requestSecret(ctx, { path, fields, update }) {
      // The path is checked here, before a link exists: the link grants exactly this path.
      secretKey(ctx, path)
      const { agent, method } = ctx.principal
      const link = await entryLinks().issue({ agent, method, path, fields, update }, ctx.origin)
      return {
        request_id: link.id,
        path,
        fields: fields.map((f) => f.name),
        status: 'pending' as const,
        url: link.url,
        expires_at: new Date(link.expiresAt).toISOString(),
        message:
          'Give this link to the person who has the secret and ask them to open it and type ' +
          `it in (it works once, until ${new Date(link.expiresAt).toISOString()}); do not open ` +
          'it yourself. You will not see the value: check_secret_request with this request_id ' +
          'tells you when it is stored, and at which version.',
      }
    },

    async checkSecretRequest(ctx, { request_id }) {
      const state = await entryLinks().state(request_id, agentOf(ctx.principal))
      if (!state) {
        throw new AppError(
          'NOT_FOUND',
          'No secret request with this request_id for your agent (it may be long expired); ' +
            'request_secret makes a new one.',
        )
      }
      return entryOutput(state, now())
    },
  }
}

// ---------------------------------------------------------------------------------------------

/** What a model sees of a secret request: names, status, version, error code; never a value. */
export function entryOutput(state: SecretEntryState, at: number) {
  const status = state.status === 'pending' && state.expiresAt <= at ? 'expired' : state.status
  const next: Record<typeof status, string> = {
    pending: 'The person has not submitted yet; check again later.',
    written: `Stored as version ${String(state.version)}; you never see the value.`,
    failed: 'The bridge could not store it; request_secret makes a new link.',
    declined: 'The person declined; ask them before making a new request.',
    expired: 'Nobody submitted before the link expired; request_secret makes a new one.',
  }
  return {
    request_id: state.id,
    path: state.path,
    fields: [...state.fields],
    status,
    ...(state.version === undefined ? {} : { version: state.version }),
    ...(state.error === undefined ? {} : { error: state.error }),
    ...(status === 'pending' ? { expires_at: new Date(state.expiresAt).toISOString() } : {}),
    message: next[status],
  }
}

const pickVersion = (m: KvVersionMetadata): KvVersionMetadata => ({
  version: m.version,
  created_time: m.created_time,
  deletion_time: m.deletion_time,
  destroyed: m.destroyed,
  custom_metadata: m.custom_metadata,
})

/** A version with a deletion time in the future (delete_version_after) is still live. */
const versionState = (
  v: { deletion_time: string; destroyed: boolean },
  at: number,
): 'live' | 'deleted' | 'destroyed' => {
  if (v.destroyed) return 'destroyed'
  if (v.deletion_time === '') return 'live'
  const t = Date.parse(v.deletion_time)
  return Number.isNaN(t) || t <= at ? 'deleted' : 'live'
}

const single = <T>(r: ItemResult<T> | undefined): T => {
  if (!r) throw new AppError('INTERNAL', 'Vault returned no result.')
  if (!r.ok) throw new AppError(r.code, r.message)
  return r.value
}

/** The single-item output fields of encrypt and rewrap, and of decrypt. */
const cipher = ({ ciphertext, key_version }: TransitCiphertext) => ({ ciphertext, key_version })
const plain = ({ plaintext }: { plaintext: string }) => ({ plaintext })

const batchItem = <T extends object>(r: ItemResult<T>) =>
  r.ok ? r.value : { error: { code: r.code, message: r.message } }

/** How many folders a recursive list asks Vault about at once. */
const WALK_CONCURRENCY = 8

/**
 * Walks the folders below `root` breadth-first, one Vault list call per folder (up to
 * WALK_CONCURRENCY at once, results taken in queue order so the outcome is deterministic), and
 * returns secret paths relative to `root`, sorted. It stops when `keyLimit` keys are found or
 * `folderLimit` folders have been listed, and then reports `truncated`.
 */
async function walk(
  v: VaultSession,
  root: string,
  keyLimit: number,
  folderLimit: number,
): Promise<{ keys: string[]; truncated: boolean }> {
  const keys: string[] = []
  const queue: string[] = ['']
  let calls = 0
  let truncated = false
  while (queue.length > 0 && !truncated) {
    // A KV folder always holds at least one key, so a folder left unlisted means keys left out.
    if (calls === folderLimit || keys.length === keyLimit) {
      truncated = true
      break
    }
    const batch = queue.splice(0, Math.min(WALK_CONCURRENCY, folderLimit - calls))
    calls += batch.length
    const listed = await Promise.all(batch.map((rel) => v.kvList(root + rel)))
    batch.forEach((rel, i) => {
      for (const entry of listed[i] ?? []) {
        if (entry.endsWith('/')) {
          queue.push(rel + entry)
        } else if (keys.length < keyLimit) {
          keys.push(rel + entry)
        } else {
          truncated = true
        }
      }
    })
  }
  return { keys: keys.sort(), truncated }
}
