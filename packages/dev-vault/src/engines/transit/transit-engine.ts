/** @module dev-vault/engines/transit/transit-engine: the Transit secrets engine (symmetric AEAD keys) of the dev vault. */
import { VaultHttpError, type Engine, type EngineHost } from '../../routing/backend.js'
import { dispatch, GENERIC_NAME as NAME, writeOps, type Route } from '../engine-routes.js'
import {
  configureKey,
  deleteKey,
  keyBody,
  listKeys,
  rotateKey,
  writeKey,
  type KeyStore,
} from './transit-keys.js'
import { datakey, decrypt, encrypt, hmac, rewrap, sign, verify } from './transit-ops.js'

/**
 * Builds a Transit engine: keys create/read/list/config/rotate/delete, encrypt (with upsert),
 * decrypt, rewrap, datakey, hmac, sign and verify (HMACs and signatures), in Vault's wire
 * format (reference §3). Key types: aes256-gcm96 (default), aes128-gcm96, chacha20-poly1305
 * (`derived` with HKDF-SHA256 and `convergent_encryption` are honoured), ed25519 and ecdsa-p256
 * (signing; every type has an HMAC key). Other types are refused with a 400. Key material never
 * leaves it (no `export/`; reads show public keys only); `store` lets the unit tests look at it.
 */
export function createTransitEngine(
  host: EngineHost,
  _options: Record<string, unknown> = {},
  store: KeyStore = new Map(),
): Engine {
  const notFound = (): never => {
    throw new VaultHttpError(404, [])
  }
  const routes: Route[] = [
    { pattern: /^keys\/?$/, ops: { list: () => listKeys(store) } },
    {
      pattern: new RegExp(`^keys/${NAME}$`),
      ops: {
        read: (m) => {
          const k = store.get(m[1] as string)
          return k ? { kind: 'envelope', data: keyBody(k) } : notFound()
        },
        ...writeOps((m, r) => writeKey(store, m[1] as string, r.data, host.now())),
        delete: (m) => deleteKey(store, m[1] as string),
      },
    },
    {
      pattern: new RegExp(`^keys/${NAME}/config$`),
      ops: writeOps((m, r) => configureKey(store, m[1] as string, r.data)),
    },
    {
      pattern: new RegExp(`^keys/${NAME}/rotate$`),
      ops: writeOps((m) => rotateKey(store, m[1] as string, host.now())),
    },
    {
      pattern: new RegExp(`^encrypt/${NAME}$`),
      ops: {
        create: (m, r) => encrypt(store, m[1] as string, r.data, true, host.now()),
        update: (m, r) => encrypt(store, m[1] as string, r.data, false, host.now()),
      },
    },
    {
      pattern: new RegExp(`^decrypt/${NAME}$`),
      ops: writeOps((m, r) => decrypt(store, m[1] as string, r.data)),
    },
    {
      pattern: new RegExp(`^rewrap/${NAME}$`),
      ops: writeOps((m, r) => rewrap(store, m[1] as string, r.data)),
    },
    {
      pattern: new RegExp(`^datakey/${NAME}/${NAME}$`),
      ops: writeOps((m, r) => datakey(store, m[1] as string, m[2] as string, r.data)),
    },
    {
      pattern: new RegExp(`^hmac/${NAME}(?:/(.+))?$`),
      ops: writeOps((m, r) => hmac(store, m[1] as string, m[2] ?? '', r.data)),
    },
    {
      pattern: new RegExp(`^verify/${NAME}(?:/(.+))?$`),
      ops: writeOps((m, r) => verify(store, m[1] as string, m[2] ?? '', r.data)),
    },
    {
      pattern: new RegExp(`^sign/${NAME}(?:/(.+))?$`),
      ops: writeOps((m, r) => sign(store, m[1] as string, m[2] ?? '', r.data)),
    },
  ]

  const engine: Engine = {
    type: 'transit',
    exists(path) {
      const m = new RegExp(`^encrypt/${NAME}$`).exec(path)
      return m ? store.has(m[1] as string) : undefined
    },
    handle: (req) => dispatch(routes, req),
  }
  return engine
}
