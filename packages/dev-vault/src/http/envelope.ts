/** @module dev-vault/http/envelope: Vault's response envelope and error bodies, Go-encoded. */
import type { AuthBlock, EngineResponse } from '../routing/backend.js'
import { goJson, struct } from '../encoding/go-json.js'
import { goUuid } from '../routing/ids.js'

/** A finished HTTP answer: status and body (null = no body). */
export interface HttpAnswer {
  status: number
  body: string | null
}

/** `{"errors":[...]}\n` with the given status (reference §1.7). */
export function errorAnswer(status: number, errors: readonly string[] = []): HttpAnswer {
  return { status, body: goJson(struct({ errors: [...errors] })) }
}

/** The `auth` block in `logical.HTTPAuth` field order; `token_policies` omitted when empty. */
export function authJson(a: AuthBlock): Record<string, unknown> {
  return struct({
    client_token: a.client_token,
    accessor: a.accessor,
    policies: a.policies,
    token_policies: a.token_policies && a.token_policies.length > 0 ? a.token_policies : undefined,
    metadata: a.metadata,
    lease_duration: a.lease_duration,
    renewable: a.renewable,
    entity_id: a.entity_id,
    token_type: a.token_type,
    orphan: a.orphan,
    mfa_requirement: null,
    num_uses: a.num_uses,
  })
}

/** The `logical.HTTPResponse` struct in Vault's field order (reference §1.4). */
export function envelopeObject(
  data: Record<string, unknown> | null | undefined,
  warnings: string[] | undefined,
  auth: AuthBlock | null | undefined,
  mountType: string,
): Record<string, unknown> {
  return struct({
    request_id: goUuid(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: data ?? null,
    wrap_info: null,
    warnings: warnings && warnings.length > 0 ? warnings : null,
    auth: auth ? authJson(auth) : null,
    mount_type: mountType,
  })
}

/** A raw plugin response (`logical.RespondWithStatusCode`): envelope fields, `mount_type` ''. */
export function rawEnvelope(
  status: number,
  data: Record<string, unknown> | null,
  warnings: string[] | null = null,
): EngineResponse {
  return {
    kind: 'raw',
    status,
    body: struct({
      request_id: goUuid(),
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data,
      wrap_info: null,
      warnings,
      auth: null,
      mount_type: '',
    }),
  }
}

/**
 * The envelope as JSON with the encoder's trailing newline. `inject` copies every `data` key to
 * the top level first, as Vault's legacy sys routes do (`logical.HTTPSysInjector`).
 */
export function envelopeAnswer(
  status: number,
  envelope: Record<string, unknown>,
  inject: boolean,
): HttpAnswer {
  const data = envelope.data as Record<string, unknown> | null
  if (!inject || !data || Object.keys(data).length === 0) return { status, body: goJson(envelope) }
  const head = Object.keys(data)
    .sort()
    .map((k) => goJson({ [k]: data[k] }, false).slice(1, -1))
    .join(',')
  return { status, body: `{${head},${goJson(envelope).slice(1)}` }
}
