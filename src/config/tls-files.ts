/**
 * @module config/tls-files: the PEM files the configuration names (VAULT_CACERT and friends, the
 * listener's TLS_* files), read once and checked at startup, so that a missing file or one
 * that holds no certificate stops the start with a line naming its variable.
 */
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createSecureContext } from 'node:tls'
import { StartupError } from './startup-error.js'

/** Builds the error for a problem; its message names the variable, never the file's content. */
export type TlsFileError = (message: string, cause?: unknown) => Error

/** The default: a StartupError headed `what`. */
export const startupError =
  (what: string): TlsFileError =>
  (message, cause) =>
    new StartupError(what, message, cause === undefined ? undefined : { cause })

function read(variable: string, file: string, fail: TlsFileError): Buffer {
  try {
    return readFileSync(file)
  } catch (err) {
    throw fail(`Cannot read the file named by ${variable}.`, err)
  }
}

const isCertificate = (block: string): boolean => {
  try {
    return new X509Certificate(block).raw.length > 0
  } catch {
    return false
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g

/**
 * Reads a PEM file of one or more certificates (a CA bundle). Node would accept a file with no
 * certificate in it and then fail every handshake, so each block is parsed here.
 * @throws what `fail` builds when the file cannot be read, holds no certificate, or a block in
 *   it is not one.
 */
export function readCertificates(variable: string, file: string, fail: TlsFileError): Buffer {
  const pem = read(variable, file, fail)
  const blocks = pem.toString('utf8').match(PEM_CERTIFICATE) ?? []
  if (blocks.length === 0) {
    throw fail(
      `The file named by ${variable} holds no PEM certificate (-----BEGIN CERTIFICATE-----).`,
    )
  }
  if (!blocks.every(isCertificate)) {
    throw fail(`The file named by ${variable} holds a PEM block that is not a certificate.`)
  }
  return pem
}

/**
 * Reads a certificate (chain) and its private key and checks that they are PEM and belong
 * together.
 * @throws what `fail` builds otherwise.
 */
export function readKeyPair(
  variables: { cert: string; key: string },
  files: { cert: string; key: string },
  fail: TlsFileError,
): { cert: Buffer; key: Buffer } {
  const cert = readCertificates(variables.cert, files.cert, fail)
  const key = read(variables.key, files.key, fail)
  try {
    createSecureContext({ cert, key })
  } catch (err) {
    throw fail(
      `${variables.cert} and ${variables.key} must be a PEM certificate and its private key.`,
      err,
    )
  }
  return { cert, key }
}
