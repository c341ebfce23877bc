/** @module dev-vault/engines/transit/transit-ops: transit data paths (encrypt, decrypt, rewrap, datakey, hmac, sign, verify). */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { EngineResponse } from '../../routing/backend.js'
import { rawEnvelope } from '../../http/envelope.js'
import { struct } from '../../encoding/go-json.js'
import {
  SIGNATURE_HASHES,
  decryptValue,
  encryptValue,
  hmacValue,
  isFailure,
  isSigning,
  parseCiphertext,
  signValue,
  verifySignatureValue,
  type CryptoFailure,
  type Marshaling,
  type TransitKey,
} from './transit-crypto.js'
import {
  decodeFields,
  goBase64Decode,
  ignoredParamsWarning,
  type FieldSchema,
  type Fields,
} from '../field-schema.js'
import { keyTypeError, upsertKey, type KeyStore } from './transit-keys.js'
import { errorResponse, goError } from '../../routing/error-responses.js'

/** One `batch_input` item after Vault's `decodeBatchRequestItems`. */
interface BatchItem {
  plaintext: string
  ciphertext: string
  context: string
  nonce: string
  keyVersion: number
  associatedData: string
  reference: string
  decodedContext?: Buffer
}

const emptyItem = (): BatchItem => ({
  plaintext: '',
  ciphertext: '',
  context: '',
  nonce: '',
  keyVersion: 0,
  associatedData: '',
  reference: '',
})

const goType = (v: unknown): string =>
  typeof v === 'number'
    ? 'json.Number'
    : typeof v === 'boolean'
      ? 'bool'
      : Array.isArray(v)
        ? '[]interface {}'
        : 'map[string]interface {}'

/**
 * Vault's `decodeBatchRequestItems`. A malformed batch is a Go error, so Vault answers 500
 * `failed to parse batch input: ...` (mapstructure's text), and we do the same; an empty one is
 * a user error.
 */
function decodeBatch(raw: unknown, require: 'plaintext' | 'ciphertext' | null): BatchItem[] {
  if (!Array.isArray(raw)) {
    throw goError(
      `failed to parse batch input: source data must be an array or slice, got ${goType(raw)}`,
    )
  }
  const errs: string[] = []
  const items = raw.map((entry: unknown, i) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw goError(`failed to parse batch input: [${i}] expected a map, got '${goType(entry)}'`)
    }
    const src = entry as Record<string, unknown>
    const item = emptyItem()
    const str = (key: string, set: (v: string) => void, nullable = true): void => {
      if (!(key in src)) return
      const v = src[key]
      if (v === null && nullable) return
      if (typeof v === 'string') set(v)
      else
        errs.push(`'[${i}].${key}' expected type 'string', got unconvertible type '${goType(v)}'`)
    }
    str('context', (v) => (item.context = v))
    str('ciphertext', (v) => (item.ciphertext = v))
    if (!('ciphertext' in src) && require === 'ciphertext') {
      errs.push(`'[${i}].ciphertext' missing ciphertext to decrypt`)
    }
    str('plaintext', (v) => (item.plaintext = v), false)
    if (!('plaintext' in src) && require === 'plaintext') {
      errs.push(`'[${i}].plaintext' missing plaintext to encrypt`)
    }
    str('nonce', (v) => (item.nonce = v))
    str('associated_data', (v) => (item.associatedData = v))
    str('reference', (v) => (item.reference = v))
    if ('key_version' in src && src.key_version !== null) {
      const v = src.key_version
      if (typeof v === 'number' && Number.isInteger(v)) item.keyVersion = v
      else
        errs.push(`'[${i}].key_version' expected type 'int', got unconvertible type '${goType(v)}'`)
    }
    return item
  })
  if (errs.length > 0) {
    const list = errs.map((e) => `* ${e}`).join('\n')
    throw goError(`failed to parse batch input: ${errs.length} error(s) decoding:\n\n${list}`)
  }
  if (items.length === 0) throw errorResponse('missing batch input to process')
  return items
}

