/**
 * @module What every tool shows of secret values, in every MCP_SECRET_VALUES mode, on both
 * channels a client may read: `content` (the text) and `structuredContent`. They must say the
 * same thing, so that masking one and not the other is impossible: every tool is called in
 * reveal, redact, elicit and wrap mode, by both client generations, over stdio and over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SCOPES } from '../../src/core/identity.js'
import { OPERATIONS } from '../../src/core/operations.js'
import { REDACTED } from '../../src/observability/logger.js'
import type { SecretValuesMode } from '../../src/mcp/secret-values.js'
import {
  CLIENT_KINDS,
  apiKeyOf,
  connectHttp,
  connectStdio,
  resultText,
  startMcpApp,
  suiteResources,
  type ClientKind,
  type TestClient,
  type ToolResult,
} from '../helpers/mcp-harness.js'
import { startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

const SECRET = 'first-secret-value-7Qx'
const SECRET2 = 'second-secret-value-9Zk'
const b64 = (s: string) => Buffer.from(s).toString('base64')

let stack: VaultStack
const opened = suiteResources()

beforeAll(async () => {
  stack = await startVaultStack()
})

afterAll(async () => {
  await opened.closeAll()
  await stack?.close()
})

/** Vault's own unwrap, first party: the wrapping token is the request's token. */
async function unwrapAtVault(
  token: string,
): Promise<{ status: number; json: { data?: { data?: unknown } } | undefined }> {
  const res = await fetch(`${stack.vault.url}/v1/sys/wrapping/unwrap`, {
    method: 'POST',
    headers: { 'X-Vault-Token': token },
  })
  const text = await res.text()
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) }
}

type Kind = `${'stdio' | 'http'}-${ClientKind}`
const kinds: Kind[] = CLIENT_KINDS.flatMap((c) => [`stdio-${c}` as Kind, `http-${c}` as Kind])
const MODES: SecretValuesMode[] = ['reveal', 'redact', 'elicit', 'wrap']

async function connect(kind: Kind, mode: SecretValuesMode, agent: string): Promise<TestClient> {
  const [transport, client] = kind.split('-') as ['stdio' | 'http', ClientKind]
  // The user says yes to every question, so that elicit shows what it is asked to show.
  const options = { client, elicit: 'accept' as const }
  if (transport === 'stdio') {
    const principal = { agent, scopes: [...SCOPES], method: 'stdio' as const }
    const c = await connectStdio(stack.runner, principal, { ...options, secretValues: mode })
    return opened.track(c).client
  }
  const app = opened.app(
    await startMcpApp(stack, { [agent]: [...SCOPES] }, { MCP_SECRET_VALUES: mode }),
  )
  return opened.track(await connectHttp(app.mcpUrl, { 'x-api-key': apiKeyOf(agent) }, options))
    .client
}

/** Every tool once, in an order where each call finds what it needs. */
function calls(previous: Map<string, ToolResult>): [string, Record<string, unknown>][] {
  const ciphertext = () =>
    (previous.get('encrypt')?.structuredContent as { ciphertext?: string } | undefined)
      ?.ciphertext ?? 'vault:v1:none'
  const made = (name: string, field: string) =>
    (previous.get(name)?.structuredContent as Record<string, string> | undefined)?.[field] ??
    'vault:v1:none'
  return [
    ['whoami', {}],
    ['write_secret', { path: 'v', data: { pw: SECRET } }],
    ['patch_secret', { path: 'v', data: { other: SECRET2 } }],
    ['read_secret', { path: 'v' }],
    ['read_secret_metadata', { path: 'v' }],
    ['update_secret_metadata', { path: 'v', custom_metadata: { owner: 'team' } }],
    ['list_secrets', { recursive: true }],
    ['delete_secret', { path: 'v' }],
    ['undelete_secret', { path: 'v', versions: [2] }],
    ['destroy_secret', { path: 'v', versions: [1] }],
    ['encrypt', { key: 'k', plaintext: b64(SECRET) }],
    [
      'decrypt',
      {
        key: 'k',
        get ciphertext() {
          return ciphertext()
        },
      },
    ],
    [
      'rewrap',
      {
        key: 'k',
        get ciphertext() {
          return ciphertext()
        },
      },
    ],
    ['generate_data_key', { key: 'k', type: 'plaintext' }],
    ['create_transit_key', { key: 's', type: 'ed25519' }],
    ['list_transit_keys', {}],
    ['read_transit_key', { key: 's' }],
    ['rotate_transit_key', { key: 's' }],
    ['generate_hmac', { key: 's', input: b64(SECRET) }],
    [
      'verify_hmac',
      {
        key: 's',
        input: b64(SECRET),
        get hmac() {
          return made('generate_hmac', 'hmac')
        },
      },
    ],
    ['sign', { key: 's', input: b64(SECRET) }],
    [
      'verify_signature',
      {
        key: 's',
        input: b64(SECRET),
        get signature() {
          return made('sign', 'signature')
        },
      },
    ],
    ['request_secret', { path: 'entry', fields: [{ name: 'pw', description: 'A password' }] }],
    [
      'check_secret_request',
      {
        get request_id() {
          return made('request_secret', 'request_id')
        },
      },
    ],
    ['delete_secret_metadata', { path: 'v' }],
  ]
}

