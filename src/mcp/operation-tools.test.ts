/** @module mcp/operation-tools tests: tool listing, scope filtering, error rendering, secret modes. */
import { readFileSync } from 'node:fs'
import { ToolSchema } from '@modelcontextprotocol/core'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { ElicitRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js'
import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../core/errors.js'
import type { Principal, Scope } from '../core/identity.js'
import { OPERATIONS, createOperationRunner } from '../core/operations.js'
import type { SecretsService } from '../core/secrets-service.js'
import { REDACTED, type Logger } from '../observability/logger.js'
import { toolDefinition } from './operation-tools.js'
import { createConsent, type SecretValuesMode } from './secret-values.js'
import { createMemoryNonceStore } from '../signing/nonce-store.js'
import { createSigningKeys } from '../signing/signing-keys.js'
import { SERVER_INFO, createMcpServer } from './server.js'

// Adapter-level tests: the service answers with fixed results so that rendering, masking and
// consent can be checked in isolation. Behaviour against Vault is in test/integration/mcp-*.
const WRAP_INFO = {
  token: 'hvs.wrapping-token',
  accessor: 'wrap-accessor',
  ttl: 300,
  creation_time: '2026-01-01T00:00:00Z',
  creation_path: 'secret/data/mcp/agent-a/app/db',
}
const META = {
  version: 3,
  created_time: '2026-01-01T00:00:00Z',
  deletion_time: '',
  destroyed: false,
  custom_metadata: null,
}

function cannedService(calls: string[]): SecretsService {
  const unused = (name: string) => async () => {
    calls.push(name)
    throw new AppError('INTERNAL', 'not used in this test')
  }
  return {
    readSecret: async (_ctx, input) => {
      calls.push(
        input.wrap_ttl === undefined ? 'readSecret' : `readSecret wrap_ttl=${input.wrap_ttl}`,
      )
      // As Vault: a wrapped read answers the handle alone (but a service that ignores wrap_ttl).
      if (input.wrap_ttl !== undefined && input.path !== 'ignores-wrap') {
        return { path: input.path, wrap_info: { ...WRAP_INFO, ttl: input.wrap_ttl } }
      }
      if (input.path === 'missing') throw new AppError('SECRET_NOT_FOUND', 'No secret there.')
      if (input.path === 'boom') throw new Error('vault said: permission denied for s.XYZTOKEN')
      if (input.path === 'leak') {
        throw Object.assign(new Error('request failed for token hvs.CAUSESECRET'), {
          config: { headers: { 'X-Vault-Token': 'hvs.CAUSESECRET' } },
        })
      }
      return {
        path: input.path,
        data: { user: 'admin', password: 'hunter2' },
        metadata: META,
        // Not in the output schema: must never reach the client.
        internal: 'mcp/agent/app/db',
      } as never
    },
    writeSecret: async (_ctx, input) => {
      calls.push('writeSecret')
      return { path: input.path, metadata: META }
    },
    patchSecret: unused('patchSecret'),
    deleteSecret: unused('deleteSecret'),
    undeleteSecret: unused('undeleteSecret'),
    destroySecret: unused('destroySecret'),
    listSecrets: unused('listSecrets'),
    requestSecret: unused('requestSecret'),
    checkSecretRequest: unused('checkSecretRequest'),
    readSecretMetadata: unused('readSecretMetadata'),
    updateSecretMetadata: unused('updateSecretMetadata'),
    deleteSecretMetadata: unused('deleteSecretMetadata'),
    encrypt: unused('encrypt'),
    decrypt: async (_ctx, input) => {
      calls.push('decrypt')
      return input.batch
        ? {
            key: input.key,
            batch: [{ plaintext: 'c2VjcmV0' }, { error: { code: 'X', message: 'bad' } }],
          }
        : { key: input.key, plaintext: 'c2VjcmV0' }
    },
    rewrap: unused('rewrap'),
    whoami: async ({ principal }, { operations }) => ({
      agent: principal.agent,
      method: principal.method,
      scopes: [...principal.scopes],
      kv_mount: 'secret',
      secrets_prefix: `mcp/${principal.agent}/`,
      transit_mount: 'transit',
      transit_key_prefix: `mcp--${principal.agent}--`,
      operations,
      child_tokens: false,
      vault_identity: 'bridge_token',
      rate_limit: null,
    }),
    createTransitKey: unused('createTransitKey'),
    readTransitKey: unused('readTransitKey'),
    rotateTransitKey: unused('rotateTransitKey'),
    listTransitKeys: unused('listTransitKeys'),
    generateHmac: unused('generateHmac'),
    verifyHmac: unused('verifyHmac'),
    sign: unused('sign'),
    verifySignature: unused('verifySignature'),
    generateDataKey: async (_ctx, input) => {
      calls.push('generateDataKey')
      return {
        key: input.key,
        ciphertext: 'vault:v1:abc',
        key_version: 1,
        ...(input.type === 'plaintext' ? { plaintext: 'a2V5' } : {}),
      }
    },
  }
}

type Answer = 'accept' | 'decline' | 'cancel' | 'none'

const open: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
})

