/** @module dev-vault/engines/token/token-issuer: the tokens logins get (`LoginCreateToken`), with their entity. */
import type { EngineHost, TokenIssueRequest } from '../../routing/backend.js'
import type { IdentityStore } from '../identity/identity-store.js'
import { authBlockOf } from './token-create.js'
import { sanitizePolicies } from './token-policies.js'
import { DEFAULT_TOKEN_TTL, type TokenStore } from './token-store.js'

/** The auth mount a login path belongs to, as the mount table knows it. */
export type AuthMountOf = (
  loginPath: string,
) => { accessor: string; type: string; path: string } | undefined

export interface TokenIssuerDeps {
  tokens: TokenStore
  identity: IdentityStore
  mountOf: AuthMountOf
}

/**
 * `EngineHost.issueToken`: an orphan service token for a login (AppRole, JWT). A login that
 * names an alias gets the entity of that alias on its mount (`CreateOrFetchEntity`), created
 * on its first login, so the token's `entity_id` is the same for every login of that identity.
 */
export function createTokenIssuer(deps: TokenIssuerDeps): EngineHost['issueToken'] {
  const { tokens, identity, mountOf } = deps
  return (req: TokenIssueRequest) => {
    let ttl = req.ttl && req.ttl > 0 ? req.ttl : DEFAULT_TOKEN_TTL
    const max =
      req.explicitMaxTtl && req.explicitMaxTtl > 0 ? req.explicitMaxTtl : DEFAULT_TOKEN_TTL
    ttl = Math.min(ttl, max, DEFAULT_TOKEN_TTL)
    const mount = req.alias ? mountOf(req.path) : undefined
    const entityId =
      req.alias && mount
        ? identity.createOrFetchEntity({
            ...req.alias,
            mountAccessor: mount.accessor,
            mountType: mount.type,
            mountPath: mount.path,
          }).id
        : ''
    const t = tokens.create({
      policies: sanitizePolicies(req.policies, !req.noDefaultPolicy),
      parent: null,
      path: req.path,
      meta: req.meta ?? null,
      displayName: req.displayName,
      numUses: req.numUses ?? 0,
      creationTtl: ttl,
      explicitMaxTtl: req.explicitMaxTtl ?? 0,
      renewable: req.renewable ?? true,
      entityId,
      hasLease: true,
    })
    return authBlockOf(t, ttl)
  }
}
