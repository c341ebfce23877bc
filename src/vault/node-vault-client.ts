/** @module vault/node-vault-client: node-vault clients built from `Config['vault']` only. */
import nodeVault from 'node-vault'
import type { Config } from '../config/schema.js'
import { readCertificates, readKeyPair } from '../config/tls-files.js'
import type { Logger } from '../observability/logger.js'
import type { Metrics } from '../observability/metrics.js'
import { createVaultTransport, requestOptionsCheck } from './vault-transport.js'
import { VaultStartupError } from './vault-startup-error.js'

/**
 * A node-vault client bound to one token: node-vault's request helpers, all going through one
 * shared node-vault client.
 */
export type NodeVaultClient = Pick<
  nodeVault.client,
  'request' | 'read' | 'write' | 'update' | 'delete'
>

/** Makes clients that share one node-vault client and one set of keep-alive connections. */
export interface NodeVaultClientFactory {
  /** A client that sends `token` (none: unauthenticated calls such as AppRole login). */
  client(token?: string): NodeVaultClient
  /** Closes the pooled connections. Clients made before stay usable: a later call opens a new pool. */
  close(): void
}

/** How many connections to Vault one bridge keeps at most. */
const MAX_SOCKETS = 64

/**
 * Builds the factory: endpoint, `X-Vault-Namespace` on every call, TLS from `VAULT_CACERT`,
 * `VAULT_CLIENT_CERT`/`VAULT_CLIENT_KEY` and `VAULT_SKIP_VERIFY`, one keep-alive pool, and the
 * `VAULT_TIMEOUT` bound on every call. Files are read once, here.
 *
 * One node-vault client serves every token (the token travels as a per-call header), so a
 * per-request child token costs a small object, not a client with its ~100 generated commands.
 * node-vault sends through {@link createVaultTransport} (its `request-promise` option) on the
 * pool made here, for every call alike, and checks request options with
 * {@link requestOptionsCheck} (its `tv4` option) instead of a JSON-schema engine per call.
 *
 * Security: the address, namespace and TLS settings come from `vault` (configuration) alone.
 * node-vault would otherwise fall back to `process.env` (VAULT_ADDR, VAULT_TOKEN,
 * VAULT_NAMESPACE, VAULT_SKIP_VERIFY), so every one of those is set explicitly, and its
 * `debug` output, which would print request bodies (secret values), is switched off. Redirects
 * are not followed (they would carry the token along).
 * @throws VaultStartupError `tls_files` when a configured PEM file cannot be read or is not PEM.
 */
export function createNodeVaultClientFactory(
  vault: Config['vault'],
  deps: {
    logger: Logger
    metrics?: Pick<Metrics, 'vaultCall'>
    /** The TLS material, when the caller has read it already ({@link readVaultTls}). */
    tls?: VaultTls
  },
): NodeVaultClientFactory {
  const timeout = Math.max(1, Math.round(vault.timeoutSeconds * 1000))
  // Idle pooled sockets close on our side after this, well before Vault's own idle timeout
  // (5 min), so a request rarely lands on a connection Vault is closing at that moment.
  const idle = { connections: MAX_SOCKETS, idleMs: Math.max(30_000, timeout + 1000) }
  const transport = createVaultTransport({
    address: vault.address,
    tls: deps.tls ?? readVaultTls(vault),
    timeoutMs: timeout,
    ...idle,
  })
  const shared = nodeVault({
    endpoint: vault.address,
    apiVersion: 'v1',
    'request-promise': transport,
    tv4: requestOptionsCheck,
    debug: () => {},
    // node-vault's typings call `tv4` a function; its code uses an object with validate/error.
  } as unknown as nodeVault.VaultOptions)
  const open = shared as nodeVault.client & { namespace?: string; pathPrefix: string }
  // No token of its own: each bound client sends its own header.
  open.token = ''
  open.namespace = vault.namespace ?? ''
  open.pathPrefix = ''
  if (deps.metrics) observeCalls(open, deps.metrics, vault)

  return {
    client(token) {
      const auth = token ? { 'X-Vault-Token': token } : undefined
      const withToken = <T extends object>(o: T): T =>
        auth ? { ...o, headers: { ...(o as { headers?: object }).headers, ...auth } } : o
      return {
        request: (o) => shared.request(withToken(o)),
        read: (path, o) => shared.read(path, withToken(o ?? {})),
        write: (path, data, o) => shared.write(path, data, withToken(o ?? {})),
        delete: (path, o) => shared.delete(path, withToken(o ?? {})),
        // node-vault's own `update` replaces the headers (and with them the token).
        update: (path, data) =>
          shared.request(
            withToken({
              path: `/${path}`,
              method: 'PATCH',
              json: data,
              headers: { 'Content-Type': 'application/merge-patch+json' },
            }),
          ),
      }
    },
    close() {
      transport.close()
    },
  }
}

