/** @module scripts/bench/load tests: the seeded order of the bench's rounds. */
import { describe, expect, it } from 'vitest'
import { groupedOrder, shuffled } from './load.js'

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

describe('groupedOrder', () => {
  const scenarios = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((id) => ({ id }))
  // a-b, b-c and d-e are compared by targets; f, g and h by none.
  const pairs: [string, string][] = [
    ['a', 'b'],
    ['c', 'b'],
    ['d', 'e'],
    ['x', 'f'],
  ]
  const positions = (order: { id: string }[]) => new Map(order.map((s, i) => [s.id, i]))

  it('runs every scenario once, and a linked group back to back, in every round', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const order = groupedOrder(scenarios, pairs, seed)
      expect(order.map((s) => s.id).sort()).toEqual(scenarios.map((s) => s.id))
      const at = positions(order)
      const span = (ids: string[]) =>
        Math.max(...ids.map((id) => at.get(id)!)) - Math.min(...ids.map((id) => at.get(id)!))
      expect(span(['a', 'b', 'c'])).toBe(2)
      expect(span(['d', 'e'])).toBe(1)
      expect(groupedOrder(scenarios, pairs, seed)).toEqual(order)
    }
  })

  it('changes the order of the groups and within them from round to round', () => {
    const orders = new Set(
      Array.from({ length: 6 }, (_, i) =>
        groupedOrder(scenarios, pairs, i + 1)
          .map((s) => s.id)
          .join(''),
      ),
    )
    expect(orders.size).toBeGreaterThanOrEqual(5)
    const firstOfGroup = new Set(
      Array.from(
        { length: 12 },
        (_, i) => groupedOrder(scenarios, pairs, i + 1).find((s) => 'abc'.includes(s.id))!.id,
      ),
    )
    expect(firstOfGroup.size).toBe(3)
  })
})
