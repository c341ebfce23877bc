/** @module dev-vault/engines/approle/approle-engine: the AppRole auth method (roles, secret IDs, login). */
import {
  VaultHttpError,
  type Engine,
  type EngineFactory,
  type EngineHost,
  type EngineResponse,
} from '../../routing/backend.js'
import {
  deleteRole,
  listRoles,
  newAppRoleState,
  readRole,
  readRoleId,
  writeRole,
  writeRoleId,
  type AppRoleState,
} from './approle-roles.js'
import {
  destroySecretId,
  destroySecretIdAccessor,
  findSecretId,
  generateSecretId,
  listSecretIds,
  lookupSecretId,
  lookupSecretIdAccessor,
} from './approle-secret-ids.js'
import { loginDisplayName, tokenRequestFor } from '../token-params.js'
import { dispatch, GENERIC_NAME as NAME, writeOps as write, type Route } from '../engine-routes.js'
import { decodeFields, type FieldSchema } from '../field-schema.js'
import { errorResponse } from '../../routing/error-responses.js'

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
    throw errorResponse('invalid role or secret ID')
  }
  const roleId = f.str('role_id').trim()
  // Vault's core runs the alias lookahead first, whose plain Go error makes this a 500.
  if (roleId === '') throw new VaultHttpError(500, ['missing role_id'])
  const roleName = state.roleIds.get(roleId) ?? invalid()
  const role = state.roles.get(roleName) ?? invalid()
  const metadata: Record<string, string> = {}
  if (role.bindSecretId) {
    const secretId = f.str('secret_id').trim()
    if (secretId === '') throw errorResponse('missing secret_id')
    const bucket = state.secretIds.get(roleName)
    const [id, entry] = findSecretId(bucket, secretId) ?? invalid()
    if (entry.expiresAt !== 0 && host.now() > entry.expiresAt) {
      bucket?.delete(id)
      invalid()
    }
    // Security: the dev vault does not see the client address, so a CIDR-bound secret ID can
    // never be proven to be used from an allowed network; refuse rather than ignore the bound.
    if (entry.cidrList.length > 0 || (role.secretIdBoundCidrs ?? []).length > 0) {
      throw errorResponse('source address unauthorized through CIDR restrictions on the secret ID')
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
  const auth = host.issueToken({
    ...tokenRequestFor(role.token, loginDisplayName(mountPath, ''), `auth/${mount}login`, metadata),
    // The entity alias is the role ID, with the token's metadata (approle path_login.go).
    alias: { name: role.roleId, metadata },
  })
  return { kind: 'envelope', data: null, auth }
}

/**
 * Builds an AppRole auth engine (reference §5.1): roles, role IDs, secret IDs (with
 * `num_uses`, `ttl`, `metadata`) and the unauthenticated `login`, whose token comes from
 * `host.issueToken` with the role's token_* settings and `role_name` metadata.
 * Known difference: CIDR bindings cannot be checked (no client address), so logins that
 * depend on them are refused.
 */
export const createAppRoleEngine: EngineFactory = (host) => {
  const state = newAppRoleState()
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
    {
      pattern: new RegExp(`^role/${NAME}/secret-id-accessor/lookup/?$`),
      ops: write((m, r) => lookupSecretIdAccessor(state, m[1] as string, r.data)),
    },
    {
      pattern: new RegExp(`^role/${NAME}/secret-id-accessor/destroy/?$`),
      ops: {
        ...write((m, r) => destroySecretIdAccessor(state, m[1] as string, r.data)),
        delete: (m, r) => destroySecretIdAccessor(state, m[1] as string, r.data),
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
    handle: (req) => dispatch(routes, req),
  }
  return engine
}
