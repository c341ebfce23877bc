/**
 * @module vault/node-vault-session: the VaultSession port over a node-vault client (KV v2 and
 * Transit over Vault's HTTP API). It performs no namespacing: keys arrive fully resolved.
 */
import type NodeVault from 'node-vault'
import { AppError } from '../core/errors.js'
import { trimSlashes } from '../core/paths.js'
import type {
  ItemResult,
  KvKeyMetadata,
  KvSecret,
  KvVersionMetadata,
  TransitCiphertext,
  TransitKeyInfo,
  VaultSession,
  WrapInfo,
} from '../core/ports.js'
import {
  casMismatch,
  fromTransitError,
  fromVaultError,
  isRecord,
  vaultBody,
  vaultCause,
  vaultStatus,
  type VaultTarget,
} from './vault-errors.js'

/** The part of a node-vault client the session uses (its token is the session's identity). */
export type VaultRequestClient = Pick<NodeVault.client, 'request'>

export interface NodeVaultSessionOptions {
  /** KV v2 mount path, e.g. `secret`. */
  kvMount: string
  /** Transit mount path, e.g. `transit`. */
  transitMount: string
  /** Receives Vault's `request_id` of every call, for the audit trail. */
  trace?: { vaultRequestIds: string[] }
}

type Body = Record<string, unknown>

/**
 * A VaultSession whose calls go through `client` (so with the client's token). Each port method
 * makes one Vault call, except a check-and-set write or patch that Vault refuses: it reads the
 * key's metadata once more to tell CAS_MISMATCH from other invalid input.
 * @throws see VaultSession in src/core/ports.ts.
 */
