/** @module dev-vault/engines/approle/approle-secret-ids: AppRole secret IDs (generate, list, lookup, destroy). */
import { randomUUID, timingSafeEqual } from 'node:crypto'
import { VaultHttpError, type EngineHost, type EngineResponse } from '../../routing/backend.js'
import type { AppRoleState, SecretIdEntry } from './approle-roles.js'
import { isAddrOrCidr } from '../token-params.js'
import { rawEnvelope } from '../../http/envelope.js'
import { localTimeString } from '../../encoding/go-time.js'
import { decodeFields, type FieldSchema } from '../field-schema.js'
import { errorResponse, goError } from '../../routing/error-responses.js'

/**
 * `strutil.ParseArbitraryKeyValues`: base64 or not, a JSON object of strings or `k=v,k2=v2`.
 * @returns the map, or Vault's error text.
 */
export function parseSecretIdMetadata(input: string): Record<string, string> | string {
  if (input === '') return {}
  let text = input
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(input) && input.length % 4 === 0) {
    text = Buffer.from(input, 'base64').toString('utf8')
  }
  try {
    const parsed: unknown = JSON.parse(text)
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const entries = Object.entries(parsed as Record<string, unknown>)
      if (entries.every(([, v]) => typeof v === 'string')) {
        return Object.fromEntries(entries) as Record<string, string>
      }
    }
  } catch {
    // Not JSON: Vault falls back to comma-separated key=value pairs.
  }
  const out: Record<string, string> = {}
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=')
    const key = eq < 0 ? '' : pair.slice(0, eq).trim()
    if (eq < 0 || key === '') {
      return `failed to parse the input: invalid key/value pair ${JSON.stringify(pair)}: format must be key=value`
    }
    out[key] = pair.slice(eq + 1).trim()
  }
  return out
}

const secretIdSchema: FieldSchema = {
  role_name: 'string',
  metadata: 'string',
  cidr_list: 'commaStringSlice',
  token_bound_cidrs: 'commaStringSlice',
  num_uses: 'int',
  ttl: 'durationSecond',
  secret_id: 'string',
}

/** Vault's default maximum lease TTL (768h), seconds. */
const MAX_LEASE_TTL = 2_764_800

/** Zero `time.Time` as Go's JSON encoder writes it. */
const GO_ZERO_TIME = '0001-01-01T00:00:00Z'

function secretIdData(e: SecretIdEntry): Record<string, unknown> {
  return {
    cidr_list: [...e.cidrList],
    creation_time: localTimeString(e.createdAt),
    expiration_time: e.expiresAt ? localTimeString(e.expiresAt) : GO_ZERO_TIME,
    last_updated_time: localTimeString(e.lastUpdatedAt),
    metadata: { ...e.metadata },
    secret_id_accessor: e.accessor,
    secret_id_num_uses: e.numUses,
    secret_id_ttl: e.ttl,
    token_bound_cidrs: [...e.tokenBoundCidrs],
  }
}

/** `POST role/:role_name/secret-id` and `custom-secret-id`. */
export function generateSecretId(
  state: AppRoleState,
  host: EngineHost,
  roleName: string,
  data: Record<string, unknown>,
  custom: boolean,
): EngineResponse {
  const f = decodeFields(data, secretIdSchema)
  const name = roleName.toLowerCase()
  const secretId = custom ? f.str('secret_id') : randomUUID()
  if (secretId === '') throw errorResponse('missing secret_id')
  const role = state.roles.get(name)
  if (!role) throw errorResponse(`role ${JSON.stringify(roleName)} does not exist`, 404)
  if (!role.bindSecretId) throw errorResponse('bind_secret_id is not set on the role')
  const cidrList = f.strings('cidr_list')
  if (cidrList.some((c) => !isAddrOrCidr(c))) throw errorResponse('failed to validate CIDR blocks')
  const tokenBoundCidrs = f.strings('token_bound_cidrs')
  if (tokenBoundCidrs.some((c) => !isAddrOrCidr(c)))
    throw errorResponse('failed to validate CIDR blocks')
  let numUses = role.secretIdNumUses
  if (f.has('num_uses')) {
    numUses = f.int('num_uses')
    if (numUses < 0) throw errorResponse('num_uses cannot be negative')
    if (
      (numUses === 0 && role.secretIdNumUses > 0) ||
      (role.secretIdNumUses > 0 && numUses > role.secretIdNumUses)
    ) {
      throw errorResponse("num_uses cannot be higher than the role's secret_id_num_uses")
    }
  }
  let ttl = role.secretIdTtl
  if (f.has('ttl')) {
    ttl = f.int('ttl')
    if ((ttl === 0 && role.secretIdTtl > 0) || (role.secretIdTtl > 0 && ttl > role.secretIdTtl)) {
      throw errorResponse("ttl cannot be longer than the role's secret_id_ttl")
    }
  }
  // deriveSecretIDTTL: negative or beyond the mount's max lease TTL falls back to that max.
  if (ttl < 0 || ttl > MAX_LEASE_TTL) ttl = MAX_LEASE_TTL
  const metadata = parseSecretIdMetadata(f.str('metadata'))
  if (typeof metadata === 'string') throw errorResponse(`failed to parse metadata: ${metadata}`)
  const bucket = state.secretIds.get(name) ?? new Map<string, SecretIdEntry>()
  if (bucket.has(secretId)) throw errorResponse('SecretID is already registered')
  const now = host.now()
  const entry: SecretIdEntry = {
    accessor: randomUUID(),
    numUses,
    ttl,
    createdAt: now,
    lastUpdatedAt: now,
    expiresAt: ttl > 0 ? now + ttl * 1000 : 0,
    metadata,
    cidrList,
    tokenBoundCidrs,
  }
  bucket.set(secretId, entry)
  state.secretIds.set(name, bucket)
  return {
    kind: 'envelope',
    data: {
      secret_id: secretId,
      secret_id_accessor: entry.accessor,
      secret_id_num_uses: numUses,
      secret_id_ttl: ttl,
    },
  }
}

