/** @module dev-vault/engines/jwt/jwt-auth-engine: the JWT auth method of the dev vault (config, roles, login). */
import { VaultHttpError, type Engine, type EngineFactory } from '../../routing/backend.js'
import {
  configBody,
  keySourceFor,
  writeConfig,
  type JwtConfig,
  type KeySource,
} from './jwt-auth-config.js'
import { login } from './jwt-auth-login.js'
import { listRoles, readRole, writeRole, type JwtRole } from './jwt-auth-roles.js'
import { dispatch, GENERIC_NAME as NAME, writeOps as write, type Route } from '../engine-routes.js'

/**
 * Builds a JWT auth engine (reference §5.2): `config` with exactly one of
 * `jwt_validation_pubkeys`, `jwks_url` or `oidc_discovery_url` (URLs are fetched and checked
 * when written), `jwt` roles with bound audiences/subject/claims and claim mappings, and the
 * unauthenticated `login`, verified with jose and answered with a token from
 * `host.issueToken`. The OIDC browser flow (`oidc/*`) and `jwks_pairs` are not implemented.
 */
export const createJwtAuthEngine: EngineFactory = (host) => {
  let config: JwtConfig | null = null
  let source: KeySource | null = null
  const roles = new Map<string, JwtRole>()
  const routes: Route[] = [
    {
      pattern: /^config$/,
      ops: {
        read: () => {
          if (!config) throw new VaultHttpError(404, [])
          return configBody(config)
        },
        ...write(async (_m, r) => {
          const next = await writeConfig(r.data)
          config = next
          source = keySourceFor(next)
          return { kind: 'envelope' }
        }),
      },
    },
    { pattern: /^role\/?$/, ops: { list: () => listRoles(roles) } },
    {
      pattern: new RegExp(`^role/${NAME}$`),
      ops: {
        read: (m) => readRole(roles, m[1] as string),
        create: (m, r) => writeRole(roles, m[1] as string, r.data, true),
        update: (m, r) => writeRole(roles, m[1] as string, r.data, false),
        delete: (m) => {
          roles.delete((m[1] as string).toLowerCase())
          return { kind: 'envelope' }
        },
      },
    },
    {
      pattern: /^login$/,
      ops: write((_m, r) => login(host, r.mountPath, config, source, roles, r.data)),
    },
  ]
  const engine: Engine = {
    type: 'jwt',
    exists(path) {
      const m = new RegExp(`^role/${NAME}$`).exec(path)
      return m ? roles.has((m[1] as string).toLowerCase()) : undefined
    },
    isUnauthenticated: (path) => path === 'login' || path.startsWith('oidc/'),
    handle: (req) => dispatch(routes, req),
  }
  return engine
}
