/**
 * @module core/secrets-service: the one place that holds the bridge's rules. It confines every
 * operation to the caller's namespace and turns agent-relative names into Vault-side names,
 * then calls Vault through the VaultPort.
 */
import type { z } from 'zod'
import { checkDataLimits, type DataLimits } from './data-limits.js'
import { AppError } from './errors.js'
import type { CallContext } from './identity.js'
import { decodeCursor, encodeCursor, listPage, type Position } from './list-pages.js'
import {
  agentKvPrefix,
  agentOf,
  resolveFolderPath,
  resolveSecretPath,
  transitKeyName,
  transitKeyPrefix,
} from './paths.js'
import type {
  ItemResult,
  KvKeyMetadata,
  KvVersionMetadata,
  SecretEntryLinks,
  SecretEntryState,
  TransitCiphertext,
  TransitKeyInfo,
  VaultPort,
  VaultSession,
  WrapInfo,
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
  updateSecretMetadata: Call<typeof S.updateSecretMetadataInput, typeof S.readSecretMetadataOutput>
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
  createTransitKey: Call<typeof S.createTransitKeyInput, typeof S.createTransitKeyOutput>
  readTransitKey: Call<typeof S.readTransitKeyInput, typeof S.transitKeyOutput>
  rotateTransitKey: Call<typeof S.rotateTransitKeyInput, typeof S.transitKeyOutput>
  listTransitKeys: Call<typeof S.listTransitKeysInput, typeof S.listTransitKeysOutput>
  generateHmac: Call<typeof S.generateHmacInput, typeof S.generateHmacOutput>
  verifyHmac: Call<typeof S.verifyHmacInput, typeof S.verifyOutput>
  sign: Call<typeof S.signInput, typeof S.signOutput>
  verifySignature: Call<typeof S.verifySignatureInput, typeof S.verifyOutput>
  /** What the caller is and may touch; `operations` is what it may call (the runner knows). */
  whoami(
    ctx: CallContext,
    facts: { operations: string[] },
  ): Promise<z.output<typeof S.whoamiOutput>>
}

export interface SecretsServiceDeps {
  vault: VaultPort
  /** DEFAULT_PREFIX: agents live under `{kvMount}/data/{prefix}/{agent}/`. */
  prefix: string
  /** LIST_MAX_KEYS: most keys one page of any list returns (the default and the cap of `limit`). */
  listMaxKeys: number
  /** LIST_MAX_FOLDERS: most folders (Vault list calls) one page of a recursive list opens. */
  listMaxFolders: number
  /** DATA_MAX_*: the shape limits of the data a write or patch sends to Vault. */
  dataLimits: DataLimits
  /** KV_MOUNT and TRANSIT_MOUNT, which whoami names. */
  mounts: { kv: string; transit: string }
  /** CHILD_TOKEN_ENABLED, which whoami reports. */
  childTokens: boolean
  /** WRAP_TTL_MAX: the longest wrap TTL (seconds) a read may ask Vault for. */
  wrapTtlMax: number
  /** Clock for the live/deleted state of versions (tests may fix it). */
  now?: () => number
  /** The one-time links of request_secret; absent, request_secret is refused (FORBIDDEN). */
  entry?: SecretEntryLinks
}

/**
 * The secrets service over Vault. Every name is confined to the caller's namespace before any
 * Vault call (paths.ts); outputs carry only the fields of the operation's output schema, never
 * Vault's envelope or a token (but the wrapping token a wrapped read asks for).
 *
 * Each operation tells the VaultPort an upper bound of its Vault calls (a per-request child
 * token gets exactly that many uses): reads 1 (2 with `version`: a missing version is told
 * apart from a missing secret by the metadata) and transit calls 1; writes and patches 2 with
 * `cas` (a refused CAS write reads the metadata to tell CAS_MISMATCH apart), else 1; delete,
 * undelete, destroy and delete-metadata 2 (an existence check, then the change); a metadata
 * update 3 (an existence check, the write, and the read it answers with); a page of a
 * list 1, a page of a recursive list at most `listMaxFolders` (the folders it opens).
 * @throws INVALID_PATH, FORBIDDEN (invalid agent id), DATA_LIMIT_EXCEEDED (a write or patch
 *   whose data passes a DATA_MAX_* limit, before Vault is called), INVALID_INPUT (a cursor of
 *   another list; a `wrap_ttl` above `wrapTtlMax`, before Vault is called), and the VaultSession
 *   errors.
 */
