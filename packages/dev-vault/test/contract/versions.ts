/**
 * @module dev-vault/test/contract/versions: where Vault's API changed between releases, and the
 * gates that let the contract suite run unchanged on any Vault from 1.8 on. A test that needs a
 * newer Vault calls `requires(ctx, gate)` and is skipped on an older one with the gate's reason
 * (shown by `--reporter=verbose`); an assertion that does either asserts the old behaviour where
 * it is known (`has(gate)`) or is skipped with a note on the test (`assertSince`).
 */
import type { TestContext } from 'vitest'

/** One change of Vault's API: the first release with it, what changed, and where that is shown. */
export interface Gate {
  since: string
  what: string
  source: string
}

/** The oldest Vault the suite supports. */
export const OLDEST_SUPPORTED = '1.8'

/** Every version difference the suite gates, oldest first (the package README lists them). */
export const GATES = {
  kvPatch: {
    since: '1.9',
    what: 'KV v2 `PATCH data/:path`, the `patch` capability and the HTTP PATCH verb (before: 405)',
    source: 'CHANGELOG 1.9.0 "KV patch" (GH-12687)',
  },
  kvCustomMetadata: {
    since: '1.9',
    what: 'KV v2 `custom_metadata` in metadata and data responses',
    source: 'CHANGELOG 1.9.0 "KV Custom Metadata" (GH-12907)',
  },
  tokenRolePolicyGlobs: {
    since: '1.9',
    what:
      'token roles take `allowed_policies_glob` and `disallowed_policies_glob`, and a role read ' +
      'shows them and `token_no_default_policy`',
    source: 'CHANGELOG 1.9.0 (GH-7277, GH-12565)',
  },
  kvMetadataPatch: {
    since: '1.10',
    what: 'KV v2 `PATCH metadata/:path`',
    source: 'CHANGELOG 1.10.0 (GH-13215)',
  },
  sysMountRead: {
    since: '1.10',
    what: '`GET sys/mounts/:path` reads one mount',
    source: 'CHANGELOG 1.10.0 (GH-12792)',
  },
  hvsTokens: {
    since: '1.10',
    what: 'service tokens start with `hvs.` (before: `s.`)',
    source: 'CHANGELOG 1.10.0 "Server Side Consistent Tokens" (GH-14109)',
  },
  authNumUses: {
    since: '1.10',
    what: '`num_uses` in the `auth` block of logins and token creation',
    source: 'hashicorp/vault PR #12791 (merged 2022-01-26, no changelog entry)',
  },
  authMfaRequirement: {
    since: '1.10',
    what: '`mfa_requirement` in the `auth` block',
    source: 'CHANGELOG 1.10.0 "Login MFA" (GH-14025)',
  },
  noTokenForbidden: {
    since: '1.10',
    what: 'no token is 403 `permission denied` (before: 400 `missing client token`)',
    source: 'CHANGELOG 1.10.0 (GH-13162); before: GH-8457 in vault/request_handling.go',
  },
  transitBatchErrors: {
    since: '1.10',
    what:
      'a failed Transit batch item makes a raw 400 that keeps `batch_results`, and a failed ' +
      'AEAD open is a 400 (before: 200 with per-item errors, and a 500)',
    source: 'CHANGELOG 1.10.0 (GH-13111)',
  },
  policyNameWarning: {
    since: '1.10.1',
    what: 'an upper-case policy name is lower-cased with a warning (200; before: 204)',
    source: 'CHANGELOG 1.10.1 (GH-14670)',
  },
  jwtRoleNoContent: {
    since: '1.11',
    what: 'JWT role writes without warnings answer 204 (before: 200)',
    source: 'vault-plugin-auth-jwt #202 (v0.13.0, in Vault 1.11 by GH-15593)',
  },
  secretIdParams: {
    since: '1.12',
    what: 'per-request `ttl` and `num_uses` of an AppRole secret ID, and its `secret_id_num_uses`',
    source: 'CHANGELOG 1.12.0 (GH-14474)',
  },
  wrappingTokenChecks: {
    since: '1.13',
    what:
      '`sys/wrapping/{lookup,rewrap,unwrap}` without a token, or with an empty or non-string ' +
      '`token`, answer 403 `error validating wrapping token: …` (before: 500)',
    source: 'CHANGELOG 1.13.0 (GH-18859)',
  },
  transitReference: {
    since: '1.13',
    what: 'Transit batch items echo their `reference`',
    source: 'CHANGELOG 1.13.0 (GH-18243)',
  },
  transitKeyResponses: {
    since: '1.14',
    what: 'Transit key create, rotate and config answer 200 with the key (before: 204)',
    source: 'CHANGELOG 1.14.0 (GH-20652)',
  },
  mountType: {
    since: '1.16',
    what: '`mount_type` in every response envelope',
    source: 'CHANGELOG 1.16.0 (GH-23047)',
  },
  jwtAliasRoleMetadata: {
    since: '1.16',
    what: 'the entity alias of a JWT login carries the role name in its metadata',
    source: 'vault-plugin-auth-jwt v0.18.0 CHANGELOG (#160), bundled from Vault 1.16',
  },
  approleInvalidCredentials: {
    since: '1.16',
    what: 'AppRole login says `invalid role or secret ID` (before: `invalid role ID`, `invalid secret id`)',
    source: 'CHANGELOG 1.16.0 (GH-23786)',
  },
  invalidTokenErrors: {
    since: '1.17',
    what: 'an unknown token is refused with two errors, `permission denied` and `invalid token`',
    source: 'CHANGELOG 1.17.0 (GH-25953)',
  },
  jwtSingleAudience: {
    since: '1.17',
    what: 'JWT login refuses a single-string `aud` when the role binds no audience',
    source: 'CHANGELOG 1.17.0 JWT plugin v0.20.3 (HCSEC-2024-11, vault-plugin-auth-jwt #295)',
  },
} as const satisfies Record<string, Gate>

