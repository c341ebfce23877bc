/** @module dev-vault/engines/engine-types: the registry of engine types that `sys/mounts` and `sys/auth` enable. */
import type { EngineFactory } from '../routing/backend.js'
import { createAppRoleEngine } from './approle/approle-engine.js'
import { createJwtAuthEngine } from './jwt/jwt-auth-engine.js'
import { createKvEngine } from './kv/kv-engine.js'
import { createTransitEngine } from './transit/transit-engine.js'

export interface EngineType {
  /** `secret` engines mount under `sys/mounts`, `auth` engines under `sys/auth`. */
  table: 'secret' | 'auth'
  factory: EngineFactory
}

const registry = new Map<string, EngineType>([
  ['kv', { table: 'secret', factory: createKvEngine }],
  ['transit', { table: 'secret', factory: createTransitEngine }],
  ['approle', { table: 'auth', factory: createAppRoleEngine }],
  ['jwt', { table: 'auth', factory: createJwtAuthEngine }],
])

/**
 * Adds (or replaces) an engine type for dev vaults started afterwards. `table` says whether it
 * is enabled through `sys/mounts` (secret engines) or `sys/auth` (auth methods).
 */
export function registerEngineType(
  type: string,
  factory: EngineFactory,
  table: EngineType['table'] = 'secret',
): void {
  registry.set(type, { table, factory })
}

/** The registered engine type, or undefined. */
export function engineType(type: string): EngineType | undefined {
  return registry.get(type)
}
