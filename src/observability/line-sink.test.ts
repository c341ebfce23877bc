/** @module observability/line-sink tests: asynchronous appends, the bounded queue (drop or block), flush and close. */
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createLineSink } from './line-sink.js'

const fileIn = () => join(mkdtempSync(join(tmpdir(), 'line-sink-')), 'out.log')
const lineOf = (i: number) => `${JSON.stringify({ i, pad: 'x'.repeat(40) })}\n`
const readLines = (file: string) => readFileSync(file, 'utf8').trimEnd().split('\n')

describe('createLineSink', () => {
  it('appends every line in order, off the caller, to a file created 0600', async () => {
    const file = fileIn()
    const sink = createLineSink({ dest: file, overflow: 'block' })
    for (let i = 0; i < 2000; i++) sink.write(lineOf(i))
    // Nothing waited for the disk: the lines are still queued when write returns.
    expect(readFileSync(file, 'utf8').length).toBeLessThan(2000 * lineOf(0).length)
    await sink.flush()
    expect(readLines(file)).toHaveLength(2000)
    await sink.close()
    const lines = readLines(file)
    expect(lines.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual(
      Array.from({ length: 2000 }, (_, i) => i),
    )
    expect(statSync(file).mode & 0o777).toBe(0o600)
    // Closed: later lines are dropped, not thrown.
    sink.write(lineOf(9999))
    expect(readLines(file)).toHaveLength(2000)
  })

  it('blocks rather than losing a line when the queue is full', async () => {
    const file = fileIn()
    const sink = createLineSink({ dest: file, overflow: 'block', maxQueuedBytes: 512 })
    for (let i = 0; i < 5000; i++) sink.write(lineOf(i))
    await sink.close()
    const seen = readLines(file).map((l) => (JSON.parse(l) as { i: number }).i)
    expect(new Set(seen).size).toBe(5000)
    expect(seen).toHaveLength(5000)
  })

  it('drops and counts lines past the bound under overflow "drop", keeping whole lines', async () => {
    const file = fileIn()
    let dropped = 0
    const sink = createLineSink({
      dest: file,
      overflow: 'drop',
      maxQueuedBytes: 512,
      onDrop: () => (dropped += 1),
    })
    for (let i = 0; i < 5000; i++) sink.write(lineOf(i))
    await sink.close()
    const lines = readLines(file)
    expect(dropped).toBeGreaterThan(0)
    expect(lines.length + dropped).toBe(5000)
    for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow()
  })

  it('fails at once for a file that cannot be opened', () => {
    expect(() =>
      createLineSink({ dest: join(fileIn(), 'no-such-dir', 'x.log'), overflow: 'block' }),
    ).toThrow(/ENOENT|ENOTDIR/)
  })
})