/** The one item of a request without `batch_input`, read from the top-level fields. */
function singleItem(
  f: Fields,
  input: Pick<BatchItem, 'plaintext'> | Pick<BatchItem, 'ciphertext'>,
): BatchItem[] {
  return [
    {
      ...emptyItem(),
      ...input,
      context: f.str('context'),
      nonce: f.str('nonce'),
      keyVersion: f.int('key_version'),
      associatedData: f.str('associated_data'),
    },
  ]
}

/** Batch outcome flags, as Vault tracks them to pick the status. */
interface BatchOutcome {
  user: boolean
  internal: boolean
  success: boolean
}

/**
 * `batchRequestResponse` + `logical.RespondWithStatusCode`: any failed item turns the answer
 * into a raw 400 (500 if only internal failures) whose body is the whole response envelope.
 */
function batchResponse(
  f: Fields,
  data: Record<string, unknown>,
  warnings: string[],
  outcome: BatchOutcome,
): EngineResponse {
  if (!outcome.user && !outcome.internal) {
    return { kind: 'envelope', data, ...(warnings.length ? { warnings } : {}) }
  }
  let code = outcome.user ? 400 : 500
  if (f.has('partial_failure_response_code') && outcome.success) {
    const requested = f.int('partial_failure_response_code')
    if (requested < 1 || requested > 599) {
      warnings.push(
        `invalid HTTP response code override from partial_failure_response_code, reverting to ${code}`,
      )
    } else {
      code = requested
    }
  }
  return rawEnvelope(code, data, warnings.length ? warnings : null)
}

const encryptSchema: FieldSchema = {
  name: 'string',
  plaintext: 'string',
  padding_scheme: 'string',
  context: 'string',
  nonce: 'string',
  type: 'string',
  convergent_encryption: 'bool',
  key_version: 'int',
  partial_failure_response_code: 'int',
  associated_data: 'string',
  batch_input: 'slice',
}

/** Decodes the items' base64 fields; returns the per-item error or undefined. */
function decodeItemInputs(item: BatchItem, checkPlaintext: boolean): string | undefined {
  if (checkPlaintext) {
    const p = goBase64Decode(item.plaintext)
    if (typeof p === 'string') return p
  }
  if (item.context !== '') {
    const c = goBase64Decode(item.context)
    if (typeof c === 'string') return c
    item.decodedContext = c
  }
  if (item.nonce !== '') {
    const n = goBase64Decode(item.nonce)
    if (typeof n === 'string') return n
  }
  return undefined
}

function requireSameContext(items: BatchItem[]): boolean {
  const contextSet = (items[0] as BatchItem).context !== ''
  for (const item of items) {
    if ((item.context !== '') !== contextSet) {
      throw errorResponse('context should be set either in all the request blocks or in none')
    }
  }
  return contextSet
}

function aadOf(item: BatchItem): Buffer | undefined | string {
  if (item.associatedData === '') return undefined
  return goBase64Decode(item.associatedData)
}

/** One item's answer: its response fields, or its error text. */
type ItemResult = { fields: Record<string, unknown> } | { error: string }

/**
 * Vault's per-item loop of encrypt/decrypt/rewrap: items that failed to decode keep their error,
 * the others run `op`; every failure sets the outcome flag that later picks the status.
 */
function runItems(
  items: BatchItem[],
  errors: string[],
  outcome: BatchOutcome,
  op: (item: BatchItem, aad: Buffer | undefined) => Record<string, unknown> | CryptoFailure,
): ItemResult[] {
  return items.map((item, i) => {
    if (errors[i] !== '') return { error: errors[i] as string }
    const aad = aadOf(item)
    if (typeof aad === 'string') {
      outcome.user = true
      return { error: aad }
    }
    const out = op(item, aad)
    if (isFailure(out)) {
      if (out.internal) outcome.internal = true
      else outcome.user = true
      return { error: out.error }
    }
    outcome.success = true
    return { fields: out }
  })
}

/**
 * The answer of encrypt/decrypt/rewrap. A batch lists every item (`failed` stands in for the
 * fields of an item that failed) and goes through `batchResponse`; a single item's error is
 * thrown (500 if internal, else 400), else its fields are the data.
 */