describe.each(MODES)('MCP_SECRET_VALUES=%s', (mode) => {
  it.each(kinds)('every tool says the same in content and structuredContent (%s)', async (kind) => {
    const agent = stack.agent(`sv-${mode}-${kind}`)
    const client = await connect(kind, mode, agent)
    const results = new Map<string, ToolResult>()
    for (const [name, args] of calls(results)) {
      const r = await client.callTool({ name, arguments: { ...args } })
      results.set(name, r)
      const text = resultText(r)
      if (r.isError) {
        // A refusal carries no structured result at all.
        expect([name, r.structuredContent]).toEqual([name, undefined])
        expect(text).toMatch(/^[A-Z_]+: \S/)
      } else {
        expect([name, JSON.parse(text)]).toEqual([name, r.structuredContent])
      }
      if (mode === 'redact' || mode === 'wrap') {
        for (const value of [SECRET, SECRET2, b64(SECRET)]) {
          expect([name, JSON.stringify(r).includes(value)]).toEqual([name, false])
        }
      }
    }
    expect([...results.keys()].sort()).toEqual(OPERATIONS.map((op) => op.name).sort())

    const shown = (name: string) => results.get(name)!.structuredContent as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
    const refusedOverHttp = mode === 'elicit' && kind === 'http-v1'
    if (refusedOverHttp) {
      // A 2025 client over stateless HTTP cannot be asked: refused, values never fetched.
      for (const name of ['read_secret', 'decrypt', 'generate_data_key']) {
        expect([name, resultText(results.get(name))]).toEqual([
          name,
          expect.stringMatching(/^FORBIDDEN: /),
        ])
      }
    } else if (mode === 'wrap') {
      // Only a handle: no value and no field name; what Vault wrapped unwraps there, once.
      const read = shown('read_secret')
      expect(Object.keys(read).sort()).toEqual(['path', 'wrap_info'])
      expect(JSON.stringify(read)).not.toMatch(/"(pw|other)"/)
      expect(read.wrap_info.ttl).toBe(300)
      const unwrapped = await unwrapAtVault(read.wrap_info.token)
      expect([unwrapped.status, unwrapped.json?.data?.data]).toEqual([
        200,
        { pw: SECRET, other: SECRET2 },
      ])
      expect((await unwrapAtVault(read.wrap_info.token)).status).toBe(400)
      // Nothing Vault could wrap here: refused before Vault is asked for the plaintext.
      for (const name of ['decrypt', 'generate_data_key']) {
        expect([name, resultText(results.get(name))]).toEqual([
          name,
          expect.stringMatching(/^FORBIDDEN: /),
        ])
      }
    } else if (mode === 'redact') {
      expect(shown('read_secret').data).toEqual({ pw: REDACTED, other: REDACTED })
      expect(shown('decrypt').plaintext).toBe(REDACTED)
      expect(shown('generate_data_key').plaintext).toBe(REDACTED)
    } else {
      expect(shown('read_secret').data).toEqual({ pw: SECRET, other: SECRET2 })
      expect(shown('decrypt').plaintext).toBe(b64(SECRET))
      expect(Buffer.from(shown('generate_data_key').plaintext, 'base64')).toHaveLength(32)
    }
    // What carries no secret value is the same in every mode.
    expect(shown('encrypt').ciphertext).toMatch(/^vault:v1:/)
    expect(shown('read_secret_metadata').current_version).toBe(2)
    expect(shown('list_transit_keys').keys).toEqual(['k', 's'])
    expect(shown('rotate_transit_key').latest_version).toBe(2)
    expect(shown('verify_hmac').valid).toBe(true)
    expect(shown('verify_signature').valid).toBe(true)
  })
})
