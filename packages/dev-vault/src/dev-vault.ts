/** @module dev-vault/dev-vault: start the in-memory, Vault-API-compatible dev server. */
import { createServer } from 'node:http'
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net'
import type { EngineHost } from './routing/backend.js'
import type { CoreEngine } from './routing/core-engine.js'
import { createKvEngine } from './engines/kv/kv-engine.js'
import { createHttpHandler } from './http/http-handler.js'
import { rewriteMethods } from './http/method-rewrite.js'
import { createMountTable } from './routing/mount-table.js'
import { createPolicyStore } from './policy/policy-store.js'
import { createHealthRoute } from './engines/sys/sys-health.js'
import { createSysEngine } from './engines/sys/sys-engine.js'
import { createTokenEngine } from './engines/token/token-engine.js'
import { createTokenIssuer } from './engines/token/token-issuer.js'
import { createIdentityStore } from './engines/identity/identity-store.js'
import { createIdentityEngine } from './engines/identity/identity-engine.js'
import { createTokenStore, type TokenEntry, type TokenStore } from './engines/token/token-store.js'
import { createVaultCore } from './routing/vault-core.js'
import { createResponseWrapping } from './routing/response-wrapping.js'
import { createCubbyholeStore } from './engines/cubbyhole/cubbyhole-store.js'
import { createCubbyholeEngine } from './engines/cubbyhole/cubbyhole-engine.js'

export interface DevVaultOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number
  /** Listen address; default 127.0.0.1. */
  host?: string
  /**
   * The root token's id. It is made as `vault server -dev -dev-root-token-id` makes it, through
   * `auth/token/create`, so it has a lease entry and follows Vault's rules for chosen ids (no
   * `hvs.` or `s.` prefix, no '.'). Default: a random `hvs.` token generated like `vault operator
   * init`'s, without one.
   */
  rootToken?: string
  /** Current time in ms; default `Date.now` (token TTLs and KV timestamps use it). */
  clock?: () => number
}

export interface DevVault {
  /** Base address without `/v1`, e.g. `http://127.0.0.1:41234`. */
  url: string
  rootToken: string
  /** Stops the server; all data is lost. */
  close(): Promise<void>
}

/**
 * Starts a dev vault like `vault server -dev`: KV v2 at `secret/`, the cubbyhole at
 * `cubbyhole/`, the identity store at `identity/`, token auth at `auth/token/`, a root token,
 * everything in memory.
 * @throws Error when the port cannot be bound.
 */
export async function startDevVault(options: DevVaultOptions = {}): Promise<DevVault> {
  const now = options.clock ?? Date.now
  const host = options.host ?? '127.0.0.1'
  const mounts = createMountTable()
  const tokens = createTokenStore(now)
  const cubbyholes = createCubbyholeStore()
  tokens.onRevoke((id) => cubbyholes.clear(id))
  const policies = createPolicyStore()
  const identity = createIdentityStore(now)
  const authMountOf = (loginPath: string) => {
    const m = mounts.match(loginPath)
    return m && m.table === 'auth'
      ? { accessor: m.accessor, type: m.type, path: m.path }
      : undefined
  }
  const engineHost: EngineHost = {
    issueToken: createTokenIssuer({ tokens, identity, mountOf: authMountOf }),
    now,
  }
  // `vault operator init` makes the first root token directly in the token store: no lease.
  const generated = tokens.create({
    policies: ['root'],
    parent: null,
    path: 'auth/token/root',
    meta: null,
    displayName: 'root',
    numUses: 0,
    creationTtl: 0,
    explicitMaxTtl: 0,
    renewable: false,
    hasLease: false,
  })
  const tokenEngine = createTokenEngine({ tokens, policies, now })
  const rootToken = options.rootToken
    ? await rootTokenWithId(tokens, tokenEngine, generated, options.rootToken)
    : generated.id

  const common = { description: '', local: false, sealWrap: false, options: null }
  const noTtl = { default_lease_ttl: 0, max_lease_ttl: 0 }
  mounts.add({
    ...common,
    path: 'sys/',
    table: 'system',
    type: 'system',
    description: 'system endpoints used for control, policy and debugging',
    config: noTtl,
    engine: createSysEngine({ mounts, tokens, policies, cubbyholes, host: engineHost }),
  })
  mounts.add({
    ...common,
    path: 'cubbyhole/',
    table: 'secret',
    type: 'cubbyhole',
    description: 'per-token private secret storage',
    local: true,
    config: noTtl,
    engine: createCubbyholeEngine(cubbyholes),
  })
  mounts.add({
    ...common,
    path: 'identity/',
    table: 'secret',
    type: 'identity',
    description: 'identity store',
    config: noTtl,
    engine: createIdentityEngine(identity, (accessor) => {
      const m = mounts.list('auth').find((a) => a.accessor === accessor)
      return m ? { type: m.type, path: m.path } : undefined
    }),
  })
  mounts.add({
    ...common,
    path: 'auth/token/',
    table: 'auth',
    type: 'token',
    description: 'token based credentials',
    config: noTtl,
    engine: tokenEngine,
  })
  mounts.add({
    ...common,
    path: 'secret/',
    table: 'secret',
    type: 'kv',
    description: 'key/value secret storage',
    options: { version: '2' },
    config: noTtl,
    engine: createKvEngine(engineHost, { version: '2' }),
  })

  const wrapping = createResponseWrapping({ tokens, cubbyholes, now })
  const core = createVaultCore({ mounts, tokens, policies, wrapping })
  const health = createHealthRoute(now)
  const http = createServer(createHttpHandler(core, { health: (_m, q) => health(q) }))
  // node:http rejects Vault's LIST verb, so connections go through a request-line rewriter.
  const sockets = new Set<Socket>()
  const server = createTcpServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    http.emit('connection', rewriteMethods(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const addr = server.address() as AddressInfo
  const urlHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${urlHost}:${addr.port}`,
    rootToken,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()))
        for (const s of sockets) s.destroy()
      }),
  }
}

/**
 * A root token with the given id, made as `vault server -dev -dev-root-token-id` makes it: the
 * generated root token calls `auth/token/create` (custom id, root policy, no parent, no default
 * policy) and is then revoked. So it has a lease entry, like any token made there: lookups show
 * `path: auth/token/create`, `display_name: token`, `issue_time` and `renewable: false`.
 * @throws VaultHttpError when the token store refuses the id.
 */
async function rootTokenWithId(
  tokens: TokenStore,
  tokenEngine: CoreEngine,
  generated: TokenEntry,
  id: string,
): Promise<string> {
  await tokenEngine.handle({
    operation: 'update',
    path: 'create',
    data: { id, policies: ['root'], no_parent: true, no_default_policy: true },
    query: new URLSearchParams(),
    mountPath: 'auth/token/',
    tokenDisplayName: generated.displayName,
    caller: generated,
    fullPath: 'auth/token/create',
    clientToken: generated.id,
    wrapTtl: undefined,
  })
  tokens.revoke(generated.id)
  return id
}