async function connect(opts: {
  scopes?: Scope[]
  secretValues?: SecretValuesMode
  wrapTtlSeconds?: number
  elicit?: Answer
  serverRequests?: boolean
  log?: Logger
}) {
  const calls: string[] = []
  const events: string[] = []
  const security: string[] = []
  const principal: Principal = {
    agent: 'agent-a',
    scopes: opts.scopes ?? ['read', 'write', 'delete', 'list'],
    method: 'stdio',
  }
  const runner = createOperationRunner({
    service: cannedService(calls),
    observer: { operationFinished: (e) => events.push(`${e.operation}:${e.outcome}`) },
  })
  // A 2025 connection in memory: as over stdio, unless the test says it is stateless HTTP.
  const server = createMcpServer(
    {
      runner,
      secretValues: opts.secretValues ?? 'reveal',
      ...(opts.wrapTtlSeconds === undefined ? {} : { wrapTtlSeconds: opts.wrapTtlSeconds }),
      consent: createConsent({
        key: createSigningKeys(undefined).keyFor('mcp-request-state'),
        nonces: createMemoryNonceStore(),
        audit: {
          securityEvent: (e) => void security.push(`${e.event}:${e.reason}:${e.operation}`),
        },
      }),
      log: opts.log,
    },
    {
      principal,
      era: 'legacy',
      transport: opts.serverRequests === false ? 'http' : 'stdio',
      requestId: 'req-1',
    },
  )
  const answer = opts.elicit ?? 'none'
  const client = new Client(
    { name: 'test', version: '1.0.0' },
    answer === 'none' ? {} : { capabilities: { elicitation: { form: {} } } },
  )
  const asked: string[] = []
  if (answer !== 'none') {
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params.message)
      return answer === 'accept' ? { action: 'accept', content: {} } : { action: answer }
    })
  }
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  await server.connect(serverSide)
  await client.connect(clientSide)
  open.push(client, server)
  await client.listTools()
  return { client, calls, events, asked, security }
}

const text = (r: unknown) => {
  const content = (r as { content: Array<{ type: string; text?: string }> }).content
  return content[0]?.text ?? ''
}
const errorCode = (r: unknown) =>
  (r as { isError?: boolean }).isError ? text(r).split(':')[0] : undefined

