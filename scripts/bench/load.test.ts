/** @module scripts/bench/load tests: the seeded order of the bench's rounds. */
import { describe, expect, it } from 'vitest'
import { shuffled } from './load.js'

const ids = Array.from({ length: 17 }, (_, i) => `s${i}`)
/** Which scenario runs right after each one, in `order`. */
const successors = (order: string[]) => new Map(order.map((id, i) => [id, order[i + 1]]))

describe('shuffled', () => {
  it('is a permutation, the same for the same seed', () => {
    for (const seed of [1, 2, 3]) {
      const order = shuffled(ids, seed)
      expect([...order].sort()).toEqual([...ids].sort())
      expect(shuffled(ids, seed)).toEqual(order)
    }
    expect(ids).toEqual(Array.from({ length: 17 }, (_, i) => `s${i}`))
  })

  it('gives most scenarios another neighbour than the table order and than each other', () => {
    const orders = [ids, shuffled(ids, 1), shuffled(ids, 2)]
    for (let a = 0; a < orders.length; a++) {
      for (let b = a + 1; b < orders.length; b++) {
        const before = successors(orders[a]!)
        const after = successors(orders[b]!)
        const same = ids.filter((id) => before.get(id) === after.get(id)).length
        expect(same).toBeLessThanOrEqual(3)
      }
    }
  })
})
