/**
 * @module test/helpers/redis-server: a real redis-server (Debian's, installed in CI by
 * scripts/ci/install-redis.sh) on a loopback port, for the suites that share state through Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { inCi, installed } from './external-tools.js'

/**
 * Whether the Redis suites run: redis-server is installed, or this is CI (where a missing binary
 * must fail the suite instead of hiding it). Skipped only on a developer machine without it.
 */
export const redisSuitesRun = installed('redis-server') || inCi()

/** Starts redis-server on 127.0.0.1:`port` without persistence; resolves once it accepts. */
export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  await new Promise<void>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000)
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited with ${code}: ${out}`))
    })
  })
  return child
}

/** Kills it and waits for the exit (at once when it has already exited). */
export const stopRedis = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