function itemsResponse(
  f: Fields,
  items: BatchItem[],
  results: ItemResult[],
  warnings: string[],
  outcome: BatchOutcome,
  failed: Record<string, unknown>,
  batchStatus: 'by-outcome' | 'always-200' = 'by-outcome',
): EngineResponse {
  if (f.has('batch_input')) {
    const batchResults = results.map((r, i) =>
      struct({
        ...('error' in r ? failed : r.fields),
        error: 'error' in r ? r.error : undefined,
        reference: (items[i] as BatchItem).reference,
      }),
    )
    // Vault's rewrap never goes through batchRequestResponse: a batch is 200 with per-item errors.
    if (batchStatus === 'always-200') {
      return { kind: 'envelope', data: { batch_results: batchResults } }
    }
    return batchResponse(f, { batch_results: batchResults }, warnings, outcome)
  }
  const only = results[0] as ItemResult
  if ('error' in only) throw outcome.internal ? goError(only.error) : errorResponse(only.error)
  warnings.push(...ignoredParamsWarning(f.unknown))
  return { kind: 'envelope', data: only.fields, ...(warnings.length ? { warnings } : {}) }
}

/** `POST encrypt/:name` (create = the key may be upserted). */
export function encrypt(
  store: KeyStore,
  name: string,
  data: Record<string, unknown>,
  isCreate: boolean,
  nowMs: number,
): EngineResponse {
  const f = decodeFields(data, encryptSchema)
  let items: BatchItem[]
  if (f.has('batch_input')) {
    items = decodeBatch(f.raw('batch_input'), 'plaintext')
  } else {
    if (!f.has('plaintext')) throw errorResponse('missing plaintext to encrypt')
    items = singleItem(f, { plaintext: f.str('plaintext') })
  }
  const errors: string[] = items.map(() => '')
  const outcome: BatchOutcome = { user: false, internal: false, success: false }
  const contextSet = requireSameContext(items)
  items.forEach((item, i) => {
    const err = decodeItemInputs(item, true)
    if (err) {
      outcome.user = true
      errors[i] = err
    }
  })
  let key = store.get(name)
  let upserted = false
  if (isCreate) {
    const convergent = f.bool('convergent_encryption')
    if (convergent && !contextSet) {
      throw errorResponse(
        'convergent encryption requires derivation to be enabled, so context is required',
      )
    }
    const type = f.str('type', 'aes256-gcm96')
    if (['ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521'].includes(type)) {
      throw errorResponse(`key type ${type} not supported for this operation`)
    }
    const typeError = keyTypeError(type)
    if (typeError) throw errorResponse(typeError)
    if (!key) {
      key = upsertKey(store, name, type, contextSet, convergent, nowMs)
      upserted = true
    }
  }
  if (!key) throw errorResponse('encryption key not found')
  const k = key
  items.forEach((item, i) => {
    if (errors[i] === '' && item.nonce !== '') {
      outcome.user = true
      errors[i] = 'provided nonce not allowed for this key'
    }
  })
  const results = runItems(items, errors, outcome, (item, aad) =>
    cipherFields(encryptValue(k, item.keyVersion, item.decodedContext, item.plaintext, aad)),
  )
  const warnings: string[] = []
  if (isCreate && !upserted) {
    warnings.push(
      'Attempted creation of the key during the encrypt operation, but it was created beforehand',
    )
  }
  return itemsResponse(f, items, results, warnings, outcome, {})
}

/** The response fields of an encrypted item (encrypt, rewrap). */
function cipherFields(
  out: { ciphertext: string; version: number } | CryptoFailure,
): Record<string, unknown> | CryptoFailure {
  return isFailure(out) ? out : { ciphertext: out.ciphertext, key_version: out.version }
}

const decryptSchema: FieldSchema = {
  name: 'string',
  ciphertext: 'string',
  padding_scheme: 'string',
  context: 'string',
  nonce: 'string',
  partial_failure_response_code: 'int',
  associated_data: 'string',
  batch_input: 'slice',
}

/** Reads the single-item or batch input of decrypt/rewrap. */
function cipherItems(f: Fields): BatchItem[] {
  if (f.has('batch_input')) return decodeBatch(f.raw('batch_input'), 'ciphertext')
  const ciphertext = f.str('ciphertext')
  if (ciphertext === '') throw errorResponse('missing ciphertext to decrypt')
  return singleItem(f, { ciphertext })
}

