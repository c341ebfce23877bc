/** @module cli/signals tests: the first SIGTERM or SIGINT stops gracefully, a second one exits 1. */
import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { untilSignal } from './signals.js'

describe('untilSignal', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'resolves with %s, then exits 1 on a second signal of either kind',
    async (first) => {
      for (const second of ['SIGTERM', 'SIGINT'] as const) {
        const source = new EventEmitter()
        const exits: number[] = []
        const stopped = untilSignal(source, (code) => void exits.push(code))
        source.emit(first, first)
        expect(await stopped).toBe(first)
        expect(exits).toEqual([])
        source.emit(second, second)
        expect(exits).toEqual([1])
        // Exactly one handler per signal is left: the one that exits.
        expect(source.listenerCount('SIGTERM') + source.listenerCount('SIGINT')).toBe(1)
      }
    },
  )

  it('waits: nothing but SIGTERM or SIGINT stops it', async () => {
    const source = new EventEmitter()
    let resolved = false
    void untilSignal(source, () => undefined).then(() => (resolved = true))
    source.emit('SIGHUP', 'SIGHUP')
    source.emit('SIGUSR2', 'SIGUSR2')
    await Promise.resolve()
    expect(resolved).toBe(false)
    expect(source.listenerCount('SIGTERM')).toBe(1)
    expect(source.listenerCount('SIGINT')).toBe(1)
  })
})
