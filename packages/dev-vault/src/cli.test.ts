/**
 * @module dev-vault/cli.test: the `dev-vault` command in process: arguments, help, banner, exit
 * codes, serving until stopped. The bin as a real process: cli.process.test.ts.
 */
import { describe, expect, it } from 'vitest'
import {
  DEV_VAULT_USAGE,
  devVaultBanner,
  DevVaultUsageError,
  parseDevVaultArgs,
  runDevVaultCli,
} from './cli.js'

const capture = () => {
  const out = { stdout: '', stderr: '' }
  return {
    out,
    io: {
      stdout: (t: string) => void (out.stdout += t),
      stderr: (t: string) => void (out.stderr += t),
    },
  }
}

describe('parseDevVaultArgs', () => {
  it('defaults to 127.0.0.1:8200 with a generated root token', () => {
    expect(parseDevVaultArgs([])).toEqual({ port: 8200, host: '127.0.0.1', help: false })
  })

  it('reads --port and --root-token', () => {
    expect(parseDevVaultArgs(['--port', '0', '--root-token', 'root'])).toEqual({
      port: 0,
      host: '127.0.0.1',
      rootToken: 'root',
      help: false,
    })
  })

  it('refuses unknown options, bad ports and an empty token', () => {
    expect(() => parseDevVaultArgs(['--nope'])).toThrow(DevVaultUsageError)
    expect(() => parseDevVaultArgs(['--port', 'http'])).toThrow(DevVaultUsageError)
    expect(() => parseDevVaultArgs(['--port', ''])).toThrow(DevVaultUsageError)
    expect(() => parseDevVaultArgs(['--port', '70000'])).toThrow(DevVaultUsageError)
    expect(() => parseDevVaultArgs(['--root-token', ' '])).toThrow(DevVaultUsageError)
  })
})

describe('devVaultBanner', () => {
  it('says loudly that data is lost and shows address and token', () => {
    const b = devVaultBanner('http://127.0.0.1:8200', 'root')
    expect(b).toContain('LOST ON EXIT')
    expect(b).toContain("VAULT_ADDR='http://127.0.0.1:8200'")
    expect(b).toContain("VAULT_TOKEN='root'")
  })
})

describe('runDevVaultCli', () => {
  it('prints its own usage on stdout for --help and -h, and exits 0', async () => {
    for (const flag of ['--help', '-h']) {
      const { out, io } = capture()
      expect(await runDevVaultCli([flag], io)).toBe(0)
      expect(out.stdout).toBe(DEV_VAULT_USAGE)
      expect(out.stderr).toBe('')
    }
  })

  it('refuses unknown options and positionals with exit 2 and the usage on stderr', async () => {
    for (const argv of [['--nope'], ['serve'], ['--port', 'x']]) {
      const { out, io } = capture()
      expect(await runDevVaultCli(argv, io)).toBe(2)
      expect(out.stdout).toBe('')
      expect(out.stderr).toContain('Usage: dev-vault')
    }
  })

  it("refuses a root token id Vault would refuse (a '.' or its own prefix) with exit 2", async () => {
    for (const [id, why] of [
      ['hvs.mine', "cannot have the 'hvs.' prefix"],
      ['team.root', "cannot have a '.' in the value"],
    ]) {
      const { out, io } = capture()
      expect(await runDevVaultCli(['--port', '0', '--root-token', id!], io)).toBe(2)
      expect(out.stderr).toContain(`dev-vault: --root-token: custom token ID ${why}`)
      expect(out.stdout).toBe('')
    }
  })

  it('serves until stopped, with the given root token, then closes', async () => {
    const { out, io } = capture()
    let stop!: () => void
    const stopped = new Promise<void>((resolve) => (stop = resolve))
    const run = runDevVaultCli(['--port', '0', '--root-token', 'cli-root'], io, () => stopped)
    await expect.poll(() => out.stderr).toContain('Root token:  cli-root')
    const url = /Address: +(\S+)/.exec(out.stderr)?.[1] ?? ''
    const look = await fetch(`${url}/v1/auth/token/lookup-self`, {
      headers: { 'X-Vault-Token': 'cli-root' },
    })
    expect(look.status).toBe(200)
    stop()
    expect(await run).toBe(0)
    await expect(fetch(`${url}/v1/sys/health`)).rejects.toThrow()
  })
})
