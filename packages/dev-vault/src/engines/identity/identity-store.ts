/** @module dev-vault/engines/identity/identity-store: entities and their aliases, as logins create them. */
import { randomBytes } from 'node:crypto'
import { goUuid } from '../../routing/ids.js'

/** An entity alias: the identity a login method gives (a JWT's user claim, an AppRole's role ID). */
export interface EntityAlias {
  id: string
  canonicalId: string
  name: string
  mountAccessor: string
  mountType: string
  mountPath: string
  metadata: Record<string, string>
  /** ms */
  creationTime: number
  lastUpdateTime: number
}

export interface Entity {
  id: string
  name: string
  /** ms */
  creationTime: number
  lastUpdateTime: number
  aliases: EntityAlias[]
}

/** What a login tells the core about the identity it authenticated. */
export interface AliasInput {
  name: string
  metadata: Record<string, string>
  mountAccessor: string
  mountType: string
  mountPath: string
}

export interface IdentityStore {
  /**
   * `CreateOrFetchEntity`: the entity whose alias on this mount has this name, with the alias
   * metadata brought up to date; else a new entity (`entity_<8 hex>`) with that one alias.
   */
  createOrFetchEntity(alias: AliasInput): Entity
  get(id: string): Entity | undefined
  /** Deletes an entity and its aliases; false when there was none. */
  delete(id: string): boolean
}

const sameMetadata = (a: Record<string, string>, b: Record<string, string>): boolean => {
  const ka = Object.keys(a)
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k])
}

/** An empty identity store on the given clock. */
export function createIdentityStore(now: () => number): IdentityStore {
  const entities = new Map<string, Entity>()
  const names = new Set<string>()

  const byAlias = (accessor: string, name: string): [Entity, EntityAlias] | undefined => {
    for (const e of entities.values()) {
      const alias = e.aliases.find((a) => a.mountAccessor === accessor && a.name === name)
      if (alias) return [e, alias]
    }
    return undefined
  }

  return {
    createOrFetchEntity(input) {
      const found = byAlias(input.mountAccessor, input.name)
      if (found) {
        const [entity, alias] = found
        if (!sameMetadata(alias.metadata, input.metadata)) {
          alias.metadata = { ...input.metadata }
          alias.lastUpdateTime = now()
          entity.lastUpdateTime = alias.lastUpdateTime
        }
        return entity
      }
      let name: string
      do name = `entity_${randomBytes(4).toString('hex')}`
      while (names.has(name))
      const created = now()
      const id = goUuid()
      const entity: Entity = {
        id,
        name,
        creationTime: created,
        lastUpdateTime: created,
        aliases: [
          {
            id: goUuid(),
            canonicalId: id,
            name: input.name,
            mountAccessor: input.mountAccessor,
            mountType: input.mountType,
            mountPath: input.mountPath,
            metadata: { ...input.metadata },
            creationTime: created,
            lastUpdateTime: created,
          },
        ],
      }
      entities.set(id, entity)
      names.add(name)
      return entity
    },
    get: (id) => entities.get(id),
    delete(id) {
      const entity = entities.get(id)
      if (!entity) return false
      entities.delete(id)
      names.delete(entity.name)
      return true
    },
  }
}
