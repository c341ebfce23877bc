/** @module dev-vault/policy/policy-store: named ACL policies, with Vault's built-in `default` and `root`. */
import { createAcl, type Acl } from './acl.js'
import { parsePolicy, type Policy } from './policy-document.js'

/** Vault CE's `default` policy text (reference §6.5), in Vault's order. */
export const DEFAULT_POLICY = `
# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# Allow tokens to renew themselves
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# Allow tokens to revoke themselves
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own capabilities on a path
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own entity by id or name
path "identity/entity/id/{{identity.entity.id}}" {
  capabilities = ["read"]
}
path "identity/entity/name/{{identity.entity.name}}" {
  capabilities = ["read"]
}


# Allow a token to look up its resultant ACL from all policies. This is useful
# for UIs. It is an internal path because the format may change at any time
# based on how the internal ACL features and capabilities change.
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Allow a token to renew a lease via lease_id in the request body; old path for
# old clients, new path for newer
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}

# Allow looking up lease properties. This requires knowing the lease ID ahead
# of time and does not divulge any sensitive information.
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Allow a token to manage its own cubbyhole
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Allow a token to wrap arbitrary values in a response-wrapping token
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}

# Allow a token to look up the creation time and TTL of a given
# response-wrapping token
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}

# Allow a token to unwrap a response-wrapping token. This is a convenience to
# avoid client token swapping since this is also part of the response wrapping
# policy.
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# Allow general purpose tools
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}

# Allow checking the status of a Control Group request if the user has the
# accessor
path "sys/control-group/request" {
    capabilities = ["update"]
}

# Allow a token to make requests to the Authorization Endpoint for OIDC providers.
path "identity/oidc/provider/+/authorize" {
    capabilities = ["read", "update"]
}
`.trimStart()

/** The internal policy of response-wrapping tokens (reference §6.5): hidden, immutable, not assignable. */
export const RESPONSE_WRAPPING_POLICY = 'response-wrapping'

/** Vault's `responseWrappingPolicy` text. */
const RESPONSE_WRAPPING_POLICY_TEXT = `
path "cubbyhole/response" {
    capabilities = ["create", "read"]
}

path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}
`.trimStart()

/** Policies no write or delete may change (`immutablePolicies`). */
export const IMMUTABLE_POLICIES: readonly string[] = ['root', RESPONSE_WRAPPING_POLICY]

export interface PolicyStore {
  /** The stored policy, or undefined (`root` reads as an empty document). */
  get(name: string): Policy | undefined
  /** Stores a parsed policy under its (already lower-cased) name. */
  put(policy: Policy): void
  /** Removes a policy; returns false when it did not exist. */
  remove(name: string): boolean
  /** Stored names sorted, then `root` last; `response-wrapping` is hidden (reference §6.1). */
  list(): string[]
  /** The ACL of a token holding these policies (unknown names are ignored, as in Vault). */
  aclFor(names: string[]): Acl
}

/** A policy store holding `default` (editable), `response-wrapping` and the implicit `root`. */
export function createPolicyStore(): PolicyStore {
  const policies = new Map<string, Policy>([
    ['default', parsePolicy('default', DEFAULT_POLICY)],
    [
      RESPONSE_WRAPPING_POLICY,
      parsePolicy(RESPONSE_WRAPPING_POLICY, RESPONSE_WRAPPING_POLICY_TEXT),
    ],
  ])
  const root: Policy = { name: 'root', raw: '', rules: [] }
  const cache = new Map<string, Acl>()
  return {
    get: (name) => (name === 'root' ? root : policies.get(name)),
    put(policy) {
      policies.set(policy.name, policy)
      cache.clear()
    },
    remove(name) {
      cache.clear()
      return policies.delete(name)
    },
    list: () => [
      ...[...policies.keys()].filter((n) => n !== RESPONSE_WRAPPING_POLICY).sort(),
      'root',
    ],
    aclFor(names) {
      const key = [...names].sort().join(',')
      let acl = cache.get(key)
      if (!acl) {
        const found = names.flatMap((n) => {
          const p = n === 'root' ? root : policies.get(n)
          return p ? [p] : []
        })
        acl = createAcl(found)
        cache.set(key, acl)
      }
      return acl
    },
  }
}
