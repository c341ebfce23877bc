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

/** What a command (or process) printed so far, and a way to wait for a line of it. */
interface OutputRecorder {
  write: (text: string, stream: 'stdout' | 'stderr') => void
  output: () => string
  stdout: () => string
  stderr: () => string
  /** Resolves with the first match of `pattern`; rejects once `ended` settles without one. */
  waitFor: (pattern: RegExp) => Promise<RegExpExecArray>
}

function recordOutput(ended: Promise<unknown>, what: string): OutputRecorder {
  let out = ''
  let stdout = ''
  let stderr = ''
  const listeners = new Set<() => void>()
  const settled = ended.then(
    () => undefined,
    () => undefined,
  )
  return {
    write(text, stream) {
      out += text
      if (stream === 'stdout') stdout += text
      else stderr += text
      for (const l of listeners) l()
    },
    output: () => out,
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor: (pattern) =>
      new Promise<RegExpExecArray>((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out)
          if (!m) return
          listeners.delete(check)
          resolve(m)
        }
        listeners.add(check)
        check()
        void settled.then(() => reject(new Error(`${what} ended before ${pattern}:\n${out}`)))
      }),
  }
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
  let requestStop: (reason: string) => void = () => {}
  const stopRequested = new Promise<string>((resolve) => (requestStop = resolve))
  let settle: () => void = () => {}
  const recorder = recordOutput(new Promise<void>((resolve) => (settle = resolve)), 'command')
  const io: CliIo = {
    stdout: (text) => recorder.write(text, 'stdout'),
    stderr: (text) => recorder.write(text, 'stderr'),
  }
  const done = Promise.resolve().then(() => run(io, () => stopRequested))
  void done.then(settle, settle)
  const { write: _write, ...output } = recorder
  return {
    ...output,
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
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve(code))
  })
  const recorder = recordOutput(exited, 'CLI')
  child.stdout!.on('data', (d: Buffer) => recorder.write(d.toString(), 'stdout'))
  child.stderr!.on('data', (d: Buffer) => recorder.write(d.toString(), 'stderr'))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  void exited.then(
    () => clearTimeout(timer),
    () => clearTimeout(timer),
  )
  const { write: _write, ...output } = recorder
  return { child, exited, ...output }
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