function preDecode(items: BatchItem[], errors: string[], outcome: BatchOutcome): void {
  requireSameContext(items)
  items.forEach((item, i) => {
    if (item.ciphertext === '') {
      outcome.user = true
      errors[i] = 'missing ciphertext to decrypt'
      return
    }
    const err = decodeItemInputs(item, false)
    if (err) {
      outcome.user = true
      errors[i] = err
    }
  })
}

/**
 * Decrypt and rewrap: reads the ciphertext items, checks them, then runs `op` with the named
 * key on each that decoded (`failed` stands in for a failed item's batch fields).
 */
function withCiphertexts(
  store: KeyStore,
  name: string,
  data: Record<string, unknown>,
  schema: FieldSchema,
  op: (
    k: TransitKey,
    item: BatchItem,
    aad: Buffer | undefined,
  ) => Record<string, unknown> | CryptoFailure,
  failed: Record<string, unknown>,
  batchStatus: 'by-outcome' | 'always-200' = 'by-outcome',
): EngineResponse {
  const f = decodeFields(data, schema)
  const items = cipherItems(f)
  const errors: string[] = items.map(() => '')
  const outcome: BatchOutcome = { user: false, internal: false, success: false }
  preDecode(items, errors, outcome)
  const k = store.get(name)
  if (!k) throw errorResponse('encryption key not found')
  const results = runItems(items, errors, outcome, (item, aad) => op(k, item, aad))
  return itemsResponse(f, items, results, [], outcome, failed, batchStatus)
}

/** `POST decrypt/:name`. */
export function decrypt(
  store: KeyStore,
  name: string,
  data: Record<string, unknown>,
): EngineResponse {
  return withCiphertexts(store, name, data, decryptSchema, decryptItem, { plaintext: '' })
}

function decryptItem(k: TransitKey, item: BatchItem, aad: Buffer | undefined) {
  const out = decryptValue(k, item.ciphertext, item.decodedContext, aad)
  return isFailure(out) ? out : { plaintext: out }
}

const rewrapSchema: FieldSchema = { ...decryptSchema, key_version: 'int' }

/** `POST rewrap/:name`: decrypt with the embedded version, encrypt with `key_version`/latest. */
export function rewrap(
  store: KeyStore,
  name: string,
  data: Record<string, unknown>,
): EngineResponse {
  return withCiphertexts(store, name, data, rewrapSchema, rewrapItem, {}, 'always-200')
}

function rewrapItem(k: TransitKey, item: BatchItem, aad: Buffer | undefined) {
  const plain = decryptValue(k, item.ciphertext, item.decodedContext, aad)
  return cipherFields(
    isFailure(plain) ? plain : encryptValue(k, item.keyVersion, item.decodedContext, plain, aad),
  )
}

const datakeySchema: FieldSchema = {
  name: 'string',
  plaintext: 'string',
  context: 'string',
  nonce: 'string',
  bits: 'int',
  key_version: 'int',
  associated_data: 'string',
}