export function createNodeVaultSession(
  client: VaultRequestClient,
  options: NodeVaultSessionOptions,
): VaultSession {
  const kv = trimSlashes(options.kvMount)
  const transit = trimSlashes(options.transitMount)
  const trace = options.trace

  const note = (body: unknown) => {
    const id = isRecord(body) ? body.request_id : undefined
    if (trace && typeof id === 'string' && id !== '') trace.vaultRequestIds.push(id)
  }

  /** One Vault call; rejects with node-vault's raw error (mapped by the callers). */
  const send = async (
    method: string,
    path: string,
    json?: Body,
    headers?: Record<string, string>,
  ): Promise<Body> => {
    try {
      const body: unknown = await client.request({
        path: `/${path}`,
        method,
        ...(json === undefined ? {} : { json }),
        ...(headers === undefined ? {} : { headers }),
      })
      note(body)
      return isRecord(body) ? body : {}
    } catch (err) {
      note(vaultBody(err))
      throw err
    }
  }

  /** A call whose failures map straight to AppErrors. */
  const call = async (
    target: VaultTarget,
    method: string,
    path: string,
    json?: Body,
    headers?: Record<string, string>,
  ): Promise<Body> => {
    try {
      return await send(method, path, json, headers)
    } catch (err) {
      throw fromVaultError(err, target, { method, path })
    }
  }

  /** A Transit call whose failures map straight to AppErrors (see fromTransitError). */
  const transitCall = async (
    method: string,
    path: string,
    json?: Body,
    options: { keys?: boolean; invalid?: string } = {},
  ) => {
    try {
      return await send(method, path, json)
    } catch (err) {
      throw fromTransitError(err, transit, { method, path, ...options })
    }
  }
  const keyPath = (keyName: string, suffix = '') =>
    `${transit}/keys/${encodeURIComponent(keyName)}${suffix}`

  /** The key a create or rotate answered with (Vault 1.14+), or undefined (a 204 before). */
  const answeredKey = (body: Body, path: string): TransitKeyInfo | undefined => {
    const data = dataOf(body)
    return typeof data.type === 'string' ? keyInfo(data, path) : undefined
  }

  const dataPath = (key: string) => `${kv}/data/${encodeKey(key)}`
  const metadataPath = (key: string) => `${kv}/metadata/${encodeKey(key)}`

  /**
   * Vault answers a CAS mismatch with a plain 400, like any other invalid write. Compare the cas
   * that was sent with the key's current version instead of reading Vault's message.
   */
  const writeWithCas = async (
    method: 'POST' | 'PATCH',
    key: string,
    data: Record<string, unknown>,
    cas: number | undefined,
  ): Promise<KvVersionMetadata> => {
    const path = dataPath(key)
    const body: Body = cas === undefined ? { data } : { data, options: { cas } }
    const headers =
      method === 'PATCH' ? { 'Content-Type': 'application/merge-patch+json' } : undefined
    try {
      return versionMetadata(dataOf(await send(method, path, body, headers)))
    } catch (err) {
      if (vaultStatus(err) === 400 && cas !== undefined) {
        const current = await currentVersion(key)
        if (current !== undefined && current !== cas) {
          throw casMismatch(vaultCause(err, method, path))
        }
      }
      throw fromVaultError(err, 'secret', { method, path })
    }
  }

  /** The key's current version (0 when it does not exist), or undefined if that is unknown. */
  const currentVersion = async (key: string): Promise<number | undefined> => {
    try {
      const meta = dataOf(await send('GET', metadataPath(key)))
      return typeof meta.current_version === 'number' ? meta.current_version : undefined
    } catch (err) {
      return vaultStatus(err) === 404 ? 0 : undefined
    }
  }

  const transitItems = async <T>(
    op: 'encrypt' | 'decrypt' | 'rewrap',
    keyName: string,
    items: Body[],
    pick: (item: Body) => T,
  ): Promise<ItemResult<T>[]> => {
    const path = `${transit}/${op}/${encodeURIComponent(keyName)}`
    const single = items.length === 1
    let body: Body
    try {
      body = await send('POST', path, single ? items[0] : { batch_input: items })
    } catch (err) {
      const status = vaultStatus(err)
      const results = batchResults(dataOf(vaultBody(err)))
      // Vault answers a batch with failed items as a whole 400 (or 500) that still carries
      // every item's result; a single item's 400 is that item's failure.
      if (!single && results && status !== undefined && status < 500) {
        return results.map((r) => itemResult(r, op, pick))
      }
      if (single && status === 400) return [itemFailure(op)]
      throw fromTransitError(err, transit, { method: 'POST', path })
    }
    const data = dataOf(body)
    if (single) return [itemResult(data, op, pick)]
    const results = batchResults(data)
    if (!results || results.length !== items.length) throw unexpected('POST', path)
    return results.map((r) => itemResult(r, op, pick))
  }

  const ciphertextOf = (item: Body): TransitCiphertext => {
    const ciphertext = item.ciphertext
    if (typeof ciphertext !== 'string' || ciphertext === '') throw unexpected('POST', transit)
    return { ciphertext, key_version: keyVersionOf(item.key_version, ciphertext) }
  }

  return {
    async kvRead(key, version) {
      const query = version === undefined ? '' : `?version=${version}`
      const data = dataOf(await call('secret', 'GET', `${dataPath(key)}${query}`))
      if (!isRecord(data.data)) throw unexpected('GET', dataPath(key))
      return { data: data.data, metadata: versionMetadata(data.metadata) } satisfies KvSecret
    },

    async kvReadWrapped(key, ttlSeconds, version) {
      // Security: Vault answers a wrap TTL of 0 unwrapped, with the data; never send one.
      if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
        throw new AppError('INTERNAL', 'A wrapped read needs a wrap TTL of at least 1 second.')
      }
      const query = version === undefined ? '' : `?version=${version}`
      const path = dataPath(key)
      const headers = { 'X-Vault-Wrap-TTL': String(ttlSeconds) }
      return wrapInfoOf(await call('secret', 'GET', `${path}${query}`, undefined, headers), path)
    },

    kvWrite: (key, data, cas) => writeWithCas('POST', key, data, cas),

    kvPatch: (key, data, cas) => writeWithCas('PATCH', key, data, cas),

    async kvDeleteLatest(key) {
      await call('secret', 'DELETE', dataPath(key))
    },

    async kvDeleteVersions(key, versions) {
      await call('secret', 'POST', `${kv}/delete/${encodeKey(key)}`, { versions })
    },

    async kvUndelete(key, versions) {
      await call('secret', 'POST', `${kv}/undelete/${encodeKey(key)}`, { versions })
    },

    async kvDestroy(key, versions) {
      await call('secret', 'POST', `${kv}/destroy/${encodeKey(key)}`, { versions })
    },

    async kvList(folderKey) {
      const path = `${metadataPath(folderKey)}?list=true`
      let body: Body
      try {
        body = await send('GET', path)
      } catch (err) {
        // Vault answers an empty or missing folder with 404.
        if (vaultStatus(err) === 404) return []
        throw fromVaultError(err, 'secret', { method: 'LIST', path })
      }
      const keys = dataOf(body).keys
      if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
        throw unexpected('LIST', path)
      }
      return keys as string[]
    },

    async kvReadMetadata(key) {
      const m = dataOf(await call('secret', 'GET', metadataPath(key)))
      const versions: KvKeyMetadata['versions'] = {}
      if (isRecord(m.versions)) {
        for (const [n, v] of Object.entries(m.versions)) {
          if (!isRecord(v)) continue
          versions[n] = {
            created_time: str(v.created_time),
            deletion_time: str(v.deletion_time),
            destroyed: v.destroyed === true,
          }
        }
      }
      return {
        current_version: num(m.current_version),
        oldest_version: num(m.oldest_version),
        created_time: str(m.created_time),
        updated_time: str(m.updated_time),
        max_versions: num(m.max_versions),
        cas_required: m.cas_required === true,
        delete_version_after: str(m.delete_version_after),
        custom_metadata: stringMap(m.custom_metadata),
        versions,
      }
    },

    async kvWriteMetadata(key, settings) {
      await call('metadata', 'POST', metadataPath(key), withoutUndefined(settings))
    },

    async kvDeleteMetadata(key) {
      await call('secret', 'DELETE', metadataPath(key))
    },

    transitEncrypt: (keyName, items) =>
      transitItems('encrypt', keyName, items.map(withoutUndefined), ciphertextOf),

    transitDecrypt: (keyName, items) =>
      transitItems('decrypt', keyName, items.map(withoutUndefined), (item) => {
        if (typeof item.plaintext !== 'string') throw unexpected('POST', transit)
        return { plaintext: item.plaintext }
      }),

    transitRewrap: (keyName, items) =>
      transitItems('rewrap', keyName, items.map(withoutUndefined), ciphertextOf),

    async transitDataKey(keyName, { type, bits, context }) {
      const path = `${transit}/datakey/${type}/${encodeURIComponent(keyName)}`
      const data = dataOf(await transitCall('POST', path, withoutUndefined({ bits, context })))
      const out: TransitCiphertext & { plaintext?: string } = ciphertextOf(data)
      // Security: a wrapped data key is never returned in the clear, whatever Vault sent.
      if (type === 'plaintext') {
        if (typeof data.plaintext !== 'string') throw unexpected('POST', path)
        out.plaintext = data.plaintext
      }
      return out
    },

    async transitCreateKey(keyName, type) {
      const path = keyPath(keyName)
      return answeredKey(await transitCall('POST', path, { type }, { invalid: KEY_INVALID }), path)
    },

    async transitReadKey(keyName) {
      const path = keyPath(keyName)
      return keyInfo(dataOf(await transitCall('GET', path, undefined, { keys: true })), path)
    },

    async transitListKeys() {
      const path = `${transit}/keys?list=true`
      let body: Body
      try {
        body = await send('GET', path)
      } catch (err) {
        // No keys on the mount: 404 with an empty error list (a missing mount has an error).
        const errors = vaultBody(err).errors
        if (vaultStatus(err) === 404 && Array.isArray(errors) && errors.length === 0) return []
        throw fromTransitError(err, transit, { method: 'LIST', path })
      }
      const keys = dataOf(body).keys
      if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
        throw unexpected('LIST', path)
      }
      return keys as string[]
    },

    async transitRotateKey(keyName) {
      const path = keyPath(keyName, '/rotate')
      return answeredKey(await transitCall('POST', path, {}, { invalid: KEY_INVALID }), path)
    },

    async transitHmac(keyName, { input, algorithm, key_version }) {
      const path = `${transit}/hmac/${encodeURIComponent(keyName)}`
      const json = withoutUndefined({ input, algorithm, key_version })
      const data = dataOf(await transitCall('POST', path, json, { invalid: HMAC_INVALID }))
      if (typeof data.hmac !== 'string' || data.hmac === '') throw unexpected('POST', path)
      return { hmac: data.hmac, key_version: keyVersionOf(data.key_version, data.hmac) }
    },

    async transitVerifyHmac(keyName, { input, hmac, algorithm }) {
      const path = `${transit}/verify/${encodeURIComponent(keyName)}`
      const json = { input, hmac, algorithm }
      return validOf(await transitCall('POST', path, json, { invalid: HMAC_INVALID }), path)
    },

    async transitSign(keyName, options) {
      const path = `${transit}/sign/${encodeURIComponent(keyName)}`
      const json = withoutUndefined(options)
      const data = dataOf(await transitCall('POST', path, json, { invalid: SIGN_INVALID }))
      if (typeof data.signature !== 'string' || data.signature === '') {
        throw unexpected('POST', path)
      }
      return {
        signature: data.signature,
        key_version: keyVersionOf(data.key_version, data.signature),
      }
    },

    async transitVerifySignature(keyName, options) {
      const path = `${transit}/verify/${encodeURIComponent(keyName)}`
      const json = withoutUndefined(options)
      return validOf(await transitCall('POST', path, json, { invalid: SIGN_INVALID }), path)
    },
  }
}

