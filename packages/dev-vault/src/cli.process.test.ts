/** @module dev-vault/cli.process.test: the `dev-vault` bin as a real process: exit codes and streams. */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { DEV_VAULT_USAGE } from './cli.js'

describe('the dev-vault bin (spawned once)', () => {
  const bin = join(import.meta.dirname, '..', 'bin', 'dev-vault.js')
  const run = promisify(execFile)

  it('prints --help on stdout with exit 0, and exits 2 on an unknown option', async () => {
    const help = await run(process.execPath, [bin, '--help'])
    expect(help.stdout).toBe(DEV_VAULT_USAGE)
    const bad = await run(process.execPath, [bin, '--frobnicate']).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    )
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--frobnicate')
  }, 30_000)
})
