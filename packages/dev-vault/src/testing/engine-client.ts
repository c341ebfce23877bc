/**
 * @module dev-vault/testing/engine-client: calls one dev-vault engine directly (no HTTP core), as
 * the engines' unit tests do.
 */
import {
  VaultHttpError,
  type AuthBlock,
  type Engine,
  type EngineHost,
  type EngineRequest,
  type EngineResponse,
  type TokenIssueRequest,
} from '../routing/backend.js'

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

/**
 * An EngineHost for auth engines' tests that keeps every token request in `issued`. The token
 * is an orphan service token carrying the request's policies, metadata and TTL; `token(req, n)`
 * gives its other fields for the n-th request (at least `client_token` and `accessor`).
 */
export function recordingHost(
  now: () => number,
  token: (
    req: TokenIssueRequest,
    n: number,
  ) => Pick<AuthBlock, 'client_token' | 'accessor'> & Partial<AuthBlock>,
): { host: EngineHost; issued: TokenIssueRequest[] } {
  const issued: TokenIssueRequest[] = []
  const host: EngineHost = {
    issueToken(req) {
      issued.push(req)
      return {
        policies: req.policies,
        metadata: req.meta ?? null,
        lease_duration: req.ttl ?? 0,
        renewable: true,
        entity_id: '',
        token_type: 'service',
        orphan: true,
        mfa_requirement: null,
        num_uses: 0,
        ...token(req, issued.length),
      }
    },
    now,
  }
  return { host, issued }
}