/** `POST datakey/(plaintext|wrapped)/:name`: a fresh random key, returned wrapped by `name`. */
export function datakey(
  store: KeyStore,
  kind: string,
  name: string,
  data: Record<string, unknown>,
): EngineResponse {
  // The path's own `plaintext` capture wins over a body field of the same name.
  const f = decodeFields({ ...data, plaintext: kind }, datakeySchema)
  if (kind !== 'plaintext' && kind !== 'wrapped') {
    throw errorResponse("Invalid path, must be 'plaintext' or 'wrapped'")
  }
  let context: Buffer | undefined
  if (f.str('context') !== '') {
    const c = goBase64Decode(f.str('context'))
    if (typeof c === 'string') throw errorResponse('failed to base64-decode context')
    context = c
  }
  if (f.str('nonce') !== '') {
    const n = goBase64Decode(f.str('nonce'))
    if (typeof n === 'string') throw errorResponse('failed to base64-decode nonce')
  }
  const k = store.get(name)
  if (!k) throw errorResponse('encryption key not found')
  const bits = f.has('bits') ? f.int('bits') : 256
  if (![128, 256, 512].includes(bits)) throw errorResponse('invalid bit length')
  if (f.str('nonce') !== '') throw errorResponse('provided nonce not allowed for this key')
  let aad: Buffer | undefined
  if (f.str('associated_data') !== '') {
    const a = goBase64Decode(f.str('associated_data'))
    if (typeof a === 'string') throw errorResponse(a)
    aad = a
  }
  const material = randomBytes(bits / 8).toString('base64')
  const out = encryptValue(k, f.int('key_version'), context, material, aad)
  if (isFailure(out)) throw out.internal ? goError(out.error) : errorResponse(out.error)
  const body: Record<string, unknown> = { ciphertext: out.ciphertext, key_version: out.version }
  if (kind === 'plaintext') body.plaintext = material
  const warnings = ignoredParamsWarning(f.unknown)
  return { kind: 'envelope', data: body, ...(warnings.length ? { warnings } : {}) }
}

/** Vault's `HashTypeMap` names → Node digest names. */
const hmacDigests: Record<string, string> = {
  sha1: 'sha1',
  'sha2-224': 'sha224',
  'sha2-256': 'sha256',
  'sha2-384': 'sha384',
  'sha2-512': 'sha512',
  'sha3-224': 'sha3-224',
  'sha3-256': 'sha3-256',
  'sha3-384': 'sha3-384',
  'sha3-512': 'sha3-512',
}

const hmacSchema: FieldSchema = {
  name: 'string',
  input: 'string',
  algorithm: 'string',
  urlalgorithm: 'string',
  key_version: 'int',
  batch_input: 'slice',
}

/** Reads `batch_input` as HMAC items (maps of strings); a malformed batch is a Go error (500). */
function hmacItems(f: Fields, missing: string): Array<Record<string, string>> {
  if (!f.has('batch_input')) {
    if (!f.has('input')) throw errorResponse(missing)
    return [{ input: f.str('input') }]
  }
  const raw = f.raw('batch_input') as unknown[]
  const items = raw.map((entry, i) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw goError(`failed to parse batch input: [${i}] expected a map, got '${goType(entry)}'`)
    }
    const out: Record<string, string> = {}
    for (const [key, v] of Object.entries(entry)) {
      if (typeof v !== 'string') {
        throw goError(
          `failed to parse batch input: 1 error(s) decoding:\n\n* '[${i}][${key}]' expected type 'string', got unconvertible type '${goType(v)}'`,
        )
      }
      out[key] = v
    }
    return out
  })
  if (items.length === 0) throw errorResponse('missing batch input to process')
  return items
}

function hmacAlgorithm(f: Fields): string {
  const algorithm = f.str('urlalgorithm') || f.str('algorithm', 'sha2-256')
  const digest = hmacDigests[algorithm]
  if (!digest) throw errorResponse(`unsupported algorithm ${JSON.stringify(algorithm)}`)
  return digest
}

function hmacKeyOf(k: TransitKey, version: number): Buffer {
  if (version < 0) throw errorResponse('key version does not exist (cannot be negative)')
  if (version > k.latestVersion) {
    throw errorResponse(`key version does not exist; latest key version is ${k.latestVersion}`)
  }
  const entry = k.versions.get(version)
  if (!entry) throw errorResponse('no HMAC key exists for that key version')
  return entry.hmacKey
}