describe('tools/list', () => {
  it('lists one tool per operation with schemas and honest annotations', async () => {
    const { client } = await connect({})
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toEqual(OPERATIONS.map((op) => op.name))
    for (const op of OPERATIONS) {
      const tool = tools.find((t) => t.name === op.name)
      expect(tool?.title).toBe(op.title)
      expect(tool?.description).toBe(op.summary)
      expect(tool?.inputSchema.type).toBe('object')
      expect(tool?.outputSchema?.type).toBe('object')
      expect(tool?.annotations).toMatchObject({
        readOnlyHint: op.hints.readOnly,
        destructiveHint: op.hints.destructive,
        idempotentHint: op.hints.idempotent,
        openWorldHint: false,
      })
    }
    const read = tools.find((t) => t.name === 'read_secret')
    expect(read?.inputSchema.required).toEqual(['path'])
    expect(Object.keys(read?.inputSchema.properties ?? {})).toEqual(['path', 'version', 'wrap_ttl'])
  })

  it('gives every tool a definition the MCP schema accepts', () => {
    for (const op of OPERATIONS) {
      const parsed = ToolSchema.safeParse(toolDefinition(op))
      expect({ tool: op.name, ok: parsed.success, error: parsed.error?.message }).toEqual({
        tool: op.name,
        ok: true,
        error: undefined,
      })
    }
  })

  it('describes every argument, and carries no schema noise a strict linter flags', () => {
    const problems: string[] = []
    const visit = (node: Record<string, unknown>, at: string, needsDescription: boolean) => {
      if (needsDescription && typeof node.description !== 'string')
        problems.push(`${at}: no description`)
      if (node.maximum === Number.MAX_SAFE_INTEGER || node.minimum === Number.MIN_SAFE_INTEGER) {
        problems.push(`${at}: safe-integer bound`)
      }
      const extra = node.additionalProperties
      if (extra !== null && typeof extra === 'object' && Object.keys(extra).length === 0) {
        problems.push(`${at}: additionalProperties {}`)
      }
      const props = (node.properties ?? {}) as Record<string, Record<string, unknown>>
      for (const [name, child] of Object.entries(props))
        visit(child, `${at}.${name}`, needsDescription)
      if (node.items) visit(node.items as Record<string, unknown>, `${at}[]`, false)
      for (const branch of (node.anyOf ?? []) as Record<string, unknown>[]) visit(branch, at, false)
    }
    for (const op of OPERATIONS) {
      const tool = toolDefinition(op)
      visit(tool.inputSchema as Record<string, unknown>, `${op.name} input`, false)
      for (const [name, prop] of Object.entries(tool.inputSchema.properties ?? {})) {
        visit(prop as Record<string, unknown>, `${op.name}.${name}`, true)
      }
      visit(tool.outputSchema as Record<string, unknown>, `${op.name} output`, false)
    }
    expect(problems).toEqual([])
  })

  it('shows only the tools the scopes allow', async () => {
    const { client } = await connect({ scopes: ['read'] })
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toEqual([
      'read_secret',
      'read_secret_metadata',
      'decrypt',
      'read_transit_key',
      'verify_hmac',
      'verify_signature',
      'whoami',
    ])
  })

  it('announces the server name and a version equal to package.json', async () => {
    const { client } = await connect({})
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
    expect(client.getServerVersion()).toEqual({ name: SERVER_INFO.name, version: pkg.version })
    expect(client.getServerCapabilities()?.tools).toBeDefined()
  })
})