/** `[major, minor, patch]` of `1.17.0+devvault`, `1.8.12`, `v1.13.0-rc1`, `1.10`. */
export function parseVersion(text: string): [number, number, number] {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$/.exec(text.trim())
  if (!m) throw new Error(`not a Vault version: ${JSON.stringify(text)}`)
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)]
}

/** True when `actual` is `wanted` or later (pre-release and build suffixes are ignored). */
export function versionAtLeast(actual: string, wanted: string): boolean {
  const a = parseVersion(actual)
  const w = parseVersion(wanted)
  for (let i = 0; i < 3; i++) {
    if (a[i] !== w[i]) return (a[i] as number) > (w[i] as number)
  }
  return true
}

let server: string | undefined

/** Records the version of the Vault under test (the harness does, once per test file). */
export function setServerVersion(version: string): void {
  parseVersion(version)
  server = version
}

const serverVersion = (): string => {
  if (server === undefined) throw new Error('no Vault version yet: call contractVault() first')
  return server
}

/** True when the Vault under test has the gate's change. */
export function has(gate: Gate): boolean {
  return versionAtLeast(serverVersion(), gate.since)
}

const why = (gate: Gate) =>
  `needs Vault ${gate.since}+ (${gate.what}; ${gate.source}); this server is ${serverVersion()}`

/**
 * Skips the running test when the Vault under test lacks `gate`, visibly: the skip note names
 * the version needed, the change, its source and the server's version.
 */
export function requires(ctx: TestContext, gate: Gate): void {
  if (!has(gate)) ctx.skip(why(gate))
}

/**
 * Runs `assertions` when the Vault under test has `gate`; on an older one, whose behaviour the
 * suite does not know, it notes on the test that they were skipped and why.
 */
export async function assertSince(
  ctx: TestContext,
  gate: Gate,
  assertions: () => Promise<void> | void,
): Promise<void> {
  if (has(gate)) await assertions()
  else await ctx.annotate(`assertions skipped: ${why(gate)}`)
}
