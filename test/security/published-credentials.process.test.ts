/**
 * @module test/security/published-credentials: issue 12 item 2. Every credential the repository
 * publishes (scripts' demo credentials, template placeholders, docs examples) is refused by
 * `serve` and `check-config`; the list the bridge refuses (src/config/published-credentials.ts)
 * is exactly what a grep of the repository finds, so a new example cannot be added unrefused;
 * and scripts/run_dev.sh refuses its demo credentials against a Vault that is not the dev vault.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { spawnCli } from '../helpers/cli.js'
import { fakeRealVault, runDev, type FakeRealVault } from '../helpers/run-dev.js'

const root = join(import.meta.dirname, '..', '..')

type Kind = 'api_key' | 'jwt_secret' | 'proxy_secret'
interface Found {
  value: string
  kind: Kind
  file: string
}

/**
 * What users read, copy and run: docs, templates, configuration and shell scripts. (TypeScript
 * sources carry no literal credential but the list itself; tests use their own.)
 */
const PUBLISHED_PLACES = [
  'README.md',
  'CHANGELOG.md',
  'docs',
  'deploy',
  'local-vault',
  'scripts',
  'Dockerfile',
  'packages/dev-vault/README.md',
]
const PUBLISHED_FILE = /(?:\.(?:md|sh|ya?ml|conf|json|env)|\/Dockerfile|\/scripts\/[a-z_]+)$/

const filesUnder = (path: string): string[] => {
  const full = join(root, path)
  if (!statSync(full, { throwIfNoEntry: false })) return []
  if (statSync(full).isFile()) return [full]
  return readdirSync(full, { recursive: true, encoding: 'utf8' })
    .map((f) => join(full, f))
    .filter((f) => statSync(f).isFile() && PUBLISHED_FILE.test(f))
}

// A placeholder is not a credential: `...`, `<key>`, `$VAR`, `$(openssl ...)`, `%s`, empty.
const isPlaceholder = (v: string) => /^(?:\.{2,}|…|<.*|\$.*|%s|x+|)$/.test(v.trim())

