/**
 * @module integration test: `serve` flushes the audit trail on SIGTERM. Under load, every request
 * that got its answer has its audit line in the file once the process has exited 0, and every
 * line is whole JSON.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevVault, type DevVault } from '@vault-mcp-bridge/dev-vault'

const root = join(import.meta.dirname, '..', '..')
const KEY = 'audit-shutdown-key-0123456789'

let vault: DevVault
beforeAll(async () => {
  vault = await startDevVault({ port: 0 })
})
afterAll(async () => {
  await vault?.close()
})

describe('audit trail on graceful shutdown', () => {
  it('holds a whole line for every answered request after SIGTERM under load', async () => {
    const auditFile = join(mkdtempSync(join(tmpdir(), 'audit-shutdown-')), 'audit.log')
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        VAULT_ADDR: vault.url,
        VAULT_TOKEN: vault.rootToken,
        API_KEYS_JSON: JSON.stringify({ [KEY]: 'agent_audit' }),
        AUDIT_LOG: auditFile,
        LOG_LEVEL: 'info',
        RATE_LIMIT_ENABLED: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)))
    let out = ''
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (d: Buffer) => {
        out += d
        const m = /"url":"(http:\/\/[^"]+)"/.exec(out)
        if (m?.[1]) resolve(m[1])
      }
      child.stdout.on('data', onData)
      child.stderr.on('data', onData)
      child.on('close', () => reject(new Error(`serve exited before listening:\n${out}`)))
    })

    const run = `run-${Date.now()}`
    let first: () => void = () => {}
    const firstDone = new Promise<void>((r) => (first = r))
    const statuses = Array.from({ length: 150 }, (_, i) =>
      fetch(`${url}/secrets/${run}/s${i}`, {
        method: 'PUT',
        headers: { 'X-API-Key': KEY, 'Content-Type': 'application/json' },
        body: JSON.stringify({ data: { n: String(i) } }),
      }).then(
        (r) => {
          first()
          return { i, status: r.status }
        },
        () => ({ i, status: 0 }),
      ),
    )
    await firstDone
    child.kill('SIGTERM')
    const results = await Promise.all(statuses)
    expect(await exited).toBe(0)
    clearTimeout(killer)

    const answered = results.filter((r) => r.status === 200).map((r) => `${run}/s${r.i}`)
    for (const r of results) expect([200, 0]).toContain(r.status)
    expect(answered.length).toBeGreaterThan(0)
    console.info(
      `SIGTERM under load: ${answered.length} answered, ${results.length - answered.length} refused`,
    )
    const lines = readFileSync(auditFile, 'utf8').trimEnd().split('\n')
    const records = lines.map(
      (l) => JSON.parse(l) as { operation: string; outcome: string; target: string },
    )
    const written = new Set(
      records
        .filter((r) => r.operation === 'write_secret' && r.outcome === 'ok')
        .map((r) => r.target),
    )
    for (const target of answered) expect(written).toContain(target)
  }, 90_000)
})
