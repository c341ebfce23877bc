/** @module dev-vault/engines/identity/identity-engine: the `identity/` mount: entities by id (read, delete). */
import type { Engine, EngineResponse } from '../../routing/backend.js'
import { timestampString } from '../../encoding/go-time.js'
import { dispatch, GENERIC_NAME, type Route } from '../engine-routes.js'
import type { Entity, IdentityStore } from './identity-store.js'

/** The mount an alias names, while it is still mounted (`ValidateMountByAccessor`). */
export type MountByAccessor = (accessor: string) => { type: string; path: string } | undefined

/** `handleEntityReadCommon`'s data: Go maps, so the keys render sorted. */
function entityData(e: Entity, mountOf: MountByAccessor): Record<string, unknown> {
  return {
    aliases: e.aliases.map((a) => {
      const mount = mountOf(a.mountAccessor)
      return {
        canonical_id: a.canonicalId,
        creation_time: timestampString(a.creationTime),
        custom_metadata: null,
        id: a.id,
        last_update_time: timestampString(a.lastUpdateTime),
        local: false,
        merged_from_canonical_ids: null,
        metadata: a.metadata,
        mount_accessor: a.mountAccessor,
        name: a.name,
        ...(mount ? { mount_path: mount.path, mount_type: mount.type } : {}),
      }
    }),
    creation_time: timestampString(e.creationTime),
    direct_group_ids: [],
    disabled: false,
    group_ids: [],
    id: e.id,
    inherited_group_ids: [],
    last_update_time: timestampString(e.lastUpdateTime),
    merged_entity_ids: null,
    metadata: null,
    name: e.name,
    namespace_id: 'root',
    policies: [],
  }
}

/**
 * The identity store's HTTP side, as far as the bridge's tests need it: `entity/id/:id` read
 * (404 when absent) and delete (204, also when absent). Entities are made by logins.
 */
export function createIdentityEngine(store: IdentityStore, mountOf: MountByAccessor): Engine {
  const routes: Route[] = [
    {
      pattern: new RegExp(`^entity/id/${GENERIC_NAME}$`),
      ops: {
        read: (m): EngineResponse => {
          const e = store.get(m[1] as string)
          return e ? { kind: 'envelope', data: entityData(e, mountOf) } : { kind: 'envelope' }
        },
        delete: (m): EngineResponse => {
          store.delete(m[1] as string)
          return { kind: 'envelope' }
        },
      },
    },
  ]
  return { type: 'identity', handle: (req) => dispatch(routes, req) }
}
