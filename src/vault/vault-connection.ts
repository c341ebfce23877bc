/**
 * @module vault/vault-connection: can the bridge reach Vault at all, and if not, will waiting
 * help? One bounded look at VAULT_ADDR before the first login: DNS, TCP, and the TLS handshake
 * with the configured CA. What no retry can fix (a host name DNS does not know, a certificate
 * the bridge cannot verify, https:// to a plain-HTTP server or http:// to a TLS one) becomes a
 * VaultStartupError naming the variable to change; what may pass (refused, reset, timed out)
 * is reported as transient, and the bridge starts and retries.
 */
import { lookup } from 'node:dns/promises'
import { isIP, connect as tcpConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import type { Config } from '../config/schema.js'
import type { VaultTls } from './node-vault-client.js'
import { VaultStartupError } from './vault-startup-error.js'

/** Longest wait for a TLS handshake (or, on http://, for an answer) before classifying. */
export const HANDSHAKE_TIMEOUT_MS = 3000

/** The outcome of the look: reachable, or unreachable for a reason that may pass. */
export type VaultConnection = { reachable: true; tls: boolean } | { reachable: false; code: string }

/**
 * Looks at VAULT_ADDR once: resolves the host, connects, and (https://) completes a TLS
 * handshake with `tls`; a failed handshake is told apart (certificates, or a plain-HTTP server).
 * Every step is bounded by VAULT_TIMEOUT and the handshake by {@link HANDSHAKE_TIMEOUT_MS}.
 * @throws VaultStartupError for what can never heal by waiting, with the variable to change.
 */
export async function checkVaultConnection(
  vault: Pick<Config['vault'], 'address' | 'timeoutSeconds'>,
  tls: VaultTls,
): Promise<VaultConnection> {
  const url = new URL(vault.address)
  const secure = url.protocol === 'https:'
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = Number(url.port || (secure ? 443 : 80))
  const timeoutMs = Math.max(1, Math.round(vault.timeoutSeconds * 1000))
  const handshakeMs = Math.min(timeoutMs, HANDSHAKE_TIMEOUT_MS)

  if (!isIP(host)) {
    try {
      await lookup(host)
    } catch (err) {
      const code = errorCode(err)
      if (code === 'ENOTFOUND') {
        throw new VaultStartupError(
          'vault_address',
          `DNS does not know the host "${host}" of VAULT_ADDR: check the name (a typo?), or ` +
            'use the address Vault is reachable at from here.',
          { cause: err },
        )
      }
      return { reachable: false, code }
    }
  }
  let socket: Socket
  try {
    socket = await connected(tcpConnect({ host, port }), 'connect', timeoutMs)
  } catch (err) {
    return { reachable: false, code: errorCode(err) }
  }
  if (!secure) {
    socket.destroy()
    return { reachable: true, tls: false }
  }
  const secured = tlsConnect({
    socket,
    // `host` is what the certificate is checked against; SNI takes names only.
    host,
    servername: isIP(host) ? undefined : host,
    ...tls,
  })
  try {
    await connected(secured, 'secureConnect', handshakeMs)
    return { reachable: true, tls: true }
  } catch (err) {
    const code = errorCode(err)
    const why = certificateProblem(code, url.hostname, tls)
    if (why) throw new VaultStartupError('vault_tls', why, { cause: err })
    if (code === 'ETIMEDOUT' || isProtocolMismatch(code)) {
      // Silence, or bytes that are not TLS: is it a plain-HTTP server?
      if ((await httpStatus(host, port, handshakeMs)) !== undefined) {
        throw new VaultStartupError(
          'vault_address',
          `VAULT_ADDR starts with https:// but the server at ${url.host} speaks plain HTTP ` +
            '(no TLS handshake): use http://, or enable TLS on that listener.',
          { cause: err },
        )
      }
    }
    if (isProtocolMismatch(code)) {
      throw new VaultStartupError(
        'vault_tls',
        `The TLS handshake with ${url.host} failed (${code}): check that VAULT_ADDR names ` +
          "Vault's TLS listener.",
        { cause: err },
      )
    }
    return { reachable: false, code }
  } finally {
    secured.destroy()
  }
}

/**
 * For an http:// VAULT_ADDR whose first call failed without a Vault answer (a 400, or a closed
 * connection): the error to stop with when the server speaks TLS instead (undefined otherwise).
 * Asked only after a failure, so a working start sends nothing extra.
 */
export async function tlsInsteadOfHttp(
  vault: Pick<Config['vault'], 'address' | 'timeoutSeconds'>,
): Promise<VaultStartupError | undefined> {
  const url = new URL(vault.address)
  if (url.protocol !== 'http:') return undefined
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const ms = Math.min(Math.max(1, Math.round(vault.timeoutSeconds * 1000)), HANDSHAKE_TIMEOUT_MS)
  if (!(await speaksTls(host, Number(url.port || 80), ms))) return undefined
  return new VaultStartupError(
    'vault_address',
    `VAULT_ADDR starts with http:// but the server at ${url.host} speaks TLS: use https:// ` +
      '(and VAULT_CACERT if its certificate is from a private CA).',
  )
}

/**
 * The operator's next step when the handshake failed on the certificates (undefined: not a
 * certificate problem).
 */
function certificateProblem(code: string, hostname: string, tls: VaultTls): string | undefined {
  if (UNTRUSTED.has(code)) {
    return tls.ca
      ? `Vault's TLS certificate is not signed by a CA in VAULT_CACERT (${code}): set ` +
          'VAULT_CACERT to the PEM file of the CA that signed it.'
      : `Vault's TLS certificate is not signed by a CA this machine trusts (${code}): set ` +
          'VAULT_CACERT to the PEM file of the CA that signed it.'
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `Vault's TLS certificate is not issued for "${hostname}" (${code}): set VAULT_ADDR to a host name the certificate names.`
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return `Vault's TLS certificate is not valid now (${code}): renew it, or check this machine's clock.`
  }
  if (/ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN)$/.test(code)) {
    return `Vault refused the TLS client certificate (${code}): set VAULT_CLIENT_CERT and VAULT_CLIENT_KEY to a certificate Vault accepts.`
  }
  return undefined
}

