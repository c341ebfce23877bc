/** @module config/load: parse the environment once; bad config is a ConfigError listing every problem. */
import { configSchema, type Config } from './schema.js'

/** Bad configuration: `problems` has one line per problem, each naming its variable. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  }
}

/**
 * Variables that were renamed: setting the old name is a configuration error that names the new
 * one, rather than a setting silently ignored (CHANGELOG.md says why each changed).
 */
export const RENAMED: Readonly<Record<string, string>> = {
  // It now guards the REST routes as well as /mcp.
  MCP_ALLOWED_ORIGINS: 'ALLOWED_ORIGINS',
}

/**
 * Parses the environment into a `Config`.
 * @throws ConfigError with one line per problem (variable name, what is wrong, what is right).
 *   Messages never contain the value given.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset", as in most shells' `VAR= cmd`.
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  )
  const renamed = Object.entries(RENAMED)
    .filter(([old]) => cleaned[old] !== undefined)
    .map(([old, now]) => `${old}: was renamed ${now}; set that instead`)
  const result = configSchema.safeParse(cleaned)
  if (result.success && renamed.length === 0) return result.data
  const issues = result.success ? [] : result.error.issues
  const problems = issues.map((i) => `${String(i.path[0] ?? 'config')}: ${i.message}`)
  throw new ConfigError([...new Set([...renamed, ...problems])])
}
