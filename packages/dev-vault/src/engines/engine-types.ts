/** @module dev-vault/engines/engine-types: the engine types that `sys/mounts` and `sys/auth` enable. */
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

/** The engine types `sys/mounts` and `sys/auth` can enable; fixed, like a Vault binary's builtins. */
const ENGINE_TYPES: ReadonlyMap<string, EngineType> = new Map<string, EngineType>([
  ['kv', { table: 'secret', factory: createKvEngine }],
  ['transit', { table: 'secret', factory: createTransitEngine }],
  ['approle', { table: 'auth', factory: createAppRoleEngine }],
  ['jwt', { table: 'auth', factory: createJwtAuthEngine }],
])

/** The engine type named `type`, or undefined. */
export function engineType(type: string): EngineType | undefined {
  return ENGINE_TYPES.get(type)
}