/** Credentials written out literally in the repository's published files. */
function findPublishedCredentials(): Found[] {
  const patterns: [RegExp, Kind | ((m: RegExpMatchArray) => Kind)][] = [
    [
      /BUILTIN_DEMO_(\w+)='([^']+)'/g,
      (m) =>
        /API_KEY$/.test(m[1]!) ? 'api_key' : /JWT/.test(m[1]!) ? 'jwt_secret' : 'proxy_secret',
    ],
    [/X-API-Key:\s*([^\s'"`\\]+)/gi, 'api_key'],
    [/API_KEYS_JSON\s*[=:]\s*["']?\{\s*\\?"([^"\\]+)\\?"/g, 'api_key'],
    // Not a shell expansion of the variable (`${JWT_HS256_SECRET:-...}`): an assignment.
    [/(?<![{$])JWT_HS256_SECRET\s*[=:]\s*["']?([^\s"'`]+)/g, 'jwt_secret'],
    [/(?<![{$])MTLS_PROXY_SECRET\s*[=:]\s*["']?([^\s"'`]+)/g, 'proxy_secret'],
    [/x-mtls-proxy-secret:\s*([^\s"'`]+)/gi, 'proxy_secret'],
    [/set \$vault_mcp_bridge_proxy_secret "([^"]+)"/g, 'proxy_secret'],
  ]
  const found: Found[] = []
  for (const file of PUBLISHED_PLACES.flatMap(filesUnder)) {
    const text = readFileSync(file, 'utf8')
    for (const [pattern, kind] of patterns) {
      for (const m of text.matchAll(pattern)) {
        const value = m[m.length - 1] as string
        if (isPlaceholder(value)) continue
        found.push({
          value,
          kind: typeof kind === 'function' ? kind(m) : kind,
          file: relative(root, file),
        })
      }
    }
  }
  return found
}

/** The configuration that puts `credential` where it authenticates callers. */
const envWith = (credential: Found): Record<string, string> => {
  const vault = { VAULT_ADDR: 'http://127.0.0.1:9', VAULT_TOKEN: 'hvs.not-used-0123456789' }
  if (credential.kind === 'api_key') {
    return { ...vault, API_KEYS_JSON: JSON.stringify({ [credential.value]: 'agent_api' }) }
  }
  if (credential.kind === 'jwt_secret') return { ...vault, JWT_HS256_SECRET: credential.value }
  return {
    ...vault,
    AUTH_MTLS_ENABLED: 'true',
    MTLS_MODE: 'header',
    MTLS_TRUSTED_PROXIES: '10.0.0.5/32',
    MTLS_PROXY_SECRET: credential.value,
  }
}

const VARIABLE: Record<Kind, string> = {
  api_key: 'API_KEYS_JSON',
  jwt_secret: 'JWT_HS256_SECRET',
  proxy_secret: 'MTLS_PROXY_SECRET',
}

describe('credentials the repository publishes', () => {
  it('serve and check-config refuse every credential the repository publishes', async () => {
    const found = findPublishedCredentials()
    const unique = [...new Map(found.map((f) => [`${f.kind}:${f.value}`, f])).values()]
    // The former secret.yaml placeholder (37 bytes, so it passed the length check) is gone from
    // the repository, but users copied it.
    unique.push({
      value: 'replace-with-at-least-32-random-bytes',
      kind: 'jwt_secret',
      file: 'former secret.yaml',
    })
    expect(unique.length).toBeGreaterThanOrEqual(5)
    for (const credential of unique) {
      const run = spawnCli(['check-config'], envWith(credential), 20_000)
      expect(await run.exited, `${credential.file}: ${run.output()}`).toBe(2)
      expect(run.stderr()).toMatch(new RegExp(`^\\s*${VARIABLE[credential.kind]}: `, 'm'))
      expect(run.output()).not.toContain(credential.value)
    }
    // serve stops before anything starts, naming the variable.
    const demoKey = unique.find((c) => c.kind === 'api_key')!
    const serve = spawnCli(['serve'], { ...envWith(demoKey), PORT: '0' }, 20_000)
    expect(await serve.exited, serve.output()).toBe(2)
    expect(serve.stderr()).toMatch(/^\s*API_KEYS_JSON: entry #1 /m)
  })

  it('the list the bridge refuses is every credential the repository publishes', async () => {
    const { PUBLISHED_CREDENTIALS, publishedCredentialProblems } =
      await import('../../src/config/published-credentials.js')
    const { loadConfig } = await import('../../src/config/load.js')
    const listed = new Set(PUBLISHED_CREDENTIALS.map((c) => c.value))
    const found = findPublishedCredentials()
    // Each literal credential in a published file is on the list...
    for (const f of found)
      expect(listed, `${f.file}: add it to PUBLISHED_CREDENTIALS`).toContain(f.value)
    // ...and each entry of the list is still published somewhere, or marked as formerly published.
    const foundValues = new Set(found.map((f) => f.value))
    for (const c of PUBLISHED_CREDENTIALS) {
      expect(foundValues.has(c.value) || c.formerly === true, c.name).toBe(true)
    }
    // And each is refused wherever it could authenticate a caller (where the configuration
    // takes it at all: a 22-character demo key is too short for an HS256 secret anyway).
    for (const c of PUBLISHED_CREDENTIALS) {
      for (const kind of ['api_key', 'jwt_secret', 'proxy_secret'] as const) {
        let config
        try {
          config = loadConfig(envWith({ value: c.value, kind, file: '' }))
        } catch (err) {
          expect((err as Error).name, `${c.name} as ${kind}`).toBe('ConfigError')
          continue
        }
        expect(publishedCredentialProblems(config), `${c.name} as ${kind}`).toEqual([
          expect.stringMatching(new RegExp(`^${VARIABLE[kind]}: `)),
        ])
      }
    }
  })

  describe('scripts/run_dev.sh', () => {
    let realVault: FakeRealVault | undefined
    afterAll(() => {
      realVault?.server.close()
    })

    it('run_dev.sh refuses its demo credentials against a Vault that is not the dev vault', async () => {
      // A real Vault (a loopback server answering sys/health as Vault does: no Vault binary here).
      realVault = await fakeRealVault()
      const env = { LOG_LEVEL: 'warn', AUDIT_LOG: 'off', HOST: '127.0.0.1' }
      const r = await runDev({ ...env, VAULT_ADDR: realVault.url, VAULT_TOKEN: 'x' })
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('DEMO_API_KEY DEMO_READONLY_API_KEY DEMO_JWT_SECRET')
      expect(r.stderr).toContain(realVault.url)
      expect(r.stderr).not.toContain('dev-only-hs256-secret-change-me-0123456789')
      // Only the health probe reached the Vault: the bridge never ran.
      expect(realVault.paths).toEqual(['/v1/sys/health'])
      // And a Vault elsewhere than loopback is refused without asking it anything.
      const remote = await runDev({ ...env, VAULT_ADDR: 'https://vault.example.invalid:8200' })
      expect(remote.code).toBe(2)
      expect(remote.stderr).toContain('refusing the built-in demo credentials')
    }, 120_000)
  })
})
