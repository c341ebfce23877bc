/** @module dev-vault/cli.test: `dev-vault` argument parsing and banner. */
import { describe, expect, it } from 'vitest'
import { devVaultBanner, DevVaultUsageError, parseDevVaultArgs } from './cli.js'

describe('parseDevVaultArgs', () => {
  it('defaults to 127.0.0.1:8200 with a generated root token', () => {
    expect(parseDevVaultArgs([])).toEqual({ port: 8200, host: '127.0.0.1' })
  })

  it('reads --port and --root-token', () => {
    expect(parseDevVaultArgs(['--port', '0', '--root-token', 'root'])).toEqual({
      port: 0,
      host: '127.0.0.1',
      rootToken: 'root',
    })
  })

  it('refuses unknown options, bad ports and an empty token', () => {
    expect(() => parseDevVaultArgs(['--nope'])).toThrow(DevVaultUsageError)
    expect(() => parseDevVaultArgs(['--port', 'http'])).toThrow(DevVaultUsageError)
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