describe('tools/call', () => {
  it('returns structured content and the same JSON as text', async () => {
    const { client } = await connect({ scopes: ['list'] })
    const r = await client.callTool({ name: 'whoami', arguments: {} })
    expect(r.isError).toBeFalsy()
    expect(r.structuredContent).toMatchObject({
      agent: 'agent-a',
      method: 'stdio',
      scopes: ['list'],
      operations: ['list_secrets', 'list_transit_keys', 'whoami'],
    })
    expect(JSON.parse(text(r))).toEqual(r.structuredContent)
  })

  it('strips fields the output schema does not declare', async () => {
    const { client } = await connect({})
    const r = await client.callTool({ name: 'read_secret', arguments: { path: 'app/db' } })
    expect(r.structuredContent).not.toHaveProperty('internal')
    expect(text(r)).not.toContain('internal')
  })

  it('refuses a tool outside the scopes, without calling the service, and audits it', async () => {
    const { client, calls, events } = await connect({ scopes: ['read'] })
    const r = await client.callTool({
      name: 'write_secret',
      arguments: { path: 'a', data: { k: 1 } },
    })
    expect(errorCode(r)).toBe('FORBIDDEN')
    expect(calls).toEqual([])
    expect(events).toEqual(['write_secret:FORBIDDEN'])
  })

  it('answers an unknown tool with the protocol error -32602', async () => {
    const { client } = await connect({})
    const err = await client.callTool({ name: 'drop_database', arguments: {} }).catch((e) => e)
    expect(err).toBeInstanceOf(McpError)
    expect((err as McpError).code).toBe(-32602)
  })

  it.each([
    ['wrong type', 'read_secret', { path: 5 }],
    ['missing field', 'read_secret', {}],
    ['unknown field', 'read_secret', { path: 'a', evil: true }],
    ['bad version', 'read_secret', { path: 'a', version: 0 }],
    ['empty data', 'write_secret', { path: 'a', data: {} }],
    [
      'both plaintext and batch',
      'decrypt',
      { key: 'k', ciphertext: 'x', batch: [{ ciphertext: 'y' }] },
    ],
  ])('renders bad arguments (%s) as an INVALID_INPUT tool error', async (_case, name, args) => {
    const { client, calls } = await connect({})
    const r = await client.callTool({ name, arguments: args })
    expect(errorCode(r)).toBe('INVALID_INPUT')
    expect(calls).toEqual([])
  })

  it('renders service errors as CODE: message', async () => {
    const { client } = await connect({})
    const r = await client.callTool({ name: 'read_secret', arguments: { path: 'missing' } })
    expect(errorCode(r)).toBe('SECRET_NOT_FOUND')
    expect(r.structuredContent).toBeUndefined()
  })

  it('never shows an unexpected error’s text or stack', async () => {
    const { client } = await connect({})
    const r = await client.callTool({ name: 'read_secret', arguments: { path: 'boom' } })
    expect(errorCode(r)).toBe('INTERNAL')
    expect(text(r)).not.toContain('XYZTOKEN')
    expect(text(r)).not.toContain('permission denied')
    expect(text(r)).not.toMatch(/\bat .*:\d+/)
  })

  it('logs an unexpected error through the one safe serializer (token-like text cut out)', async () => {
    const logged: object[] = []
    const record = (obj: object) => void logged.push(obj)
    const log: Logger = {
      fatal: record,
      error: record,
      warn: record,
      info: record,
      debug: record,
      child: () => log,
    }
    const { client } = await connect({ log })
    await client.callTool({ name: 'read_secret', arguments: { path: 'leak' } })
    expect(logged).toHaveLength(1)
    const line = logged[0] as { err: { type: string; message: string } }
    expect(line.err).toMatchObject({
      type: 'Error',
      message: expect.stringContaining('request failed'),
    })
    expect(JSON.stringify(line)).not.toContain('CAUSESECRET')
  })
})

