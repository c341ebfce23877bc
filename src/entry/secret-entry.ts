/**
 * @module entry/secret-entry: request_secret's one-time links. A link is a signed token
 * (HMAC, the `secret-entry-link` subkey of STATE_SIGNING_KEY) naming the agent, the path, the
 * fields, whether to create or update, and the check-and-set version its write passes to Vault;
 * it expires and carries no credential. It is used once twice over: Vault takes its write only
 * at that version (so at most once, across replicas and restarts, whatever the stores), and the
 * NonceStore (Redis with more than one replica) turns a second submission away before it reaches
 * Vault. How each request ended is kept in the EntryStore, where the agent's follow-up call
 * finds it.
 */
import type { AuthMethod } from '../core/identity.js'
import type {
  NonceStore,
  SecretEntryLinks,
  SecretEntryRequest,
  SecretEntryState,
} from '../core/ports.js'
import { AppError } from '../core/errors.js'
import {
  TokenRefusedError,
  createOneTimeTokens,
  type TokenRefusal,
} from '../signing/one-time-tokens.js'
import type { EntryStore } from './entry-store.js'

/** What a link carries besides its subject (the agent), kept short: it is in a URL. */
interface LinkPayload {
  m: AuthMethod
  p: string
  f: [name: string, description: string][]
  u: boolean
  /** The check-and-set version of the write. */
  c: number
}

/** What the page shows and the write uses: a link's request, and its id. */
export interface EntryView extends SecretEntryRequest {
  id: string
  expiresAt: number
}

/** Where the page path of a link starts. */
export const ENTRY_PATH = '/secret-entry/'

/** How long a request's record outlives its link, for the agent's follow-up call. */
export const ENTRY_RETAIN_MS = 60 * 60_000

/** Why a link cannot be used now: the page says which. */
export type LinkRefusal = 'unknown' | 'expired' | 'used' | 'unavailable'

/** Whom a refused link was issued to, when its signature was good (an expired link). */
export interface LinkIssuer {
  agent: string
  method?: AuthMethod
}

export type Opened =
  { ok: true; view: EntryView } | { ok: false; reason: LinkRefusal; issuer?: LinkIssuer }

export type Submitted =
  | { ok: true; view: EntryView; version: number }
  | {
      ok: false
      view?: EntryView
      issuer?: LinkIssuer
      reason: LinkRefusal | 'failed'
      code?: string
    }

export interface SecretEntry extends SecretEntryLinks {
  /** Disconnects the stores from Redis, if any. */
  close(): Promise<void>
  /** What a link is for, without using it; refused when unknown, expired or used. */
  open(token: string): Promise<Opened>
  /**
   * Uses the link (once, across replicas), runs `write` with its request and records how it
   * ended. `write` returns the version written and throws AppErrors; its error codes, never
   * its values, are kept.
   */
  submit(token: string, write: (view: EntryView) => Promise<number>): Promise<Submitted>
}

export interface SecretEntryOptions {
  /** The `secret-entry-link` subkey. */
  key: Buffer
  ttlMs: number
  /** The most open (pending, unexpired) requests one agent may have. */
  maxOpen: number
  nonces: NonceStore
  store: EntryStore
  /** PUBLIC_URL, or the stdio bridge's own page listener: where people reach the page. */
  publicUrl: () => string | undefined
  /** Without PUBLIC_URL, whether the caller's own origin may be used (a loopback listener). */
  originFallback: boolean
  now?: () => number
}

const refusalOf = (reason: TokenRefusal): LinkRefusal =>
  reason === 'expired' ? 'expired' : reason === 'replayed' ? 'used' : 'unknown'

/** A refused link, naming its agent when the refusal carries verified claims (expired). */
const refused = (err: TokenRefusedError) => {
  const reason = err.reason === 'unavailable' ? 'unavailable' : refusalOf(err.reason)
  const payload = err.expired?.payload as Partial<LinkPayload> | undefined
  const issuer: LinkIssuer | undefined = err.expired
    ? { agent: err.expired.subject, ...(payload?.m ? { method: payload.m } : {}) }
    : undefined
  return { ok: false as const, reason, ...(issuer ? { issuer } : {}) }
}

/**
 * Security: the link is a capability to write once, never to read: whoever holds it can submit
 * one value for the named fields at the named path of the agent that asked, and nothing else.
 */
