/**
 * @module scripts/bench/limits-memory: the memory of the in-memory rate-limit counter tables at
 * their key cap (DEFAULT_MAX_KEYS), measured on the heap after full collections in a process of
 * its own (started with --expose-gc), and what more distinct keys past the cap add (nothing but
 * noise, if the cap holds). The functional tests of expiry and the cap are in
 * src/limits/rate-limits.test.ts.
 */
import { spawn } from 'node:child_process'
import { createLogger } from '../../src/observability/logger.js'
import { DEFAULT_MAX_KEYS, createRateLimits } from '../../src/limits/rate-limits.js'

export interface LimitsMemory {
  maxKeys: number
  /** Heap growth from an empty table to one at its cap (agents table and address table alike). */
  atCapBytes: number
  bytesPerKey: number
  /** Distinct keys added past the cap, and the heap growth they caused. */
  pastCapKeys: number
  pastCapBytes: number
  /** The address (auth-failure) table at its cap. */
  addressesAtCapBytes: number
}

const ROOT = new URL('../../', import.meta.url).pathname

/** Runs the measurement in a child process and returns its figures. */
export async function runLimitsMemory(): Promise<LimitsMemory> {
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'scripts/bench/limits-memory.ts', '--child'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  )
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`limits-memory exited ${code}`)
  return JSON.parse(out) as LimitsMemory
}

async function measure(): Promise<LimitsMemory> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('run with --expose-gc')
  const heap = () => {
    gc()
    gc()
    return process.memoryUsage().heapUsed
  }
  const maxKeys = DEFAULT_MAX_KEYS
  const window = { requests: 5, windowSeconds: 3600 }
  const limits = createRateLimits(
    {
      enabled: true,
      ...window,
      overrides: {},
      redisUrl: undefined,
      authFailures: window,
    },
    createLogger({ level: 'silent' }),
  )
  await limits.consumeAgent('warm-up')
  await limits.recordAuthFailure('192.0.2.1')
  const before = heap()
  for (let i = 0; i < maxKeys; i++) await limits.consumeAgent(`agent-${i}`)
  const atCap = heap()
  const pastCapKeys = maxKeys / 2
  for (let i = 0; i < pastCapKeys; i++) await limits.consumeAgent(`more-${i}`)
  const pastCap = heap()
  for (let i = 0; i < maxKeys; i++) {
    await limits.recordAuthFailure(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)
  }
  const addresses = heap()
  await limits.close()
  return {
    maxKeys,
    atCapBytes: atCap - before,
    bytesPerKey: (atCap - before) / maxKeys,
    pastCapKeys,
    pastCapBytes: pastCap - atCap,
    addressesAtCapBytes: addresses - pastCap,
  }
}

if (process.argv.includes('--child')) {
  process.stdout.write(`${JSON.stringify(await measure())}\n`)
  process.exit(0)
}
