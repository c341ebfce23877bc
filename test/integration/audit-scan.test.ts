/**
 * @module integration test: the audit trail and the logs never hold a secret value. Unique
 * markers are planted in every operation (writes, patches, encrypt, decrypt, rewrap, data keys,
 * failures, bad credentials) through the composed bridge over real HTTP (REST and MCP) on the
 * dev vault; then every audit line and every log line (at trace level) is scanned: zero hits.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBridge, type RunningBridge } from '../../src/bridge.js'
import { loadConfig } from '../../src/config/load.js'
import { createLogger } from '../../src/observability/logger.js'
import { renderAgentPolicy } from '../../src/vault/admin/policy.js'
import { agentPolicyName } from '../../src/vault/policy-name.js'
import {
  clientFor,
  uniqueName,
  vaultForTests,
  type TestVault,
} from '@vault-mcp-bridge/dev-vault/testing'
import { writeTestTokenRole } from '../helpers/token-role.js'

const KEY = `scan-key-${randomBytes(8).toString('hex')}`
const b64 = (s: string) => Buffer.from(s).toString('base64')

let vault: TestVault
let bridge: RunningBridge
let auditFile: string
const logLines: string[] = []
/** Every value that must never reach the audit trail or the logs. */
const forbidden = new Set<string>()
const marker = (label: string) => {
  const m = `MARK${label}${randomBytes(9).toString('hex')}`
  forbidden.add(m)
  forbidden.add(b64(m))
  return m
}
const agent = uniqueName('scan').replace(/[^A-Za-z0-9_.-]/g, '_')

let removeRole = async (): Promise<void> => {}

/** Starts the bridge on a fresh prefix, with or without per-request child tokens. */
async function startScanBridge(childTokens: boolean): Promise<void> {
  vault = await vaultForTests()
  await ensureTransitMount(vault)
  auditFile = join(mkdtempSync(join(tmpdir(), 'audit-scan-')), 'audit.log')
  const prefix = uniqueName('mcp')
  const tokenRole = uniqueName('bridge-agents')
  const config = loadConfig({
    PORT: '0',
    CHILD_TOKEN_ROLE: tokenRole,
    VAULT_ADDR: vault.url,
    VAULT_TOKEN: vault.rootToken,
    API_KEYS_JSON: JSON.stringify({ [KEY]: agent }),
    AUDIT_LOG: auditFile,
    DEFAULT_PREFIX: prefix,
    LOG_LEVEL: 'trace',
    RATE_LIMIT_REQUESTS: '1000',
    CHILD_TOKEN_ENABLED: String(childTokens),
  })
  if (childTokens) {
    const policy = renderAgentPolicy({
      agent,
      mount: config.vault.kvMount,
      prefix,
      transitMount: config.vault.transitMount,
      policyPrefix: config.childToken.policyPrefix,
    })
    const name = agentPolicyName(config.childToken.policyPrefix, agent)
    await clientFor(vault).request({
      path: `/sys/policies/acl/${name}`,
      method: 'PUT',
      json: { policy },
    })
    const role = await writeTestTokenRole(clientFor(vault), {
      policyPrefix: config.childToken.policyPrefix,
      agentPolicies: [name],
      name: tokenRole,
    })
    removeRole = () => role.remove()
  }
  const logger = createLogger({
    level: 'trace',
    destination: { write: (s: string) => logLines.push(s) },
  })
  bridge = await startBridge(config, logger)
  forbidden.add(KEY)
  forbidden.add(vault.rootToken)
}

// The dev vault starts without a transit mount (a real test Vault may have one).
async function ensureTransitMount(v: TestVault): Promise<void> {
  const root = clientFor(v)
  const mounts = (await root.request({ path: '/sys/mounts', method: 'GET' })) as Json
  const table = (mounts.data ?? mounts) as Json
  if ('transit/' in table) return
  await root.request({ path: '/sys/mounts/transit', method: 'POST', json: { type: 'transit' } })
}

