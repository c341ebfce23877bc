/**
 * @module test/helpers/cli: spawn the real CLI from source (`node --import tsx src/main.ts`), or
 * another entry point such as the dev command (`scripts/dev.ts`).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..', '..')

export interface CliProcess {
  child: ChildProcess
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>
  /** stdout and stderr so far, interleaved. */
  output: () => string
  stdout: () => string
  stderr: () => string
  /** Resolves with the first match of `pattern` in the output; rejects if the CLI exits first. */
  waitFor: (pattern: RegExp) => Promise<RegExpExecArray>
}

/**
 * Spawns the CLI with a clean environment: only PATH plus `env`, so that the developer's own
 * VAULT_* or API_KEYS_JSON never leak into a test. Killed after `timeoutMs` at the latest.
 */
export function spawnCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): CliProcess {
  return spawnScript('src/main.ts', args, env, timeoutMs)
}

/** Spawns `script` (a path from the repository root) like {@link spawnCli}. */
export function spawnScript(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let stdout = ''
  let stderr = ''
  const listeners = new Set<() => void>()
  const onData = (d: Buffer, stream: 'stdout' | 'stderr') => {
    out += d
    if (stream === 'stdout') stdout += d
    else stderr += d
    for (const l of listeners) l()
  }
  child.stdout!.on('data', (d: Buffer) => onData(d, 'stdout'))
  child.stderr!.on('data', (d: Buffer) => onData(d, 'stderr'))
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve(code))
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  void exited.then(
    () => clearTimeout(timer),
    () => clearTimeout(timer),
  )
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(out)
        if (!m) return
        listeners.delete(check)
        resolve(m)
      }
      listeners.add(check)
      check()
      void exited.then(() => reject(new Error(`CLI exited before ${pattern}:\n${out}`)))
    })
  return {
    child,
    exited,
    output: () => out,
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor,
  }
}

/** Runs the CLI to completion. */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawnCli(args, env, 30_000)
  const code = await p.exited
  return { code, stdout: p.stdout(), stderr: p.stderr() }
}
