/**
 * @module test/helpers/cli: the CLI in this process (`main(argv, env, io)`, what most CLI tests
 * use), and spawned from source (`node --import tsx src/main.ts`, or another entry point such as
 * the dev command `scripts/dev.ts`) for the one smoke test per command in *.process.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import type { CliIo, RunOptions } from '../../src/cli/io.js'
import { main } from '../../src/main.js'

/** What a finished command printed, and its exit code. */
export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs `main(args, env, io)` in this process to the end (commands that stop by themselves).
 * Only `env` is the environment: the developer's own VAULT_* never reach the command.
 */
export async function runMain(
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const command = startCommand((io) => main(args, env, io))
  const code = await command.done
  return { code, stdout: command.stdout(), stderr: command.stderr() }
}

/** A command running in this process until {@link RunningCommand.stop}. */
export interface RunningCommand {
  /** stdout and stderr so far, interleaved. */
  output: () => string
  stdout: () => string
  stderr: () => string
  /** Resolves with the first match of `pattern` in the output; rejects if the command ends first. */
  waitFor: (pattern: RegExp) => Promise<RegExpExecArray>
  /** Resolves the command's `until` (what SIGTERM does to the process) and returns its exit code. */
  stop: (reason?: string) => Promise<number>
  /** The command's own result: its exit code, or what it threw. */
  done: Promise<number>
}

/** Starts `main(args, env, io, options)` in this process; `serve` and `stdio` run until stopped. */
export function startMain(
  args: string[],
  env: Record<string, string> = {},
  options: Omit<RunOptions, 'until'> = {},
): RunningCommand {
  return startCommand((io, until) => main(args, env, io, { ...options, until }))
}

/**
 * Runs a command function with an `io` that records its output and an `until` that resolves on
 * `stop()`: the in-process stand-in for a spawned process and its SIGTERM.
 */
export function startCommand(
  run: (io: CliIo, until: () => Promise<string>) => Promise<number>,
): RunningCommand {
  let out = ''
  let stdout = ''
  let stderr = ''
  const listeners = new Set<() => void>()
  const write = (text: string, stream: 'stdout' | 'stderr') => {
    out += text
    if (stream === 'stdout') stdout += text
    else stderr += text
    for (const l of listeners) l()
  }
  const io: CliIo = {
    stdout: (text) => write(text, 'stdout'),
    stderr: (text) => write(text, 'stderr'),
  }
  let requestStop: (reason: string) => void = () => {}
  const stopRequested = new Promise<string>((resolve) => (requestStop = resolve))
  const done = Promise.resolve().then(() => run(io, () => stopRequested))
  const ended = done.then(
    () => undefined,
    () => undefined,
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
      void ended.then(() => reject(new Error(`command ended before ${pattern}:\n${out}`)))
    })
  return {
    output: () => out,
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor,
    stop: (reason = 'test stop') => {
      requestStop(reason)
      return done
    },
    done,
  }
}

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
