/** @module dev-vault/routing/error-responses: Vault's error shapes and canonical texts (reference §1.7). */
import { VaultHttpError } from './backend.js'

/** hashicorp/go-multierror formatting: `1 error occurred:\n\t* msg\n\n`. */
export function multiError(...messages: string[]): string {
  const head = messages.length === 1 ? '1 error occurred:' : `${messages.length} errors occurred:`
  return `${head}\n${messages.map((m) => `\t* ${m}`).join('\n')}\n\n`
}

/** A backend's `logical.ErrorResponse` (+ `ErrInvalidRequest`): the plain message, 400 by default. */
export function errorResponse(message: string, status = 400): VaultHttpError {
  return new VaultHttpError(status, [message])
}

/** A Go error returned by a backend: go-multierror text, 500 unless the text maps elsewhere. */
export function goError(message: string, status = 500): VaultHttpError {
  return new VaultHttpError(status, [multiError(message)])
}

/** 404: inside a mount, no backend path pattern matches. */
export const unsupportedPath = (): VaultHttpError => goError('unsupported path', 404)

/** 405: the path exists but not for this operation. */
export const unsupportedOperation = (): VaultHttpError => goError('unsupported operation', 405)

/** The three 403 bodies (reference §1.7). */
export const PERMISSION_DENIED = {
  noToken: ['permission denied'],
  invalidToken: [multiError('permission denied', 'invalid token')],
  aclDenied: [multiError('permission denied')],
} as const
