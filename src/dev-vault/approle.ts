/** @module dev-vault/approle: the AppRole auth method (roles, secret IDs, login). */
import { randomUUID, timingSafeEqual } from 'node:crypto'
import {
  VaultHttpError,
  type Engine,
  type EngineFactory,
  type EngineHost,
  type EngineRequest,
  type EngineResponse,
} from './backend.js'
import {
  deleteRole,
  listRoles,
  newAppRoleState,
  readRole,
  readRoleId,
  writeRole,
  writeRoleId,
  type AppRoleState,
  type SecretIdEntry,
} from './approle-roles.js'
import { isAddrOrCidr, loginDisplayName, tokenRequestFor } from './approle-token-params.js'
import { localTimeString } from './go-time.js'
import {
  decodeFields,
  goError,
  unsupportedOperation,
  unsupportedPath,
  userError,
  type FieldSchema,
} from './transit-fields.js'

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
function generateSecretId(
  state: AppRoleState,
  host: EngineHost,
  roleName: string,
  data: Record<string, unknown>,
  custom: boolean,
): EngineResponse {
  const f = decodeFields(data, secretIdSchema)
  const name = roleName.toLowerCase()
  const secretId = custom ? f.str('secret_id') : randomUUID()
  if (secretId === '') throw userError('missing secret_id')
  const role = state.roles.get(name)
  if (!role) throw userError(`role ${JSON.stringify(roleName)} does not exist`, 404)
  if (!role.bindSecretId) throw userError('bind_secret_id is not set on the role')
  const cidrList = f.strings('cidr_list')
  if (cidrList.some((c) => !isAddrOrCidr(c))) throw userError('failed to validate CIDR blocks')
  const tokenBoundCidrs = f.strings('token_bound_cidrs')
  if (tokenBoundCidrs.some((c) => !isAddrOrCidr(c)))
    throw userError('failed to validate CIDR blocks')
  let numUses = role.secretIdNumUses
  if (f.has('num_uses')) {
    numUses = f.int('num_uses')
    if (numUses < 0) throw userError('num_uses cannot be negative')
    if (
      (numUses === 0 && role.secretIdNumUses > 0) ||
      (role.secretIdNumUses > 0 && numUses > role.secretIdNumUses)
    ) {
      throw userError("num_uses cannot be higher than the role's secret_id_num_uses")
    }
  }
  let ttl = role.secretIdTtl
  if (f.has('ttl')) {
    ttl = f.int('ttl')
    if ((ttl === 0 && role.secretIdTtl > 0) || (role.secretIdTtl > 0 && ttl > role.secretIdTtl)) {
      throw userError("ttl cannot be longer than the role's secret_id_ttl")
    }
  }
  // deriveSecretIDTTL: negative or beyond the mount's max lease TTL falls back to that max.
  if (ttl < 0 || ttl > MAX_LEASE_TTL) ttl = MAX_LEASE_TTL
  const metadata = parseSecretIdMetadata(f.str('metadata'))
  if (typeof metadata === 'string') throw userError(`failed to parse metadata: ${metadata}`)
  const bucket = state.secretIds.get(name) ?? new Map<string, SecretIdEntry>()
  if (bucket.has(secretId)) throw userError('SecretID is already registered')
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
function findSecretId(
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

const loginSchema: FieldSchema = { role_id: 'string', secret_id: 'string' }

/** `POST login`: role_id (+ secret_id when bound) → an orphan service token. */
function login(
  state: AppRoleState,
  host: EngineHost,
  mountPath: string,
  data: Record<string, unknown>,
): EngineResponse {
  const f = decodeFields(data, loginSchema)
  const invalid = (): never => {
    throw userError('invalid role or secret ID')
  }
  const roleId = f.str('role_id').trim()
  // Vault's core runs the alias lookahead first, whose plain Go error makes this a 500.
  if (roleId === '') throw new VaultHttpError(500, ['missing role_id'])
  const roleName = state.roleIds.get(roleId) ?? invalid()
  const role = state.roles.get(roleName) ?? invalid()
  const metadata: Record<string, string> = {}
  if (role.bindSecretId) {
    const secretId = f.str('secret_id').trim()
    if (secretId === '') throw userError('missing secret_id')
    const bucket = state.secretIds.get(roleName)
    const [id, entry] = findSecretId(bucket, secretId) ?? invalid()
    if (entry.expiresAt !== 0 && host.now() > entry.expiresAt) {
      bucket?.delete(id)
      invalid()
    }
    // Security: the dev vault does not see the client address, so a CIDR-bound secret ID can
    // never be proven to be used from an allowed network; refuse rather than ignore the bound.
    if (entry.cidrList.length > 0 || (role.secretIdBoundCidrs ?? []).length > 0) {
      throw userError('source address unauthorized through CIDR restrictions on the secret ID')
    }
    if (entry.numUses === 1) bucket?.delete(id)
    else if (entry.numUses > 1) {
      entry.numUses -= 1
      entry.lastUpdatedAt = host.now()
    }
    Object.assign(metadata, entry.metadata)
  } else if ((role.secretIdBoundCidrs ?? []).length > 0 || role.token.tokenBoundCidrs.length > 0) {
    // Security: same reason as above; only CIDR bounds protect this role.
    throw new VaultHttpError(403, ['permission denied'])
  }
  metadata.role_name = role.name
  const mount = mountPath.replace(/^auth\//, '')
  const auth = host.issueToken(
    tokenRequestFor(role.token, loginDisplayName(mountPath, ''), `auth/${mount}login`, metadata),
  )
  return { kind: 'envelope', data: null, auth }
}

/** `POST role/:role_name/secret-id/lookup`: 204 when the secret ID is unknown. */
function lookupSecretId(
  state: AppRoleState,
  roleName: string,
  data: Record<string, unknown>,
): EngineResponse {
  const f = decodeFields(data, { role_name: 'string', secret_id: 'string' })
  const name = roleName.toLowerCase()
  if (f.str('secret_id') === '') throw userError('missing secret_id')
  if (!state.roles.has(name)) throw goError(`role ${JSON.stringify(roleName)} does not exist`)
  const hit = findSecretId(state.secretIds.get(name), f.str('secret_id'))
  return hit ? { kind: 'envelope', data: secretIdData(hit[1]) } : { kind: 'envelope' }
}

/** `POST|DELETE role/:role_name/secret-id/destroy`: 204, also for unknown secret IDs. */
function destroySecretId(
  state: AppRoleState,
  roleName: string,
  data: Record<string, unknown>,
): EngineResponse {
  const f = decodeFields(data, { role_name: 'string', secret_id: 'string' })
  const name = roleName.toLowerCase()
  if (f.str('secret_id') === '') throw userError('missing secret_id')
  if (!state.roles.has(name)) throw goError(`role ${JSON.stringify(roleName)} does not exist`)
  const hit = findSecretId(state.secretIds.get(name), f.str('secret_id'))
  if (hit) state.secretIds.get(name)?.delete(hit[0])
  return { kind: 'envelope' }
}

/** `LIST role/:role_name/secret-id`: the accessors. */
function listSecretIds(state: AppRoleState, roleName: string): EngineResponse {
  const name = roleName.toLowerCase()
  if (!state.roles.has(name)) throw userError(`role ${JSON.stringify(roleName)} does not exist`)
  const accessors = [...(state.secretIds.get(name)?.values() ?? [])].map((e) => e.accessor).sort()
  if (accessors.length === 0) throw new VaultHttpError(404, [])
  return { kind: 'envelope', data: { keys: accessors } }
}

const NAME = String.raw`(\w(?:(?:[\w.@-]+)?\w)?)`
type Handler = (m: string[], req: EngineRequest) => EngineResponse
type Route = { pattern: RegExp; ops: Partial<Record<EngineRequest['operation'], Handler>> }

/**
 * Builds an AppRole auth engine (reference §5.1): roles, role IDs, secret IDs (with
 * `num_uses`, `ttl`, `metadata`) and the unauthenticated `login`, whose token comes from
 * `host.issueToken` with the role's token_* settings and `role_name` metadata.
 * Known difference: CIDR bindings cannot be checked (no client address), so logins that
 * depend on them are refused.
 */
export const createAppRoleEngine: EngineFactory = (host) => {
  const state = newAppRoleState()
  const write = (h: Handler): Route['ops'] => ({ create: h, update: h })
  const routes: Route[] = [
    { pattern: /^role\/?$/, ops: { list: () => listRoles(state) } },
    {
      pattern: new RegExp(`^role/${NAME}$`),
      ops: {
        read: (m) => readRole(state, m[1] as string),
        create: (m, r) => writeRole(state, m[1] as string, r.data, true),
        update: (m, r) => writeRole(state, m[1] as string, r.data, false),
        delete: (m) => deleteRole(state, m[1] as string),
      },
    },
    {
      pattern: new RegExp(`^role/${NAME}/role-id$`),
      ops: {
        read: (m) => readRoleId(state, m[1] as string),
        ...write((m, r) => writeRoleId(state, m[1] as string, r.data)),
      },
    },
    {
      pattern: new RegExp(`^role/${NAME}/secret-id/?$`),
      ops: {
        list: (m) => listSecretIds(state, m[1] as string),
        ...write((m, r) => generateSecretId(state, host, m[1] as string, r.data, false)),
      },
    },
    {
      pattern: new RegExp(`^role/${NAME}/custom-secret-id$`),
      ops: write((m, r) => generateSecretId(state, host, m[1] as string, r.data, true)),
    },
    {
      pattern: new RegExp(`^role/${NAME}/secret-id/lookup/?$`),
      ops: write((m, r) => lookupSecretId(state, m[1] as string, r.data)),
    },
    {
      pattern: new RegExp(`^role/${NAME}/secret-id/destroy/?$`),
      ops: {
        ...write((m, r) => destroySecretId(state, m[1] as string, r.data)),
        delete: (m, r) => destroySecretId(state, m[1] as string, r.data),
      },
    },
    { pattern: /^login$/, ops: write((_m, r) => login(state, host, r.mountPath, r.data)) },
  ]
  const engine: Engine = {
    type: 'approle',
    exists(path) {
      const m = new RegExp(`^role/${NAME}$`).exec(path)
      return m ? state.roles.has((m[1] as string).toLowerCase()) : undefined
    },
    isUnauthenticated: (path) => path === 'login',
    handle(req) {
      for (const route of routes) {
        const m = route.pattern.exec(req.path)
        if (!m) continue
        const handler = route.ops[req.operation]
        if (!handler) throw unsupportedOperation()
        return handler(m, req)
      }
      throw unsupportedPath()
    },
  }
  return engine
}