/** Verification failures that a CA in VAULT_CACERT fixes. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
])

/** The peer answered with bytes that are not a TLS handshake. */
const isProtocolMismatch = (code: string): boolean =>
  code === 'EPROTO' ||
  /^ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST)/.test(code)

/** Resolves once `event` fires; rejects on an error or, after `ms`, with ETIMEDOUT. */
function connected<S extends Socket>(socket: S, event: string, ms: number): Promise<S> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy()
      reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }))
    }, ms)
    socket.once(event, () => {
      clearTimeout(timer)
      resolve(socket)
    })
    socket.once('error', (err) => {
      clearTimeout(timer)
      socket.destroy()
      reject(err)
    })
  })
}

/**
 * The status with which the server at host:port answers a plain HTTP request for
 * `/v1/sys/health`, or undefined when it answers no HTTP (closes, is silent, or sends other bytes).
 */
async function httpStatus(host: string, port: number, ms: number): Promise<number | undefined> {
  try {
    const socket = await connected(tcpConnect({ host, port }), 'connect', ms)
    return await new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => finish(undefined), ms)
      const finish = (status: number | undefined) => {
        clearTimeout(timer)
        socket.destroy()
        resolve(status)
      }
      socket.once('data', (chunk: Buffer) => {
        const m = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(chunk.toString('latin1'))
        finish(m ? Number(m[1]) : undefined)
      })
      socket.once('error', () => finish(undefined))
      socket.once('close', () => finish(undefined))
      socket.write(`GET /v1/sys/health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
    })
  } catch {
    return undefined
  }
}

/** Whether the server at host:port completes a TLS handshake (whatever its certificate). */
async function speaksTls(host: string, port: number, ms: number): Promise<boolean> {
  const socket = tlsConnect({ host, port, rejectUnauthorized: false })
  try {
    await connected(socket, 'secureConnect', ms)
    return true
  } catch {
    return false
  } finally {
    socket.destroy()
  }
}

const errorCode = (err: unknown): string => {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'EUNKNOWN'
}