/** `POST hmac/:name[/:algorithm]`: `vault:vN:` + base64 HMAC with the version's HMAC key. */
export function hmac(
  store: KeyStore,
  name: string,
  urlAlgorithm: string,
  data: Record<string, unknown>,
): EngineResponse {
  const f = decodeFields({ ...data, urlalgorithm: urlAlgorithm }, hmacSchema)
  const k = store.get(name)
  if (!k) throw errorResponse('encryption key not found')
  let version = f.int('key_version')
  if (version === 0) version = k.latestVersion
  else if (
    version !== k.latestVersion &&
    k.minEncryptionVersion > 0 &&
    version < k.minEncryptionVersion
  ) {
    throw errorResponse('cannot generate HMAC: version is too old (disallowed by policy)')
  }
  const key = hmacKeyOf(k, version)
  const digest = hmacAlgorithm(f)
  const items = hmacItems(f, 'missing input for HMAC')
  const results = items.map((item) => {
    if (!('input' in item)) return { error: 'missing input for HMAC' }
    const input = goBase64Decode(item.input as string)
    if (typeof input === 'string') return { error: `unable to decode input as base64: ${input}` }
    return { hmac: `vault:v${version}:${hmacValue(key, digest, input).toString('base64')}` }
  })
  if (f.has('batch_input')) {
    const batchResults = results.map((r, i) =>
      struct({
        hmac: 'hmac' in r ? r.hmac : undefined,
        error: 'error' in r ? r.error : undefined,
        reference: (items[i] as Record<string, string>).reference ?? '',
      }),
    )
    return { kind: 'envelope', data: { batch_results: batchResults } }
  }
  const only = results[0] as { error?: string; hmac?: string }
  if (only.error !== undefined) throw errorResponse(only.error)
  const warnings = ignoredParamsWarning(f.unknown)
  return { kind: 'envelope', data: { hmac: only.hmac }, ...(warnings.length ? { warnings } : {}) }
}

const verifySchema: FieldSchema = {
  ...hmacSchema,
  signature: 'string',
  hmac: 'string',
  cmac: 'string',
  context: 'string',
  hash_algorithm: 'string',
  urlalgorithm: 'string',
  prehashed: 'bool',
  signature_algorithm: 'string',
  marshaling_algorithm: 'string',
  salt_length: 'string',
}

/** Checks one `vault:vN:` HMAC against `input`. */
function verifyOne(
  k: TransitKey,
  digest: string,
  input: string | undefined,
  mac: string | undefined,
) {
  if (input === undefined) return { error: 'missing input' }
  if (mac === undefined || mac === '') return { error: 'missing hmac' }
  const parsed = parseCiphertext(k, mac, 'HMAC')
  if (isFailure(parsed)) return parsed
  const expected = goBase64Decode(parsed.body)
  if (typeof expected === 'string') {
    return { error: `unable to decode verification HMAC as base64: ${expected}` }
  }
  if (k.minDecryptionVersion > 0 && parsed.version < k.minDecryptionVersion) {
    return { error: 'cannot verify HMAC: version is too old (disallowed by policy)' }
  }
  const entry = k.versions.get(parsed.version)
  if (!entry) return { error: 'no HMAC key exists for that key version' }
  const decoded = goBase64Decode(input)
  if (typeof decoded === 'string') return { error: `unable to decode input as base64: ${decoded}` }
  const actual = hmacValue(entry.hmacKey, digest, decoded)
  // Security: a timing-safe compare, as Go's hmac.Equal is.
  return { valid: actual.length === expected.length && timingSafeEqual(actual, expected) }
}

/** `POST verify/:name[/:algorithm]`: HMAC verification (signatures need asymmetric keys). */
export function verify(
  store: KeyStore,
  name: string,
  urlAlgorithm: string,
  data: Record<string, unknown>,
): EngineResponse {
  const f = decodeFields({ ...data, urlalgorithm: urlAlgorithm }, verifySchema)
  const sig = f.str('signature')
  const mac = f.str('hmac')
  if (sig !== '' && mac !== '') throw errorResponse("provide one of 'signature' or 'hmac'")
  if (sig === '' && mac === '' && !f.has('batch_input') && f.str('cmac') === '') {
    throw errorResponse("neither a 'signature' nor an 'hmac' were given to verify")
  }
  if (sig !== '' || (mac === '' && f.has('batch_input') && batchUsesSignatures(f))) {
    return verifySignature(store, name, f)
  }
  const k = store.get(name)
  if (!k) throw errorResponse('encryption key not found')
  const digest = hmacAlgorithm(f)
  if (!f.has('batch_input')) {
    if (!f.has('input')) throw errorResponse('missing input')
    const r = verifyOne(k, digest, f.str('input'), mac)
    if ('error' in r) throw errorResponse(r.error)
    return { kind: 'envelope', data: { valid: r.valid } }
  }
  const items = hmacItems(f, 'missing input')
  const batchResults = items.map((item) => {
    const r = verifyOne(k, digest, item.input, item.hmac)
    return struct({
      valid: 'valid' in r ? r.valid : false,
      error: 'error' in r ? r.error : undefined,
      reference: item.reference ?? '',
    })
  })
  return { kind: 'envelope', data: { batch_results: batchResults } }
}

