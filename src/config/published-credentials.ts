/**
 * @module config/published-credentials: every credential this repository publishes (demo
 * credentials of the scripts, placeholders of templates, examples in the docs), which `serve` and
 * `check-config` refuse. A test greps the repository for credentials and fails when one is not
 * listed here.
 */
import { ConfigError } from './load.js'
import type { Config } from './schema.js'

export interface PublishedCredential {
  /** The value, exactly as published. */
  value: string
  /** The scripts' variable that holds it (`DEMO_API_KEY`), or what it was. */
  name: string
  /** Where the repository publishes it, or published it. */
  where: string
  /** No longer in the repository, but published once: users may have copied it. */
  formerly?: true
}

/**
 * Security: anyone can read these, so a bridge that accepts one lets anyone act as its agent.
 * Only credentials that authenticate callers to the bridge are listed; a Vault token that Vault
 * itself would accept (the `root` of a Vault dev server in the docs) opens Vault to its holder
 * whatever the bridge does, and is Vault's to refuse.
 */
export const PUBLISHED_CREDENTIALS: readonly PublishedCredential[] = [
  {
    value: 'dev-key-agent-api-0001',
    name: 'DEMO_API_KEY',
    where: 'scripts/lib/common.sh; formerly README.md and docs/curl.md',
  },
  {
    value: 'dev-key-agent-api-readonly-0001',
    name: 'DEMO_READONLY_API_KEY',
    where: 'scripts/lib/common.sh',
  },
  {
    value: 'dev-only-hs256-secret-change-me-0123456789',
    name: 'DEMO_JWT_SECRET',
    where: 'scripts/lib/common.sh',
  },
  {
    value: 'dev-only-mtls-proxy-secret-change-me-0123456789',
    name: 'DEMO_MTLS_PROXY_SECRET',
    where: 'scripts/lib/common.sh',
  },
  {
    value: 'not-a-valid-key-at-all',
    name: 'the wrong key of the smoke test',
    where: 'scripts/smoke.sh',
  },
  {
    value: 'replace-with-at-least-32-random-bytes',
    name: 'the JWT_HS256_SECRET placeholder',
    where: 'deploy/kubernetes/secret.yaml before it shipped empty values',
    formerly: true,
  },
]

const published = new Map(PUBLISHED_CREDENTIALS.map((c) => [c.value, c]))

/**
 * The problems of a configuration that uses a published credential, one per variable (API keys
 * named by their entry, never by value), each saying what to do.
 */
export function publishedCredentialProblems(config: Config): string[] {
  const problems: string[] = []
  const found = (variable: string, value: string | undefined, what = 'it') => {
    const known = value === undefined ? undefined : published.get(value)
    if (known) {
      problems.push(
        `${variable}: ${what} is a credential published in this repository (${known.name}, ${known.where}); anyone can use it. Generate your own, e.g. openssl rand -hex 32.`,
      )
    }
  }
  config.auth.apiKey.keys.forEach((k, i) => found('API_KEYS_JSON', k.key, `entry #${i + 1}`))
  found('JWT_HS256_SECRET', config.auth.jwt.hs256Secret)
  found('MTLS_PROXY_SECRET', config.auth.mtls.proxySecret)
  return problems
}

/**
 * Refuses a configuration that uses a published credential: `serve` and `check-config` call it;
 * only the development commands (scripts/) may run with these.
 * @throws ConfigError (exit 2) with one line per variable.
 */
export function refusePublishedCredentials(config: Config): void {
  const problems = publishedCredentialProblems(config)
  if (problems.length > 0) throw new ConfigError(problems)
}