/** Finds a secret ID in constant time per candidate. */
export function findSecretId(
  bucket: Map<string, SecretIdEntry> | undefined,
  secretId: string,
): [string, SecretIdEntry] | undefined {
  if (!bucket) return undefined
  const wanted = Buffer.from(secretId)
  let found: [string, SecretIdEntry] | undefined
  for (const [id, entry] of bucket) {
    const candidate = Buffer.from(id)
    // Security: compare every candidate in constant time so timing reveals no prefix.
    if (candidate.length === wanted.length && timingSafeEqual(candidate, wanted)) {
      found = [id, entry]
    }
  }
  return found
}

/** A request's target: the role's lower-cased name and the secret ID it names, if any. */
interface SecretIdTarget {
  name: string
  hit: [string, SecretIdEntry] | undefined
}

/**
 * Reads `secret_id` for `secret-id/lookup|destroy` and finds it in the role's bucket.
 * @throws VaultHttpError 400 when `secret_id` is missing, 500 when the role does not exist.
 */
function secretIdTarget(
  state: AppRoleState,
  roleName: string,
  data: Record<string, unknown>,
): SecretIdTarget {
  const f = decodeFields(data, { role_name: 'string', secret_id: 'string' })
  const name = roleName.toLowerCase()
  if (f.str('secret_id') === '') throw errorResponse('missing secret_id')
  if (!state.roles.has(name)) throw goError(`role ${JSON.stringify(roleName)} does not exist`)
  return { name, hit: findSecretId(state.secretIds.get(name), f.str('secret_id')) }
}

/** `POST role/:role_name/secret-id/lookup`: 204 when the secret ID is unknown. */
export function lookupSecretId(
  state: AppRoleState,
  roleName: string,
  data: Record<string, unknown>,
): EngineResponse {
  const { hit } = secretIdTarget(state, roleName, data)
  return hit ? { kind: 'envelope', data: secretIdData(hit[1]) } : { kind: 'envelope' }
}

/** `POST|DELETE role/:role_name/secret-id/destroy`: 204, also for unknown secret IDs. */
export function destroySecretId(
  state: AppRoleState,
  roleName: string,
  data: Record<string, unknown>,
): EngineResponse {
  const { name, hit } = secretIdTarget(state, roleName, data)
  if (hit) state.secretIds.get(name)?.delete(hit[0])
  return { kind: 'envelope' }
}

/** `LIST role/:role_name/secret-id`: the accessors. */
export function listSecretIds(state: AppRoleState, roleName: string): EngineResponse {
  const name = roleName.toLowerCase()
  if (!state.roles.has(name)) throw errorResponse(`role ${JSON.stringify(roleName)} does not exist`)
  const accessors = [...(state.secretIds.get(name)?.values() ?? [])].map((e) => e.accessor).sort()
  if (accessors.length === 0) throw new VaultHttpError(404, [])
  return { kind: 'envelope', data: { keys: accessors } }
}

/** The secret ID whose accessor is `accessor`, if any. */
function byAccessor(
  state: AppRoleState,
  name: string,
  accessor: string,
): [string, SecretIdEntry] | undefined {
  for (const [id, entry] of state.secretIds.get(name) ?? []) {
    if (entry.accessor === accessor) return [id, entry]
  }
  return undefined
}

const accessorSchema: FieldSchema = { role_name: 'string', secret_id_accessor: 'string' }

/**
 * Reads `secret_id_accessor` for `secret-id-accessor/lookup|destroy` and finds its secret ID.
 * @throws VaultHttpError 400 when the accessor is missing, 500 when the role does not exist.
 */
function accessorTarget(
  state: AppRoleState,
  roleName: string,
  data: Record<string, unknown>,
): SecretIdTarget & { accessor: string } {
  const f = decodeFields(data, accessorSchema)
  const accessor = f.str('secret_id_accessor')
  if (accessor === '') throw errorResponse('missing secret_id_accessor')
  const name = roleName.toLowerCase()
  if (!state.roles.has(name)) throw goError(`role ${JSON.stringify(roleName)} does not exist`)
  return { name, accessor, hit: byAccessor(state, name, accessor) }
}

/**
 * `POST role/:role_name/secret-id-accessor/lookup`. An unknown accessor is Vault's raw 404
 * (`RespondWithStatusCode` around an error response).
 */
export function lookupSecretIdAccessor(
  state: AppRoleState,
  roleName: string,
  data: Record<string, unknown>,
): EngineResponse {
  const { accessor, hit } = accessorTarget(state, roleName, data)
  if (hit) return { kind: 'envelope', data: secretIdData(hit[1]) }
  return rawEnvelope(404, {
    error: `failed to find accessor entry for secret_id_accessor: ${JSON.stringify(accessor)}`,
  })
}

/** `POST|DELETE role/:role_name/secret-id-accessor/destroy`: 204; unknown accessor → 500. */
export function destroySecretIdAccessor(
  state: AppRoleState,
  roleName: string,
  data: Record<string, unknown>,
): EngineResponse {
  const { name, accessor, hit } = accessorTarget(state, roleName, data)
  if (!hit) {
    throw goError(
      `failed to find accessor entry for secret_id_accessor: ${JSON.stringify(accessor)}`,
    )
  }
  state.secretIds.get(name)?.delete(hit[0])
  return { kind: 'envelope' }
}