type Json = Record<string, unknown>
const call = async (method: string, path: string, body?: unknown, headers: Json = {}) => {
  const res = await fetch(`${bridge.url}${path}`, {
    method,
    headers: {
      'X-API-Key': KEY,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(headers as Record<string, string>),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const json = (await res.json()) as Json
  return { status: res.status, json }
}
// Values that come back from Vault (ciphertexts, data keys) are forbidden in the logs as well.
const remember = (value: unknown) => {
  if (typeof value === 'string' && value.length >= 8) forbidden.add(value)
}

describe.each([false, true])('audit and log scan (child tokens: %s)', (childTokens) => {
  beforeAll(async () => {
    logLines.length = 0
    await startScanBridge(childTokens)
  })
  afterAll(async () => {
    await bridge?.stop()
    await removeRole()
    await vault?.close()
  })

  it('plants markers in every operation, through REST and MCP', async () => {
    const p = 'scan/app'
    expect((await call('PUT', `/secrets/${p}`, { data: { f: marker('write') } })).status).toBe(200)
    expect((await call('PATCH', `/secrets/${p}`, { data: { g: marker('patch') } })).status).toBe(
      200,
    )
    // The markers are real values: Vault holds them and gives them back.
    const read = await call('GET', `/secrets/${p}`)
    expect(read.status).toBe(200)
    expect(JSON.stringify(read.json)).toMatch(/MARKwrite.*MARKpatch|MARKpatch.*MARKwrite/)
    // Wrapped reads: the wrapping token is a credential for the values, never audited or logged.
    const wrapped = await call('GET', `/secrets/${p}?wrap_ttl=60`)
    const wrappedByHeader = await call('GET', `/secrets/${p}`, undefined, {
      'X-Vault-Wrap-TTL': '60',
    })
    for (const w of [wrapped, wrappedByHeader]) {
      expect(w.status).toBe(200)
      remember((w.json.wrap_info as Json).token)
    }
    expect((await call('GET', `/secrets/${p}:metadata`)).status).toBe(200)
    expect((await call('GET', `/secrets?prefix=scan/`)).status).toBe(200)
    // Failures carrying values: CAS mismatch, patch of a missing secret, malformed data.
    const cas = await call('PUT', `/secrets/${p}`, { data: { f: marker('cas') }, cas: 99 })
    expect(cas.status).toBe(409)
    const missing = await call('PATCH', '/secrets/scan/none', { data: { x: marker('missing') } })
    expect(missing.status).toBe(404)
    const bad = await call('PUT', `/secrets/${p}`, { data: marker('baddata') })
    expect(bad.status).toBe(400)
    const unknownField = await call('PUT', `/secrets/${p}`, {
      data: { a: '1' },
      [marker('field')]: 1,
    })
    expect(unknownField.status).toBe(400)

    // Transit: encrypt, batch, decrypt, rewrap, data keys, and a forged ciphertext.
    const enc = await call('POST', '/transit/encrypt', {
      key: 'scan',
      plaintext: b64(marker('enc')),
    })
    expect(enc.status).toBe(200)
    const ciphertext = enc.json.ciphertext as string
    remember(ciphertext)
    const batch = await call('POST', '/transit/encrypt', {
      key: 'scan',
      batch: [{ plaintext: b64(marker('batch1')) }, { plaintext: b64(marker('batch2')) }],
    })
    expect(batch.status).toBe(200)
    const items = batch.json.batch as Json[]
    expect(items).toHaveLength(2)
    for (const r of items) remember(r.ciphertext)
    const dec = await call('POST', '/transit/decrypt', { key: 'scan', ciphertext })
    expect(dec.status).toBe(200)
    const rew = await call('POST', '/transit/rewrap', { key: 'scan', ciphertext })
    expect(rew.status).toBe(200)
    remember(rew.json.ciphertext)
    const dk = await call('POST', '/transit/datakey', { key: 'scan', type: 'plaintext', bits: 256 })
    expect(dk.status).toBe(200)
    remember(dk.json.plaintext)
    remember(dk.json.ciphertext)
    const forged = await call('POST', '/transit/decrypt', {
      key: 'scan',
      ciphertext: `vault:v1:${b64(marker('forged'))}`,
    })
    expect(forged.status).toBeGreaterThanOrEqual(400)
    expect(forged.status).toBeLessThan(500)
    const badPlain = await call('POST', '/transit/encrypt', {
      key: 'scan',
      plaintext: marker('notb64') + '!',
    })
    expect(badPlain.status).toBe(400)

    // Deletes and versions.
    expect((await call('DELETE', `/secrets/${p}`)).status).toBe(200)
    expect((await call('POST', `/secrets/${p}:undelete`, { versions: [2] })).status).toBe(200)
    expect((await call('POST', `/secrets/${p}:destroy`, { versions: [1] })).status).toBe(200)

    // Bad credentials of every kind.
    const wrongKey = marker('apikey')
    expect((await call('GET', '/whoami', undefined, { 'X-API-Key': wrongKey })).status).toBe(401)
    const bearer = marker('bearer')
    const noKey = await fetch(`${bridge.url}/whoami`, {
      headers: { Authorization: `Bearer ${bearer}`, Cookie: `session=${marker('cookie')}` },
    })
    expect(noKey.status).toBe(401)

    // MCP: the same operations as tools.
    const client = new Client({ name: 'audit-scan', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${bridge.url}/mcp`), {
        requestInit: { headers: { 'X-API-Key': KEY } },
      }),
    )
    try {
      const w = await client.callTool({
        name: 'write_secret',
        arguments: { path: 'scan/mcp', data: { m: marker('mcpwrite') } },
      })
      expect(w.isError).toBeFalsy()
      const r = await client.callTool({ name: 'read_secret', arguments: { path: 'scan/mcp' } })
      expect(r.isError).toBeFalsy()
      const rw = await client.callTool({
        name: 'read_secret',
        arguments: { path: 'scan/mcp', wrap_ttl: 60 },
      })
      expect(rw.isError).toBeFalsy()
      remember(((rw.structuredContent as Json).wrap_info as Json).token)
      const e = await client.callTool({
        name: 'encrypt',
        arguments: { key: 'scan', plaintext: b64(marker('mcpenc')) },
      })
      expect(e.isError).toBeFalsy()
      remember((e.structuredContent as Json | undefined)?.ciphertext)
      const pf = await client.callTool({
        name: 'patch_secret',
        arguments: { path: 'scan/missing', data: { m: marker('mcppatch') } },
      })
      expect(pf.isError).toBe(true)
    } finally {
      await client.close()
    }
  })

  it('finds none of them in the audit trail or the logs', async () => {
    // The trail is written asynchronously (a bounded queue): scan it once the bridge has stopped,
    // which flushes it, instead of reading the file while lines may still be on their way.
    await bridge.stop()
    const audit = readFileSync(auditFile, 'utf8')
    const logs = logLines.join('')
    expect(forbidden.size).toBeGreaterThan(30)
    const hits = [...forbidden].filter((v) => audit.includes(v) || logs.includes(v))
    expect(hits).toEqual([])
    // Nor any Vault token (the bridge's own, or a child token minted for a request).
    expect(audit + logs).not.toMatch(/hv[sb]\.[A-Za-z0-9_-]{20,}/)
    // The scan looked at real output: the trail has a line per operation, the log a line per request.
    const lines = audit
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Json)
    // Refused requests have lines of their own (issue 12), with a reason and no credential.
    const refused = lines.filter((r) => r.event === 'refused')
    expect(refused.every((r) => typeof r.reason === 'string' && r.operation === undefined)).toBe(
      true,
    )
    const records = lines.filter((r) => r.event !== 'refused')
    const ops = new Set(records.map((r) => r.operation))
    for (const op of [
      'write_secret',
      'patch_secret',
      'read_secret',
      'read_secret_metadata',
      'list_secrets',
      'encrypt',
      'decrypt',
      'rewrap',
      'generate_data_key',
      'delete_secret',
      'undelete_secret',
      'destroy_secret',
    ]) {
      expect(ops).toContain(op)
    }
    const outcomes = new Set(records.map((r) => r.outcome))
    for (const o of ['ok', 'CAS_MISMATCH', 'SECRET_NOT_FOUND', 'INVALID_INPUT'])
      expect(outcomes).toContain(o)
    expect(records.every((r) => r.agent === agent && typeof r.requestId === 'string')).toBe(true)
    expect(records.some((r) => r.target === 'scan/app')).toBe(true)
    // The wrapped reads are on record by their wrapping tokens' accessors.
    const wraps = records.filter((r) => r.wrap !== undefined).map((r) => r.wrap as Json)
    expect(wraps).toHaveLength(3)
    expect(wraps.every((w) => typeof w.accessor === 'string' && w.ttl === 60)).toBe(true)
    expect(logLines.filter((l) => l.includes('"msg":"request"')).length).toBeGreaterThan(20)
  })
})
