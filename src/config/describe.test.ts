/** @module config/describe tests: README table drift, and the defaults existing users rely on. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { format, resolveConfig } from 'prettier'
import { describe, expect, it } from 'vitest'
import {
  CONFIG_TABLE_END,
  CONFIG_TABLE_START,
  configDocMarkdown,
  configTableMarkdown,
  describeVariables,
} from './describe.js'
import { envSchema } from './schema.js'

// Prettier pads Markdown tables; compare cell by cell so that formatting is not drift.
const normalize = (table: string) =>
  table
    .trim()
    .split('\n')
    .map((line) =>
      line
        .split(/(?<!\\)\|/)
        .map((cell) => (/^\s*:?-+:?\s*$/.test(cell) ? '---' : cell.trim()))
        .join('|'),
    )
    .join('\n')

const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8')

describe('README configuration table', () => {
  it('is exactly the table generated from envSchema (run scripts/gen-config-docs.ts)', () => {
    const start = readme.indexOf(CONFIG_TABLE_START)
    const end = readme.indexOf(CONFIG_TABLE_END)
    expect(start).toBeGreaterThan(0)
    expect(end).toBeGreaterThan(start)
    const table = readme.slice(start + CONFIG_TABLE_START.length, end).trim()
    expect(normalize(table)).toBe(normalize(configTableMarkdown()))
  })

  it('has one row per schema variable', () => {
    const rows = configTableMarkdown()
      .split('\n')
      .slice(2)
      .map((r) => /^\| `([A-Z0-9_]+)` \|/.exec(r)?.[1])
    expect(rows).toEqual(Object.keys(envSchema.shape))
  })

  it('every variable has a meaning', () => {
    for (const v of describeVariables()) expect(v.meaning, v.name).not.toBe('')
  })
})

describe('docs/config.md', () => {
  it('is what scripts/gen-config-docs.ts generates from envSchema', async () => {
    const file = join(import.meta.dirname, '..', '..', 'docs', 'config.md')
    const options = { ...(await resolveConfig(file)), filepath: file }
    expect(readFileSync(file, 'utf8')).toBe(await format(configDocMarkdown(), options))
  })
})

describe('README quick start', () => {
  it('is exactly two commands: npm ci && npm start, npm ci && npm test', () => {
    const pkg = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'),
    ) as { scripts: Record<string, string> }
    const quick = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## Commands'))
    const commands = /```sh\n([\s\S]*?)```/.exec(quick)?.[1]?.trim().split('\n') ?? []
    expect(commands.map((c) => c.split('#')[0]?.trim())).toEqual([
      'npm ci && npm start',
      'npm ci && npm test',
    ])
    // The dev command, under the image's V8 settings (Dockerfile ENTRYPOINT; deploy-files.test.ts).
    expect(pkg.scripts.start).toBe(
      'node --max-semi-space-size=8 --heap-growing-percent=50 --import tsx scripts/dev.ts',
    )
    expect(pkg.scripts.test).toMatch(/typecheck.*lint.*vitest run$/)
  })
})

describe('names and defaults existing users already set (issue 2)', () => {
  const defaults = Object.fromEntries(describeVariables().map((v) => [v.name, v.default]))
  it.each([
    ['HOST', '127.0.0.1'],
    ['PORT', '8089'],
    ['LOG_LEVEL', 'info'],
    ['VAULT_ADDR', 'http://localhost:8200'],
    ['VAULT_NAMESPACE', undefined],
    ['VAULT_TOKEN', undefined],
    ['VAULT_ROLE_ID', undefined],
    ['VAULT_SECRET_ID', undefined],
    ['KV_MOUNT', 'secret'],
    ['DEFAULT_PREFIX', 'mcp'],
    ['TRANSIT_MOUNT', 'transit'],
    ['AUTH_API_KEY_ENABLED', 'true'],
    ['AUTH_JWT_ENABLED', 'true'],
    ['AUTH_MTLS_ENABLED', 'false'],
    ['API_KEYS_JSON', '{}'],
    ['JWT_HS256_SECRET', undefined],
    ['JWT_ISSUER', undefined],
    ['JWT_AUDIENCE', undefined],
    ['MTLS_IDENTITY_HEADER', 'x-ssl-client-s-dn'],
    ['MTLS_VERIFY_HEADER', 'x-ssl-client-verify'],
    ['MTLS_SUBJECT_CN_PREFIX', 'CN='],
    ['CHILD_TOKEN_ENABLED', 'false'],
    ['CHILD_TOKEN_TTL', '90s'],
    ['CHILD_TOKEN_POLICY_PREFIX', 'mcp-agent-'],
    ['RATE_LIMIT_ENABLED', 'true'],
    ['RATE_LIMIT_REQUESTS', '60'],
    ['RATE_LIMIT_WINDOW_SECONDS', '60'],
  ])('%s defaults to %s', (name, def) => {
    expect(Object.keys(defaults)).toContain(name)
    expect(defaults[name]).toBe(def)
  })
})