const KEY_INVALID = 'Vault refused the key change. read_transit_key shows the key as it is.'
const HMAC_INVALID =
  'Vault rejected the request as invalid. Check that input is base64, that the hmac is one ' +
  'this key made ("vault:v<N>:..."), and that key_version is not newer than the key.'
const SIGN_INVALID =
  'Vault rejected the request as invalid. Check that input is base64, that the key signs ' +
  '(ed25519 or ecdsa-p256), and that the signature is one it made ("vault:v<N>:...") with the ' +
  'same hash_algorithm and marshaling_algorithm and a version the key still allows.'

/** `valid` of a verify answer. */
function validOf(body: Body, path: string): boolean {
  const valid = dataOf(body).valid
  if (typeof valid !== 'boolean') throw unexpected('POST', path)
  return valid
}

/**
 * The settings and versions of a key read. Security: only the fields named here are taken;
 * of each version, its creation time and (signing keys) its public key, nothing else.
 */
function keyInfo(data: Body, path: string): TransitKeyInfo {
  if (typeof data.type !== 'string') throw unexpected('GET', path)
  const versions: TransitKeyInfo['versions'] = []
  for (const [n, v] of Object.entries(isRecord(data.keys) ? data.keys : {})) {
    const version = Number(n)
    if (!Number.isInteger(version)) continue
    if (typeof v === 'number') {
      // Symmetric keys: Unix seconds.
      versions.push({ version, created_time: new Date(v * 1000).toISOString() })
    } else if (isRecord(v)) {
      const publicKey = typeof v.public_key === 'string' && v.public_key !== '' ? v.public_key : ''
      versions.push({
        version,
        created_time: str(v.creation_time),
        ...(publicKey ? { public_key: publicKey } : {}),
      })
    }
  }
  versions.sort((a, b) => a.version - b.version)
  return {
    type: data.type,
    latest_version: num(data.latest_version),
    min_decryption_version: num(data.min_decryption_version),
    min_encryption_version: num(data.min_encryption_version),
    supports_encryption: data.supports_encryption === true,
    supports_decryption: data.supports_decryption === true,
    supports_signing: data.supports_signing === true,
    derived: data.derived === true,
    exportable: data.exportable === true,
    versions,
  }
}

