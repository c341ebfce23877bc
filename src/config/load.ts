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
 * Parses the environment into a `Config`.
 * @throws ConfigError with one line per problem (variable name, what is wrong, what is right).
 *   Messages never contain the value given.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset", as in most shells' `VAR= cmd`.
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  )
  const result = configSchema.safeParse(cleaned)
  if (result.success) return result.data
  const problems = result.error.issues.map((i) => `${String(i.path[0] ?? 'config')}: ${i.message}`)
  throw new ConfigError([...new Set(problems)])
}