describe('MCP_SECRET_VALUES', () => {
  it('reveal returns values', async () => {
    const { client } = await connect({ secretValues: 'reveal' })
    const r = await client.callTool({ name: 'read_secret', arguments: { path: 'app/db' } })
    expect(r.structuredContent).toMatchObject({ data: { user: 'admin', password: 'hunter2' } })
  })

  it('redact masks read values but keeps keys and metadata', async () => {
    const { client } = await connect({ secretValues: 'redact' })
    const r = await client.callTool({ name: 'read_secret', arguments: { path: 'app/db' } })
    expect(r.structuredContent).toMatchObject({
      path: 'app/db',
      data: { user: REDACTED, password: REDACTED },
      metadata: { version: 3 },
    })
    expect(text(r)).not.toContain('hunter2')
  })

  it('redact masks decrypted plaintext, single and batch, and plaintext data keys', async () => {
    const { client } = await connect({ secretValues: 'redact' })
    const one = await client.callTool({ name: 'decrypt', arguments: { key: 'k', ciphertext: 'v' } })
    expect(one.structuredContent).toEqual({ key: 'k', plaintext: REDACTED })
    const many = await client.callTool({
      name: 'decrypt',
      arguments: { key: 'k', batch: [{ ciphertext: 'a' }, { ciphertext: 'b' }] },
    })
    expect(many.structuredContent).toEqual({
      key: 'k',
      batch: [{ plaintext: REDACTED }, { error: { code: 'X', message: 'bad' } }],
    })
    const dk = await client.callTool({
      name: 'generate_data_key',
      arguments: { key: 'k', type: 'plaintext' },
    })
    expect(dk.structuredContent).toMatchObject({ ciphertext: 'vault:v1:abc', plaintext: REDACTED })
  })

  it('redact leaves writes alone', async () => {
    const { client } = await connect({ secretValues: 'redact' })
    const r = await client.callTool({
      name: 'write_secret',
      arguments: { path: 'app/db', data: { k: 'v' } },
    })
    expect(r.isError).toBeFalsy()
    expect(r.structuredContent).toMatchObject({ path: 'app/db', metadata: { version: 3 } })
  })

  it('elicit reveals the values once the user accepts, and asks without showing them', async () => {
    const { client, asked } = await connect({ secretValues: 'elicit', elicit: 'accept' })
    const r = await client.callTool({ name: 'read_secret', arguments: { path: 'app/db' } })
    expect(r.structuredContent).toMatchObject({ data: { password: 'hunter2' } })
    expect(asked).toHaveLength(1)
    expect(asked[0]).toContain('app/db')
    expect(asked[0]).not.toContain('hunter2')
  })

  it.each(['decline', 'cancel'] as const)('elicit refuses when the user answers %s', async (a) => {
    const { client } = await connect({ secretValues: 'elicit', elicit: a })
    const r = await client.callTool({ name: 'read_secret', arguments: { path: 'app/db' } })
    expect(errorCode(r)).toBe('FORBIDDEN')
    expect(text(r)).not.toContain('hunter2')
  })

  it('elicit refuses a client without elicitation before reading anything', async () => {
    const { client, calls } = await connect({ secretValues: 'elicit', elicit: 'none' })
    const r = await client.callTool({ name: 'read_secret', arguments: { path: 'app/db' } })
    expect(errorCode(r)).toBe('FORBIDDEN')
    expect(calls).toEqual([])
  })

  it('elicit refuses when the transport cannot carry requests (stateless HTTP)', async () => {
    const { client, calls, asked } = await connect({
      secretValues: 'elicit',
      elicit: 'accept',
      serverRequests: false,
    })
    const r = await client.callTool({ name: 'decrypt', arguments: { key: 'k', ciphertext: 'v' } })
    expect(errorCode(r)).toBe('FORBIDDEN')
    expect(calls).toEqual([])
    expect(asked).toEqual([])
  })

  it('elicit does not ask for results without secret values', async () => {
    const { client, asked } = await connect({ secretValues: 'elicit', elicit: 'none' })
    const r = await client.callTool({ name: 'generate_data_key', arguments: { key: 'k' } })
    expect(r.isError).toBeFalsy()
    expect(r.structuredContent).not.toHaveProperty('plaintext')
    expect(asked).toEqual([])
  })

  it('redact and elicit pass a wrapped read through untouched, without asking', async () => {
    for (const secretValues of ['redact', 'elicit'] as const) {
      const { client, asked } = await connect({ secretValues, elicit: 'none' })
      const r = await client.callTool({
        name: 'read_secret',
        arguments: { path: 'app/db', wrap_ttl: 60 },
      })
      expect([secretValues, r.structuredContent]).toEqual([
        secretValues,
        { path: 'app/db', wrap_info: { ...WRAP_INFO, ttl: 60 } },
      ])
      expect(asked).toEqual([])
    }
  })

  it('wrap wraps every read, for MCP_WRAP_TTL unless the call names its own', async () => {
    const { client, calls } = await connect({ secretValues: 'wrap', wrapTtlSeconds: 120 })
    const r = await client.callTool({ name: 'read_secret', arguments: { path: 'app/db' } })
    expect(r.structuredContent).toEqual({ path: 'app/db', wrap_info: { ...WRAP_INFO, ttl: 120 } })
    expect(text(r)).not.toContain('hunter2')
    await client.callTool({ name: 'read_secret', arguments: { path: 'app/db', wrap_ttl: '1m' } })
    expect(calls).toEqual(['readSecret wrap_ttl=120', 'readSecret wrap_ttl=60'])
    const fallback = await connect({ secretValues: 'wrap' })
    await fallback.client.callTool({ name: 'read_secret', arguments: { path: 'app/db' } })
    expect(fallback.calls).toEqual(['readSecret wrap_ttl=300'])
  })

  it('wrap refuses plaintext Vault cannot wrap here before asking for it', async () => {
    const { client, calls, security } = await connect({ secretValues: 'wrap' })
    const dec = await client.callTool({ name: 'decrypt', arguments: { key: 'k', ciphertext: 'v' } })
    const dk = await client.callTool({
      name: 'generate_data_key',
      arguments: { key: 'k', type: 'plaintext' },
    })
    expect([errorCode(dec), errorCode(dk)]).toEqual(['FORBIDDEN', 'FORBIDDEN'])
    expect(calls).toEqual([])
    // Refused before the runner, so audited as a security refusal of its own.
    expect(security).toEqual([
      'secret_values_refused:no_wrap:decrypt',
      'secret_values_refused:no_wrap:generate_data_key',
    ])
    const wrapped = await client.callTool({ name: 'generate_data_key', arguments: { key: 'k' } })
    expect(wrapped.isError).toBeFalsy()
  })

  it('wrap refuses a result that holds values anyway, and gives a caller without the scope the scope refusal', async () => {
    const { client, security } = await connect({ secretValues: 'wrap' })
    const r = await client.callTool({ name: 'read_secret', arguments: { path: 'ignores-wrap' } })
    expect(errorCode(r)).toBe('FORBIDDEN')
    expect(security).toEqual(['secret_values_refused:unwrapped_result:read_secret'])
    expect(JSON.stringify(r)).not.toContain('hunter2')
    const listOnly = await connect({ scopes: ['list'], secretValues: 'wrap' })
    const s = await listOnly.client.callTool({ name: 'read_secret', arguments: { path: 'app/db' } })
    expect(errorCode(s)).toBe('FORBIDDEN')
    expect(listOnly.events).toEqual(['read_secret:FORBIDDEN'])
  })

  it('elicit still gives the scope refusal to a caller without the scope', async () => {
    const { client, events } = await connect({ scopes: ['list'], secretValues: 'elicit' })
    const r = await client.callTool({ name: 'read_secret', arguments: { path: 'app/db' } })
    expect(errorCode(r)).toBe('FORBIDDEN')
    expect(events).toEqual(['read_secret:FORBIDDEN'])
  })
})

describe('docs/mcp.md', () => {
  it('lists every tool with its scope, hints and arguments as the catalogue says', () => {
    const doc = readFileSync('docs/mcp.md', 'utf8')
    for (const op of OPERATIONS) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${op.name}\` `))
      const [, , scope, hints, args] = (row ?? '').split('|').map((c) => c.trim())
      expect({ name: op.name, scope }).toEqual({
        name: op.name,
        scope: op.access ? `\`${op.access}\`` : 'any',
      })
      const expected = [
        op.hints.readOnly && 'read-only',
        op.hints.destructive && 'destructive',
        op.hints.idempotent && 'idempotent',
      ].filter(Boolean)
      expect({ name: op.name, hints }).toEqual({ name: op.name, hints: expected.join(', ') })
      const documented = [...(args ?? '').matchAll(/`(\w+)`/g)].map((m) => m[1]).sort()
      expect({ name: op.name, args: documented }).toEqual({
        name: op.name,
        args: Object.keys(op.input.shape).sort(),
      })
    }
  })
})