export function createSecretEntry(options: SecretEntryOptions): SecretEntry {
  const now = options.now ?? Date.now
  const { store, nonces } = options
  const tokens = createOneTimeTokens<LinkPayload>({
    key: options.key,
    ttlMs: options.ttlMs,
    nonces,
    now,
  })

  const viewOf = (token: string): EntryView => {
    const c = tokens.inspect(token)
    // A link signed before links carried their cas is refused (fail closed), not written without.
    if (typeof c.payload.c !== 'number') throw new TokenRefusedError('malformed')
    return {
      id: c.nonce,
      agent: c.subject,
      method: c.payload.m,
      path: c.payload.p,
      fields: c.payload.f.map(([name, description]) => ({ name, description })),
      update: c.payload.u,
      cas: c.payload.c,
      expiresAt: c.expiresAt,
    }
  }
  const stateOf = (view: EntryView, patch: Partial<SecretEntryState>): SecretEntryState => ({
    id: view.id,
    agent: view.agent,
    path: view.path,
    fields: view.fields.map((f) => f.name),
    status: 'pending',
    expiresAt: view.expiresAt,
    ...patch,
  })
  const record = (state: SecretEntryState) => store.put(state, state.expiresAt + ENTRY_RETAIN_MS)
  const baseOf = (origin: string | undefined) => {
    const base = options.publicUrl() ?? (options.originFallback ? origin : undefined)
    if (!base) {
      throw new AppError(
        'FORBIDDEN',
        'This bridge has no address a person can open (PUBLIC_URL is unset); ask the operator ' +
          'to set PUBLIC_URL.',
      )
    }
    return base.endsWith('/') ? base : `${base}/`
  }

  return {
    async close() {
      await nonces.close().catch(() => undefined)
      await store.close().catch(() => undefined)
    },

    async issue(request, origin) {
      const base = baseOf(origin)
      const token = tokens.issue(request.agent, {
        m: request.method,
        p: request.path,
        f: request.fields.map((f) => [f.name, f.description]),
        u: request.update,
        c: request.cas,
      })
      const view = viewOf(token)
      const unrecorded = (err: unknown) => {
        throw new AppError('VAULT_UNAVAILABLE', 'The request could not be recorded; try again.', {
          cause: err,
        })
      }
      const counted = await store
        .reserve(view.agent, view.id, view.expiresAt, options.maxOpen)
        .catch(unrecorded)
      if (!counted.reserved) {
        const seconds = Math.max(1, Math.ceil((counted.freeAt - now()) / 1000))
        throw new AppError(
          'TOO_MANY_OPEN_REQUESTS',
          `You have ${options.maxOpen} open secret requests, the most this bridge allows ` +
            `(SECRET_ENTRY_MAX_OPEN). The oldest link expires in ${seconds} seconds; ask again ` +
            'then, or as soon as a person submits one or you decline one you no longer need.',
          { details: { retryAfterSeconds: seconds } },
        )
      }
      await record(stateOf(view, {})).catch(async (err: unknown) => {
        await store.release(view.agent, view.id).catch(() => undefined)
        unrecorded(err)
      })
      const url = new URL(`${ENTRY_PATH.slice(1)}${token}`, base).toString()
      return { id: view.id, url, expiresAt: view.expiresAt }
    },

    async state(id, agent) {
      const s = await store.get(id)
      return s && s.agent === agent ? s : undefined
    },

    async decline(id, agent) {
      const s = await store.get(id)
      if (!s || s.agent !== agent || s.status !== 'pending' || s.expiresAt <= now()) return false
      if (!(await nonces.consume(id, s.expiresAt))) return false
      await store.release(agent, id).catch(() => undefined)
      await record({ ...s, status: 'declined' })
      return true
    },

    async open(token) {
      let view: EntryView
      try {
        view = viewOf(token)
      } catch (err) {
        if (err instanceof TokenRefusedError) return refused(err)
        throw err
      }
      // No record (a store that lost it in a restart) is not a refusal: the signature is what
      // makes a link good; its single use is the nonce store's.
      const s = await store.get(view.id).catch(() => undefined)
      if (s && s.status !== 'pending') return { ok: false, reason: 'used' }
      return { ok: true, view }
    },

    async submit(token, write) {
      let view: EntryView
      try {
        view = viewOf(token)
        await tokens.redeem(token, view.agent)
      } catch (err) {
        if (err instanceof TokenRefusedError) return refused(err)
        throw err
      }
      // Used up: no longer open, whatever the write does.
      await store.release(view.agent, view.id).catch(() => undefined)
      try {
        const version = await write(view)
        await record(stateOf(view, { status: 'written', version })).catch(() => undefined)
        return { ok: true, view, version }
      } catch (err) {
        const code = err instanceof AppError ? err.code : 'INTERNAL'
        if (code === 'CAS_MISMATCH') {
          // Vault's single use: this link's write already landed (a nonce store that forgot it
          // in a restart let the second one through to Vault). Keep that record as it is.
          const before = await store.get(view.id).catch(() => undefined)
          if (before && before.status !== 'pending') return { ok: false, view, reason: 'used' }
        }
        await record(stateOf(view, { status: 'failed', error: code })).catch(() => undefined)
        return { ok: false, view, reason: 'failed', code }
      }
    },
  }
}
