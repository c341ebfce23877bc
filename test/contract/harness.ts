/** @module test/contract/harness: the Vault every contract test talks to (real or dev vault). */
import { randomBytes } from 'node:crypto'
import nodeVault from 'node-vault'
import { startDevVault } from '../../src/dev-vault/index.js'

/** A Vault reachable over HTTP, with a root token (policy `root`; `vault server -dev` prints one). */
export interface TestVault {
  /** Base address without `/v1`, e.g. `http://127.0.0.1:41234`. */
  url: string
  rootToken: string
  /** True when the tests run against a real Vault (VAULT_ADDR and VAULT_TOKEN set). */
  real: boolean
  close(): Promise<void>
}

/**
 * A real Vault when `VAULT_ADDR` and `VAULT_TOKEN` are set, otherwise a dev vault started in
 * this process on 127.0.0.1, port 0. `close()` stops only what this call started.
 */
export async function vaultForTests(): Promise<TestVault> {
  const addr = process.env.VAULT_ADDR
  const token = process.env.VAULT_TOKEN
  if (addr && token) {
    const vault: TestVault = {
      url: addr.replace(/\/+$/, ''),
      rootToken: token,
      real: true,
      // A shared Vault keeps what tests leave behind: remove the policies they wrote.
      close: async () => {
        const root = clientFor(vault)
        const names = createdPolicies.get(vault) ?? []
        await Promise.all(names.map((n) => root.delete(`sys/policies/acl/${n}`).catch(() => {})))
      },
    }
    return vault
  }
  const dev = await startDevVault({ port: 0 })
  return { url: dev.url, rootToken: dev.rootToken, real: false, close: () => dev.close() }
}

/** Policies `tokenWithPolicy` wrote, per Vault, deleted by `close()` on a real Vault. */
const createdPolicies = new WeakMap<TestVault, string[]>()

const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`
let counter = 0

/** A lower-case name unique to this run and call: `<prefix>-<run id>-<n>` (safe on a shared Vault). */
export function uniqueName(prefix: string): string {
  counter += 1
  return `${prefix}-${runId}-${counter}`
}

/** A node-vault client for `vault` with `token` (root by default). */
export function clientFor(vault: TestVault, token: string = vault.rootToken): nodeVault.client {
  const client = nodeVault({ endpoint: vault.url, token })
  // node-vault falls back to process.env.VAULT_TOKEN for an empty token; '' must mean "none".
  client.token = token
  return client
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

/** Enables a secrets engine (root token) at a path unique to the run; returns the path. */
export async function mountEngine(
  vault: TestVault,
  prefix: string,
  engine: { type: string; options?: Record<string, unknown> },
): Promise<string> {
  const mount = uniqueName(prefix)
  await clientFor(vault).mount({ mount_point: mount, ...engine })
  return mount
}

/** Disables the engine at `mount` (root token; a failure is ignored), then closes `vault`. */
export async function unmountAndClose(vault: TestVault, mount: string): Promise<void> {
  await clientFor(vault)
    .unmount({ mount_point: mount })
    .catch(() => undefined)
  await vault.close()
}

/** A one-line policy rule, `path "<path>" { capabilities = [...] }`, and a newline. */
export const hcl = (path: string, caps: string[]): string =>
  `path "${path}" { capabilities = [${caps.map((c) => `"${c}"`).join(', ')}] }\n`

/** Writes a policy with a unique name (root token); a real Vault's `close()` deletes it. */
export async function writePolicy(vault: TestVault, prefix: string, hcl: string): Promise<string> {
  const policy = uniqueName(prefix)
  await clientFor(vault).write(`sys/policies/acl/${policy}`, { policy: hcl })
  createdPolicies.set(vault, [...(createdPolicies.get(vault) ?? []), policy])
  return policy
}

/** Writes a policy (root token) and returns a new token holding only it (plus `default`). */
export async function tokenWithPolicy(
  vault: TestVault,
  hcl: string,
  extra: Record<string, unknown> = {},
): Promise<{ token: string; policy: string }> {
  const policy = await writePolicy(vault, 'pol', hcl)
  const res = await clientFor(vault).write('auth/token/create', {
    policies: [policy],
    ttl: '1h',
    ...extra,
  })
  return { token: res.auth.client_token as string, policy }
}

/** The envelope's fields in Vault's order (reference §1.4). */
export const ENVELOPE_KEYS = [
  'request_id',
  'lease_id',
  'renewable',
  'lease_duration',
  'data',
  'wrap_info',
  'warnings',
  'auth',
  'mount_type',
]

/** Vault's 403 bodies (reference §1.7). */
export const DENIED = {
  acl: '1 error occurred:\n\t* permission denied\n\n',
  invalidToken: '2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n',
}
