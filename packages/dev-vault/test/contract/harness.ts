/**
 * @module dev-vault/test/contract/harness: the Vault every contract test talks to (a real Vault
 * when VAULT_ADDR and VAULT_TOKEN are set, else a dev vault), its version for the version gates,
 * and the cleanups that keep a shared Vault as the suite found it.
 */
import {
  clientFor,
  uniqueName,
  vaultForTests,
  type TestVault,
} from '../../src/testing/vault-for-tests.js'
import { GATES, has, setServerVersion } from './versions.js'

export { clientFor, uniqueName, type TestVault } from '../../src/testing/vault-for-tests.js'

/** The Vault under test, with its version and the cleanups `close()` runs. */
export interface ContractVault extends TestVault {
  /** The server's version from `sys/health` (`1.17.0+devvault`, `1.8.12`, ...). */
  version: string
  /**
   * Registers a cleanup (unmount, policy delete) that `close()` runs, newest first, whether the
   * tests passed or not. A failing cleanup does not stop the others.
   */
  defer(cleanup: () => Promise<unknown>): void
  /** Runs the cleanups registered so far, newest first (`close()` does too). */
  cleanup(): Promise<void>
  /** Runs the cleanups, then stops the dev vault (a real Vault is left running). */
  close(): Promise<void>
}

/**
 * Connects to the Vault under test (see `vaultForTests`) and reads its version, which the
 * version gates of `versions.ts` then use.
 */
export async function contractVault(): Promise<ContractVault> {
  const vault = await vaultForTests()
  const version = await serverVersion(vault)
  setServerVersion(version)
  const cleanups: (() => Promise<unknown>)[] = []
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) await step().catch(() => undefined)
  }
  return {
    ...vault,
    version,
    defer: (step) => void cleanups.push(step),
    cleanup,
    async close() {
      await cleanup()
      await vault.close()
    },
  }
}

/** `version` of `sys/health`, asked so that a standby or sealed node answers too. */
async function serverVersion(vault: TestVault): Promise<string> {
  const q = 'standbyok=true&perfstandbyok=true&sealedcode=200&uninitcode=200'
  const res = await fetch(`${vault.url}/v1/sys/health?${q}`)
  const body = (await res.json()) as { version?: unknown }
  if (typeof body.version !== 'string') throw new Error('sys/health did not report a version')
  return body.version
}

/**
 * Where tests run servers that Vault itself must reach (a JWKS for the JWT auth method): they
 * listen on 127.0.0.1, or, when `CONTRACT_SERVER_HOST` names this machine as a real Vault in a
 * container or on another host sees it, on all interfaces and advertised under that name.
 */
export function contractServerHost(): { listen: string; advertise: string } {
  const advertise = process.env.CONTRACT_SERVER_HOST
  return advertise
    ? { listen: '0.0.0.0', advertise }
    : { listen: '127.0.0.1', advertise: '127.0.0.1' }
}

export interface RawResponse {
  status: number
  /** The body exactly as sent. */
  text: string
  /** The parsed body, or undefined when empty / not JSON. */
  json: any // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers
}

export interface RawOptions {
  /** Token for X-Vault-Token; null = send none. Default: the root token. */
  token?: string | null
  /** JSON body (serialised) or a string sent verbatim. */
  body?: unknown
  headers?: Record<string, string>
}

/** One raw HTTP request to `/v1/<path>` with node's fetch (undici). */
export async function raw(
  vault: TestVault,
  method: string,
  path: string,
  options: RawOptions = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...options.headers }
  const token = options.token === undefined ? vault.rootToken : options.token
  if (token !== null) headers['X-Vault-Token'] = token
  let body: string | undefined
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
    headers['Content-Type'] ??=
      method === 'PATCH' ? 'application/merge-patch+json' : 'application/json'
  }
  const res = await fetch(`${vault.url}/v1/${path}`, { method, headers, body })
  const text = await res.text()
  return { status: res.status, text, json: parseJson(text), headers: res.headers }
}

/** A response body parsed as JSON; undefined when it is empty or not JSON. */
export function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text)
  } catch {
    return undefined
  }
}

/** What a node-vault call that must fail rejected with. */
export interface VaultFailure {
  status: number
  body: { errors?: string[] } & Record<string, unknown>
}

/** Awaits a node-vault call that must fail and returns its status and body. */
export async function failure(call: Promise<unknown>): Promise<VaultFailure> {
  try {
    await call
  } catch (err) {
    const response = (err as { response?: { statusCode?: number; body?: unknown } }).response
    if (response?.statusCode === undefined) throw err
    return { status: response.statusCode, body: (response.body ?? {}) as VaultFailure['body'] }
  }
  throw new Error('expected the Vault call to fail')
}

/**
 * Enables a secrets engine (root token) at a path unique to the run and returns the path;
 * `vault.close()` disables it.
 */
export async function mountEngine(
  vault: ContractVault,
  prefix: string,
  engine: { type: string; options?: Record<string, unknown> },
): Promise<string> {
  const mount = mountPath(vault, prefix)
  await clientFor(vault).mount({ mount_point: mount, ...engine })
  return mount
}

