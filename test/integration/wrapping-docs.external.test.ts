/**
 * @module docs/wrapping.md, "Try it": its curl and jq commands run with bash, as the document
 * shows them, against the bridge's HTTP layer and the dev vault on loopback (only the address and
 * API key lines are this test's own): the wrapped read, Vault's lookup, one unwrap that returns
 * the secret, and a second unwrap that Vault refuses.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blocksUnder } from '../helpers/doc-blocks.js'
import { installed, suiteRuns } from '../helpers/external-tools.js'
import { apiKeyOf, startMcpApp, type McpApp } from '../helpers/mcp-harness.js'
import { startVaultStack, type VaultStack } from '../helpers/vault-stack.js'

// As the promtool test: skipped only on a developer machine without jq or curl; in CI
// (scripts/ci/install-jq.sh installs them) a missing tool fails instead.
const run = suiteRuns(
  'docs/wrapping.md commands',
  ['jq', 'curl'].every((t) => installed(t)),
  'run scripts/ci/install-jq.sh',
)

const doc = readFileSync('docs/wrapping.md', 'utf8')
const AGENT = 'agent_api'

let stack: VaultStack
let app: McpApp

beforeAll(async () => {
  if (!run) return
  stack = await startVaultStack()
  app = await startMcpApp(stack, { [AGENT]: ['read', 'write', 'list', 'delete'] })
})

afterAll(async () => {
  await app?.close()
  await stack?.close()
})

describe('docs/wrapping.md', () => {
  it.runIf(run)(
    '"Try it" wraps, looks up, unwraps once, and is refused the second time',
    async () => {
      const [block] = blocksUnder(doc, 'Try it').filter((b) => b.lang === 'bash')
      expect(block).toBeDefined()
      const lines = block!.body.split('\n')
      // The document's addresses and key are the dev setup's; this test has its own.
      const ours: Record<string, string> = {
        B: app.url,
        K: `X-API-Key: ${apiKeyOf(AGENT)}`,
        VAULT_ADDR: stack.vault.url,
      }
      const replaced = new Set<string>()
      const script = lines
        .map((line) => {
          const name = /^(B|K|VAULT_ADDR)=/.exec(line)?.[1]
          if (name === undefined) return line
          replaced.add(name)
          return `${name}='${ours[name]}'`
        })
        .join('\n')
      expect([...replaced].sort()).toEqual(['B', 'K', 'VAULT_ADDR'])

      // Asynchronously: the bridge and the dev vault answer from this process.
      const r = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
        encoding: 'utf8',
        timeout: 60_000,
      })
      expect(r.stderr).toBe('')
      const out = r.stdout.trim().split('\n')
      expect(out).toHaveLength(3)
      const lookup = JSON.parse(out[0]!) as Record<string, unknown>
      expect(lookup).toMatchObject({
        creation_path: `secret/data/${stack.prefix}/${AGENT}/app/wrapped-db`,
        creation_ttl: 300,
      })
      expect(JSON.parse(out[1]!)).toEqual({ password: 's3cr3t', user: 'app' })
      expect(JSON.parse(out[2]!)).toEqual({
        errors: ['wrapping token is not valid or does not exist'],
      })
      // What the document says each step prints is what it printed (elided values aside).
      const documented = lines.filter((l) => l.startsWith('# {')).map((l) => l.slice(2))
      expect(documented).toHaveLength(3)
      documented.forEach((shown, i) => {
        if (!shown.includes('…')) expect(JSON.parse(shown)).toEqual(JSON.parse(out[i]!))
        else expect(Object.keys(JSON.parse(shown)).sort()).toEqual(Object.keys(lookup).sort())
      })
    },
  )
})
