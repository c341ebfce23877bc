/**
 * @module test/helpers/engine-client: calls one dev-vault engine directly (no HTTP core), as
 * the engines' unit tests do.
 */
import {
  VaultHttpError,
  type Engine,
  type EngineRequest,
  type EngineResponse,
} from '../../src/dev-vault/backend.js'

type Operation = EngineRequest['operation']
type Envelope = Extract<EngineResponse, { kind: 'envelope' }>

/** What a test calls an engine with. */
export interface EngineClient {
  /** The engine's answer, or its thrown error. */
  call(operation: Operation, path: string, data?: Record<string, unknown>): Promise<EngineResponse>
  /** The answer, which must be an envelope. */
  envelope(operation: Operation, path: string, data?: Record<string, unknown>): Promise<Envelope>
  /** The VaultHttpError the call must throw. */
  fail(operation: Operation, path: string, data?: Record<string, unknown>): Promise<VaultHttpError>
}

/**
 * A client for `engine` mounted at `mountPath` (with its trailing slash), calling as a token
 * whose display name is `tokenDisplayName`.
 */
export function createEngineClient(
  engine: Engine,
  mountPath: string,
  tokenDisplayName: string,
): EngineClient {
  const call = async (
    operation: Operation,
    path: string,
    data: Record<string, unknown> = {},
  ): Promise<EngineResponse> =>
    engine.handle({
      operation,
      path,
      data,
      query: new URLSearchParams(),
      mountPath,
      tokenDisplayName,
    })
  const envelope = async (
    operation: Operation,
    path: string,
    data: Record<string, unknown> = {},
  ): Promise<Envelope> => {
    const r = await call(operation, path, data)
    if (r.kind !== 'envelope') throw new Error(`expected an envelope, got ${JSON.stringify(r)}`)
    return r
  }
  const fail = async (
    operation: Operation,
    path: string,
    data: Record<string, unknown> = {},
  ): Promise<VaultHttpError> => {
    try {
      await call(operation, path, data)
    } catch (e) {
      if (e instanceof VaultHttpError) return e
      throw e
    }
    throw new Error(`expected ${operation} ${path} to fail`)
  }
  return { call, envelope, fail }
}