/**
 * One client with its own connection pool, for one-shot tools (`provision`).
 * @throws VaultStartupError `tls_files` when a configured PEM file cannot be read.
 */
export function createNodeVaultClient(
  vault: Config['vault'],
  options: { token?: string; logger: Logger },
): NodeVaultClient & { close(): void } {
  const factory = createNodeVaultClientFactory(vault, { logger: options.logger })
  return Object.assign(factory.client(options.token), { close: () => factory.close() })
}

/** The TLS options of every connection to Vault, from VAULT_CACERT and friends. */
export interface VaultTls {
  rejectUnauthorized: boolean
  ca?: Buffer
  cert?: Buffer
  key?: Buffer
}

/**
 * Reads and checks the PEM files of TLS to Vault (VAULT_CACERT: certificates; VAULT_CLIENT_CERT
 * and VAULT_CLIENT_KEY: a certificate and its key).
 * @throws VaultStartupError `tls_files` naming the variable whose file is missing or not PEM.
 */
export function readVaultTls(vault: Pick<Config['vault'], 'tls'>): VaultTls {
  const { tls } = vault
  const fail = (message: string, cause?: unknown) =>
    new VaultStartupError('tls_files', message, cause === undefined ? undefined : { cause })
  const pair =
    tls.clientCertFile && tls.clientKeyFile
      ? readKeyPair(
          { cert: 'VAULT_CLIENT_CERT', key: 'VAULT_CLIENT_KEY' },
          { cert: tls.clientCertFile, key: tls.clientKeyFile },
          fail,
        )
      : {}
  return {
    rejectUnauthorized: !tls.skipVerify,
    ...(tls.caCertFile ? { ca: readCertificates('VAULT_CACERT', tls.caCertFile, fail) } : {}),
    ...pair,
  }
}

/** The warning VAULT_SKIP_VERIFY deserves, once per start (undefined when it is off). */
export function skipVerifyWarning(vault: Pick<Config['vault'], 'tls'>): string | undefined {
  return vault.tls.skipVerify
    ? 'VAULT_SKIP_VERIFY is set: the TLS certificate of Vault is NOT verified, so anyone on the ' +
        'network path can impersonate Vault and read every secret and token. Never use this in ' +
        'production; set VAULT_CACERT instead.'
    : undefined
}

/** Every node-vault call goes through `client.request`: time it and count it by outcome. */
function observeCalls(
  client: nodeVault.client,
  metrics: Pick<Metrics, 'vaultCall'>,
  vault: Pick<Config['vault'], 'kvMount' | 'transitMount'>,
): void {
  const request = client.request.bind(client)
  client.request = async (options) => {
    const started = performance.now()
    const op = vaultCallLabel(String(options?.path ?? ''), vault)
    const seconds = () => (performance.now() - started) / 1000
    try {
      const result = await request(options)
      metrics.vaultCall(op, 200, seconds())
      return result
    } catch (err) {
      const status = (err as { response?: { statusCode?: unknown } } | null)?.response?.statusCode
      metrics.vaultCall(op, typeof status === 'number' ? status : 'network', seconds())
      throw err
    }
  }
}

/**
 * A low-cardinality label for a Vault path: the engine and its endpoint, never the secret path,
 * agent or key name (`kv/data`, `transit/encrypt`, `auth/token/create`, `sys/health`).
 */
export function vaultCallLabel(
  path: string,
  vault: Pick<Config['vault'], 'kvMount' | 'transitMount'>,
): string {
  const clean = path.replace(/^\/+/, '').split('?')[0] ?? ''
  const inMount = (mount: string) =>
    clean.startsWith(`${mount}/`) ? clean.slice(mount.length + 1).split('/')[0] : undefined
  const kv = inMount(vault.kvMount)
  if (kv !== undefined) return `kv/${kv}`
  const transit = inMount(vault.transitMount)
  if (transit !== undefined) return `transit/${transit}`
  const parts = clean.split('/')
  if (parts[0] === 'auth' && parts[1] === 'token') return `auth/token/${parts[2] ?? ''}`
  if (parts[0] === 'auth') return `auth/${parts.at(-1) === 'login' ? 'login' : 'other'}`
  if (parts[0] === 'sys') return `sys/${parts[1] ?? ''}`
  return 'other'
}