/** A one-line policy rule, `path "<path>" { capabilities = [...] }`, and a newline. */
export const hcl = (path: string, caps: string[]): string =>
  `path "${path}" { capabilities = [${caps.map((c) => `"${c}"`).join(', ')}] }\n`

/** Enables an auth method (root token) at a path unique to the run; `vault.close()` disables it. */
export async function enableAuth(
  vault: ContractVault,
  prefix: string,
  type: string,
): Promise<string> {
  const path = uniqueName(prefix)
  vault.defer(() => clientFor(vault).disableAuth({ mount_point: path }))
  await clientFor(vault).enableAuth({ mount_point: path, type })
  return path
}

/** A policy name unique to the run that `vault.close()` deletes, for tests that write it themselves. */
export function policyName(vault: ContractVault, prefix: string): string {
  const name = uniqueName(prefix)
  vault.defer(() => clientFor(vault).delete(`sys/policies/acl/${name.toLowerCase()}`))
  return name
}

/** A mount path unique to the run that `vault.close()` disables, for tests that mount it themselves. */
export function mountPath(vault: ContractVault, prefix: string): string {
  const path = uniqueName(prefix)
  vault.defer(() => clientFor(vault).unmount({ mount_point: path }))
  return path
}

/** An auth path unique to the run that `vault.close()` disables, for tests that enable it themselves. */
export function authPath(vault: ContractVault, prefix: string): string {
  const path = uniqueName(prefix)
  vault.defer(() => clientFor(vault).disableAuth({ mount_point: path }))
  return path
}

/** Writes a policy with a unique name (root token) and returns it; `vault.close()` deletes it. */
export async function writePolicy(
  vault: ContractVault,
  prefix: string,
  hcl: string,
): Promise<string> {
  const policy = policyName(vault, prefix)
  await clientFor(vault).write(`sys/policies/acl/${policy}`, { policy: hcl })
  return policy
}

/**
 * Writes a policy (root token) and returns a new token holding only it (plus `default`);
 * `close()` revokes the token, then deletes the policy.
 */
export async function tokenWithPolicy(
  vault: ContractVault,
  hcl: string,
  extra: Record<string, unknown> = {},
): Promise<{ token: string; policy: string }> {
  const policy = await writePolicy(vault, 'pol', hcl)
  const { token } = await createToken(vault, { policies: [policy], ttl: '1h', ...extra })
  return { token, policy }
}

/**
 * Revokes the token with this accessor when `vault.close()` runs (a 400 for a token already
 * gone is ignored), for tokens a test cannot revoke by id (wrapping tokens, login tokens).
 */
export function revokeLater(vault: ContractVault, accessor: string): void {
  vault.defer(() => raw(vault, 'POST', 'auth/token/revoke-accessor', { body: { accessor } }))
}

/**
 * Cleans up after a successful login: its token is revoked and its entity deleted when
 * `vault.close()` runs (a real Vault keeps entities after their auth mount is gone).
 */
export function cleanUpLogin(
  vault: ContractVault,
  auth: { accessor?: string; entity_id?: string } | null | undefined,
): void {
  if (auth?.accessor) revokeLater(vault, auth.accessor)
  const entity = auth?.entity_id
  if (entity) vault.defer(() => raw(vault, 'DELETE', `identity/entity/id/${entity}`))
}

/** Creates a token as root (`auth/token/create`) whose revocation `vault.close()` runs. */
export async function createToken(
  vault: ContractVault,
  body: Record<string, unknown>,
): Promise<{ token: string; accessor: string }> {
  const res = await clientFor(vault).write('auth/token/create', body)
  const { client_token: token, accessor } = res.auth as { client_token: string; accessor: string }
  revokeLater(vault, accessor)
  return { token, accessor }
}

/** The envelope's fields in Vault's order (reference §1.4); `mount_type` since Vault 1.16. */
export function envelopeKeys(): string[] {
  const keys = ['request_id', 'lease_id', 'renewable', 'lease_duration', 'data', 'wrap_info']
  return [...keys, 'warnings', 'auth', ...(has(GATES.mountType) ? ['mount_type'] : [])]
}

/** Vault's 403 body when a policy denies (reference §1.7), the same on every version. */
export const ACL_DENIED = '1 error occurred:\n\t* permission denied\n\n'

/** Vault's 403 `errors` for an unknown, expired or used-up token (two errors since 1.17). */
export function invalidTokenErrors(): string[] {
  return has(GATES.invalidTokenErrors)
    ? ['2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n']
    : ['permission denied']
}

/** How a service token starts: `hvs.` since Vault 1.10, `s.` before. */
export const serviceTokenPrefix = (): string => (has(GATES.hvsTokens) ? 'hvs.' : 's.')

/**
 * A token string that is no token: a plain string, never `hvs.` or `s.`, so that every Vault
 * version treats it the same (1.10+ parses `hvs.` strings as server-side consistent tokens).
 */
export const BOGUS_TOKEN = 'contract-suite-not-a-token'
