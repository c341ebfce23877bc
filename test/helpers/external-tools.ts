/**
 * @module test/helpers/external-tools: whether a suite that needs a program from outside npm
 * (nginx, redis-server, promtool, jq) runs here. On a developer machine without the program the
 * suite is skipped, and says so; in CI (`CI` set, as `.ci/run` sets it) it always runs, so that a
 * missing program fails the suite instead of hiding it.
 */
import { spawnSync } from 'node:child_process'

/** Whether this is CI: `CI` set to anything but empty, `0` or `false`. */
export const inCi = (env: NodeJS.ProcessEnv = process.env): boolean =>
  !['', '0', 'false'].includes((env.CI ?? '').toLowerCase())

/** Whether `command args` runs and exits 0 (a program is installed). */
export const installed = (command: string, args: string[] = ['--version']): boolean =>
  spawnSync(command, args, { stdio: 'ignore' }).status === 0

/**
 * Whether the suite `name` runs: the program is installed, or this is CI. A skip is reported on
 * stderr with `hint` (how to install it).
 */
export function suiteRuns(
  name: string,
  programInstalled: boolean,
  hint: string,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (programInstalled || inCi(env)) return true
  console.warn(`SKIPPED ${name}: ${hint}`)
  return false
}