function batchUsesSignatures(f: Fields): boolean {
  const raw = f.raw('batch_input')
  return (
    Array.isArray(raw) && raw.some((i) => typeof i === 'object' && i !== null && 'signature' in i)
  )
}

const signSchema: FieldSchema = {
  name: 'string',
  input: 'string',
  context: 'string',
  hash_algorithm: 'string',
  algorithm: 'string',
  urlalgorithm: 'string',
  key_version: 'int',
  prehashed: 'bool',
  signature_algorithm: 'string',
  marshaling_algorithm: 'string',
  salt_length: 'string',
  batch_input: 'slice',
}

/**
 * The options both sign and verify take: the hash (URL, `hash_algorithm`, the deprecated
 * `algorithm`; sha2-256 by default) and the marshaling (`asn1` or `jws`). The dev vault
 * implements neither `prehashed` input nor batches here (a known difference).
 */
function signatureOptions(f: Fields): { hash: string; marshaling: Marshaling } {
  const name = f.str('urlalgorithm') || f.str('hash_algorithm') || f.str('algorithm') || 'sha2-256'
  const hash = SIGNATURE_HASHES[name]
  if (!hash) throw errorResponse(`invalid hash algorithm ${JSON.stringify(name)}`)
  const marshaling = f.str('marshaling_algorithm', 'asn1')
  if (marshaling !== 'asn1' && marshaling !== 'jws') {
    throw errorResponse(`invalid marshaling type ${JSON.stringify(marshaling)}`)
  }
  if (f.bool('prehashed')) throw errorResponse('prehashed input is not supported by the dev vault')
  if (f.has('batch_input')) {
    throw errorResponse('batch_input for signatures is not supported by the dev vault')
  }
  return { hash, marshaling }
}

/** A signing key of the store, or Vault's refusal. */
function signingKey(store: KeyStore, name: string, missing: string): TransitKey {
  const k = store.get(name)
  if (!k) throw errorResponse(missing)
  if (!isSigning(k.type)) throw errorResponse(`key type ${k.type} does not support signing`)
  return k
}

/** `POST sign/:name[/:algorithm]`: `{signature: "vault:vN:...", key_version}`. */
export function sign(
  store: KeyStore,
  name: string,
  urlAlgorithm: string,
  data: Record<string, unknown>,
): EngineResponse {
  const f = decodeFields({ ...data, urlalgorithm: urlAlgorithm }, signSchema)
  const options = signatureOptions(f)
  const k = signingKey(store, name, 'signing key not found')
  const input = goBase64Decode(f.str('input'))
  if (typeof input === 'string') throw errorResponse(`unable to decode input: ${input}`)
  const out = signValue(k, f.int('key_version'), input, options)
  if (isFailure(out)) throw out.internal ? goError(out.error) : errorResponse(out.error)
  const warnings = ignoredParamsWarning(f.unknown)
  return {
    kind: 'envelope',
    data: { signature: out.signature, key_version: out.version },
    ...(warnings.length ? { warnings } : {}),
  }
}

/** Verifies a signature (`verify/:name` with `signature`): `{valid}`. */
function verifySignature(store: KeyStore, name: string, f: Fields): EngineResponse {
  const options = signatureOptions(f)
  const k = signingKey(store, name, 'signature verification key not found')
  const input = goBase64Decode(f.str('input'))
  if (typeof input === 'string') {
    throw errorResponse(`failed to parse item: unable to decode input: ${input}`)
  }
  const out = verifySignatureValue(k, input, f.str('signature'), options)
  if (isFailure(out)) throw out.internal ? goError(out.error) : errorResponse(out.error)
  return { kind: 'envelope', data: { valid: out } }
}