export function createSecretsService(deps: SecretsServiceDeps): SecretsService {
  const { vault, prefix } = deps
  const listMaxKeys = Math.max(1, Math.floor(deps.listMaxKeys))
  const listMaxFolders = Math.max(1, Math.floor(deps.listMaxFolders))
  const now = deps.now ?? Date.now
  const wrapTtlMax = Math.max(1, Math.floor(deps.wrapTtlMax))

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
    throw new AppError(
      'FORBIDDEN',
      "request_secret is off on this bridge: it reaches Vault only with the caller's own token " +
        '(VAULT_JWT_EXCHANGE_ONLY), which the page a person opens does not have. Ask the ' +
        'person to use write_secret through their own client instead.',
    )
  }

  /**
   * Runs `use` with the agent's key `key`. A use Vault refuses as invalid (400) may have met no
   * key at all, or a key that cannot do it: one read of the key tells which (so these uses
   * announce 2 calls), and the caller learns KEY_NOT_FOUND, or that the key cannot sign.
   */
  const withKey = <T>(
    ctx: CallContext,
    key: string,
    use: (v: VaultSession, name: string) => Promise<T>,
    needs?: 'signing',
  ) => {
    const name = keyName(ctx, key)
    return vault.session(ctx, 2, async (v) => {
      try {
        return await use(v, name)
      } catch (err) {
        if (!isCode(err, 'INVALID_INPUT')) throw err
        const info = await v.transitReadKey(name)
        if (needs === 'signing' && !info.supports_signing) {
          throw new AppError(
            'INVALID_INPUT',
            `Your key "${key}" is ${info.type}, which cannot sign. create_transit_key makes a ` +
              'signing key (type ed25519 or ecdsa-p256).',
            { cause: err },
          )
        }
        throw err
      }
    })
  }

  return {
    async readSecret(ctx, { path, version, wrap_ttl: wrapTtl }) {
      const key = secretKey(ctx, path)
      if (wrapTtl !== undefined && wrapTtl > wrapTtlMax) {
        throw new AppError(
          'INVALID_INPUT',
          `Invalid input. wrap_ttl: at most ${wrapTtlMax} seconds on this bridge (WRAP_TTL_MAX).`,
        )
      }
      // Vault answers a missing version like a missing secret: its metadata tells them apart.
      const calls = version === undefined ? 1 : 2
      const read = <T>(attempt: (v: VaultSession) => Promise<T>) =>
        vault.session(ctx, calls, async (v) => {
          try {
            return await attempt(v)
          } catch (err) {
            if (version === undefined || !isCode(err, 'SECRET_NOT_FOUND')) throw err
            const meta = await v.kvReadMetadata(key)
            const kept =
              meta.current_version === 0
                ? 'it has no versions yet'
                : `it keeps versions ${Math.max(meta.oldest_version, 1)} to ${meta.current_version}`
            throw new AppError(
              'VERSION_NOT_FOUND',
              `This secret has no version ${version} (${kept}). read_secret_metadata lists them.`,
            )
          }
        })
      if (wrapTtl !== undefined) {
        // Security: Vault keeps the values in the wrapping token's cubbyhole; only the handle
        // comes back, so neither the bridge's answer nor its logs ever hold them.
        const info = await read((v) => v.kvReadWrapped(key, wrapTtl, version))
        return { path, wrap_info: pickWrapInfo(info) }
      }
      const secret = await read((v) => v.kvRead(key, version))
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

    async listSecrets(ctx, { prefix: folder, recursive, limit, cursor }) {
      const agent = agentOf(ctx.principal)
      const root = resolveFolderPath(prefix, agent, folder)
      // The cursor names the folder as the service resolved it, so "app" and "app/" agree.
      const scope = {
        kind: 'secrets',
        prefix: root.slice(agentKvPrefix(prefix, agent).length),
        recursive,
      } as const
      const after = cursor === undefined ? undefined : decodeCursor(cursor, scope)
      if (after)
        checkResumePath(after, recursive, (rel) =>
          resolveFolderPath(prefix, agent, scope.prefix + rel),
        )
      const request = {
        recursive,
        after,
        limit: Math.min(limit ?? listMaxKeys, listMaxKeys),
        folderBudget: listMaxFolders,
      }
      // Security: one request, one unit of the agent's rate budget: a plain list is one Vault
      // call, and the folders a recursive page opens (each a call) are bounded on their own.
      const page = await vault.session(ctx, recursive ? listMaxFolders : 1, (v) =>
        listPage((rel) => v.kvList(root + rel), request),
      )
      return {
        prefix: folder,
        keys: page.keys,
        truncated: page.next !== undefined,
        ...(page.next ? { next_cursor: encodeCursor(scope, page.next) } : {}),
      }
    },

    async readSecretMetadata(ctx, { path }) {
      const key = secretKey(ctx, path)
      return metadataView(path, await vault.session(ctx, 1, (v) => v.kvReadMetadata(key)), now())
    },

    async updateSecretMetadata(ctx, { path, ...settings }) {
      const key = secretKey(ctx, path)
      // Vault's metadata write would create a secret without versions: only existing ones change.
      const m = await vault.session(ctx, 3, async (v) => {
        await v.kvReadMetadata(key)
        await v.kvWriteMetadata(key, settings)
        return v.kvReadMetadata(key)
      })
      return metadataView(path, m, now())
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
      const key = secretKey(ctx, path)
      const links = entryLinks()
      // The link is bound to the version it was made against: its write passes it as cas, so
      // Vault refuses a second write of the same link, and any write over a later change.
      const cas = update
        ? (await vault.session(ctx, 1, (v) => v.kvReadMetadata(key))).current_version
        : 0
      const { agent, method } = ctx.principal
      const link = await links.issue({ agent, method, path, fields, update, cas }, ctx.origin)
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

    async createTransitKey(ctx, { key, type }) {
      const name = keyName(ctx, key)
      // A read, the create, and (Vault before 1.14 answers 204) a read of what it made.
      return vault.session(ctx, 3, async (v) => {
        const existing = await v.transitReadKey(name).catch((err: unknown) => {
          if (isCode(err, 'KEY_NOT_FOUND')) return undefined
          throw err
        })
        const info =
          existing ?? (await v.transitCreateKey(name, type)) ?? (await v.transitReadKey(name))
        // Vault keeps an existing key as it is, whatever type was asked for.
        if (info.type !== type) {
          throw new AppError(
            'KEY_EXISTS',
            `You already have a transit key "${key}" of type ${info.type}. Use it as it is ` +
              '(read_transit_key shows it), or create a key of another name.',
          )
        }
        return { ...keyView(key, info), created: existing === undefined }
      })
    },

    async readTransitKey(ctx, { key }) {
      const name = keyName(ctx, key)
      return keyView(key, await vault.session(ctx, 1, (v) => v.transitReadKey(name)))
    },

    async rotateTransitKey(ctx, { key }) {
      const name = keyName(ctx, key)
      // The rotation, and a read: of what it made (a 204 before Vault 1.14), or to tell a
      // missing key (Vault's 400 "key not found") from another refusal.
      const info = await vault.session(ctx, 2, async (v) => {
        try {
          return (await v.transitRotateKey(name)) ?? (await v.transitReadKey(name))
        } catch (err) {
          if (isCode(err, 'INVALID_INPUT')) await v.transitReadKey(name)
          throw err
        }
      })
      return keyView(key, info)
    },

    async listTransitKeys(ctx, { limit, cursor }) {
      const start = transitKeyPrefix(prefix, agentOf(ctx.principal))
      const scope = { kind: 'keys' } as const
      const after = cursor === undefined ? undefined : decodeCursor(cursor, scope)
      // Security: Vault lists every agent's keys; only names with this agent's prefix are
      // looked at, and they leave without it.
      const names = await vault.session(ctx, 1, (v) => v.transitListKeys())
      const own = names.filter((n) => n.startsWith(start)).map((n) => n.slice(start.length))
      const page = await listPage(async () => own, {
        recursive: false,
        after,
        limit: Math.min(limit ?? listMaxKeys, listMaxKeys),
        folderBudget: 1,
      })
      return {
        keys: page.keys,
        truncated: page.next !== undefined,
        ...(page.next ? { next_cursor: encodeCursor(scope, page.next) } : {}),
      }
    },

    async generateHmac(ctx, { key, input, algorithm, key_version }) {
      const out = await withKey(ctx, key, (v, name) =>
        v.transitHmac(name, { input, algorithm, ...(key_version ? { key_version } : {}) }),
      )
      return { key, ...out }
    },

    async verifyHmac(ctx, { key, input, hmac, algorithm }) {
      const valid = await withKey(ctx, key, (v, name) =>
        v.transitVerifyHmac(name, { input, hmac, algorithm }),
      )
      return { key, valid }
    },

    async sign(ctx, { key, ...options }) {
      const out = await withKey(ctx, key, (v, name) => v.transitSign(name, options), 'signing')
      return { key, ...out }
    },

    async whoami(ctx, { operations }) {
      const { principal, rateBudget } = ctx
      const agent = agentOf(principal)
      const identity = deps.vault.identity(ctx)
      return {
        agent: principal.agent,
        method: principal.method,
        scopes: [...principal.scopes],
        kv_mount: deps.mounts.kv,
        secrets_prefix: resolveFolderPath(prefix, agent, ''),
        transit_mount: deps.mounts.transit,
        transit_key_prefix: transitKeyPrefix(prefix, agent),
        operations,
        child_tokens: identity === 'child_token',
        vault_identity: identity,
        rate_limit: rateBudget
          ? {
              limit: rateBudget.limit,
              remaining: rateBudget.remaining,
              reset_seconds: rateBudget.resetSeconds,
            }
          : null,
      }
    },

    async verifySignature(ctx, { key, ...options }) {
      const valid = await withKey(
        ctx,
        key,
        (v, name) => v.transitVerifySignature(name, options),
        'signing',
      )
      return { key, valid }
    },
  }
}

/** A key as read_transit_key shows it (only the output's fields: never key material). */
const keyView = (key: string, k: TransitKeyInfo) => ({
  key,
  type: k.type,
  latest_version: k.latest_version,
  min_decryption_version: k.min_decryption_version,
  min_encryption_version: k.min_encryption_version,
  supports_encryption: k.supports_encryption,
  supports_decryption: k.supports_decryption,
  supports_signing: k.supports_signing,
  derived: k.derived,
  exportable: k.exportable,
  versions: k.versions.map((v) => ({
    version: v.version,
    created_time: v.created_time,
    ...(v.public_key === undefined ? {} : { public_key: v.public_key }),
  })),
})

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

const pickWrapInfo = (w: WrapInfo): WrapInfo => ({
  token: w.token,
  accessor: w.accessor,
  ttl: w.ttl,
  creation_time: w.creation_time,
  creation_path: w.creation_path,
})

const pickVersion = (m: KvVersionMetadata): KvVersionMetadata => ({
  version: m.version,
  created_time: m.created_time,
  deletion_time: m.deletion_time,
  destroyed: m.destroyed,
  custom_metadata: m.custom_metadata,
})

/** KV metadata as read_secret_metadata shows it: versions in order, each with its state. */
function metadataView(path: string, m: KvKeyMetadata, at: number) {
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
}

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

const isCode = (err: unknown, code: AppError['code']) =>
  err instanceof AppError && err.code === code

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

/**
 * Checks the folders a cursor makes the walk list again against the path rules, since the
 * cursor is the caller's input: a plain list resumes after one entry of the folder, a recursive
 * one lists the ancestors of its position (and an open position's own folder).
 * @throws INVALID_INPUT for a position no listing of this folder could have produced.
 */
function checkResumePath(
  at: Position,
  recursive: boolean,
  resolve: (rel: string) => unknown,
): void {
  const forged = () =>
    new AppError('INVALID_INPUT', 'cursor: not a cursor this bridge issued for this folder.')
  if (!recursive) {
    if (at.open || !/^[^/]+\/?$/.test(at.path)) throw forged()
    return
  }
  const folder = at.open
    ? at.path
    : at.path.slice(0, at.path.replace(/\/$/, '').lastIndexOf('/') + 1)
  if (at.open && !at.path.endsWith('/')) throw forged()
  if (folder === '') return
  try {
    resolve(folder)
  } catch {
    throw forged()
  }
}
