/** @module dev-vault/routing/error-responses: Vault's canonical error texts (reference §1.7). */
import { VaultHttpError } from './backend.js'

/** hashicorp/go-multierror formatting: `1 error occurred:\n\t* msg\n\n`. */
export function multiError(...messages: string[]): string {
  const head = messages.length === 1 ? '1 error occurred:' : `${messages.length} errors occurred:`
  return `${head}\n${messages.map((m) => `\t* ${m}`).join('\n')}\n\n`
}

/** 404: inside a mount, no backend path pattern matches. */
export function unsupportedPath(): VaultHttpError {
  return new VaultHttpError(404, [multiError('unsupported path')])
}

/** 405: the path exists but not for this operation. */
export function unsupportedOperation(): VaultHttpError {
  return new VaultHttpError(405, [multiError('unsupported operation')])
}

/** 400 with a plain message (a backend's `logical.ErrorResponse`). */
export function badRequest(message: string): VaultHttpError {
  return new VaultHttpError(400, [message])
}

/** The three 403 bodies (reference §1.7). */
export const PERMISSION_DENIED = {
  noToken: ['permission denied'],
  invalidToken: [multiError('permission denied', 'invalid token')],
  aclDenied: [multiError('permission denied')],
} as const