// ---------------------------------------------------------------------------------------------

const ITEM_FAILURE: Record<'encrypt' | 'decrypt' | 'rewrap', string> = {
  encrypt:
    'This item could not be encrypted. Check that plaintext and context are base64 and that ' +
    'derived keys get a context.',
  decrypt:
    'This item could not be decrypted. Check that the ciphertext was made with this key and ' +
    'the same context.',
  rewrap:
    'This item could not be rewrapped. Check that the ciphertext was made with this key and ' +
    'the same context.',
}

// Security: Vault's per-item error text is dropped; the caller gets a fixed, safe message.
const itemFailure = (
  op: keyof typeof ITEM_FAILURE,
): { ok: false; code: 'INVALID_INPUT'; message: string } => ({
  ok: false,
  code: 'INVALID_INPUT',
  message: ITEM_FAILURE[op],
})

function itemResult<T>(
  item: Body,
  op: keyof typeof ITEM_FAILURE,
  pick: (item: Body) => T,
): ItemResult<T> {
  if (typeof item.error === 'string' && item.error !== '') return itemFailure(op)
  return { ok: true, value: pick(item) }
}

const batchResults = (data: Body): Body[] | undefined => {
  const r = data.batch_results
  return Array.isArray(r) && r.every(isRecord) ? r : undefined
}

/** `key_version` as Vault reports it, else the `N` of the `vault:vN:` prefix. */
const keyVersionOf = (reported: unknown, ciphertext: string): number => {
  if (typeof reported === 'number' && Number.isInteger(reported) && reported > 0) return reported
  const m = /^vault:v(\d+):/.exec(ciphertext)
  return m ? Number(m[1]) : 0
}

/**
 * The `wrap_info` of a response Vault wrapped. Security: fail closed. Anything else (no
 * `wrap_info`, or `data` beside it, as Vault answers when it did not wrap) is refused, and the
 * error carries nothing of the body, which may hold the secret.
 */
function wrapInfoOf(body: Body, path: string): WrapInfo {
  const info = body.wrap_info
  const wrapped =
    isRecord(info) &&
    (body.data === null || body.data === undefined) &&
    typeof info.token === 'string' &&
    info.token !== '' &&
    typeof info.accessor === 'string' &&
    typeof info.ttl === 'number' &&
    typeof info.creation_time === 'string' &&
    typeof info.creation_path === 'string'
  if (!wrapped) {
    throw new AppError('INTERNAL', 'Vault did not wrap the response; nothing of it is returned.', {
      cause: new Error(`Vault GET ${path}: a wrapped read came back unwrapped`),
    })
  }
  return {
    token: info.token as string,
    accessor: info.accessor as string,
    ttl: info.ttl as number,
    creation_time: info.creation_time as string,
    creation_path: info.creation_path as string,
  }
}

function versionMetadata(value: unknown): KvVersionMetadata {
  const m = isRecord(value) ? value : {}
  if (typeof m.version !== 'number') throw unexpected('GET', 'kv version metadata')
  return {
    version: m.version,
    created_time: str(m.created_time),
    deletion_time: str(m.deletion_time),
    destroyed: m.destroyed === true,
    custom_metadata: stringMap(m.custom_metadata),
  }
}

const unexpected = (method: string, path: string) =>
  new AppError('INTERNAL', 'Vault answered in an unexpected shape.', {
    cause: new Error(`Vault ${method} ${path}: unexpected response shape`),
  })

/** Each `/`-separated segment percent-encoded, so `?`, `#`, `%` and spaces stay in the key. */
const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/')

const dataOf = (body: Body): Body => (isRecord(body.data) ? body.data : {})

const str = (v: unknown): string => (typeof v === 'string' ? v : '')

const num = (v: unknown): number => (typeof v === 'number' ? v : 0)

const stringMap = (v: unknown): Record<string, string> | null => {
  if (!isRecord(v)) return null
  const out: Record<string, string> = {}
  for (const [k, s] of Object.entries(v)) if (typeof s === 'string') out[k] = s
  return out
}

const withoutUndefined = <T extends object>(o: T): Body =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
