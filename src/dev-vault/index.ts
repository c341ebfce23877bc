/** @module dev-vault/index: start the in-memory, Vault-API-compatible dev server. */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { newServiceToken } from './ids.js'

export interface DevVaultOptions {
  port?: number
  host?: string
  rootToken?: string
  /** Current time in ms; defaults to `Date.now`. */
  clock?: () => number
}

export interface DevVault {
  /** Base address without `/v1`, e.g. `http://127.0.0.1:41234`. */
  url: string
  rootToken: string
  close(): Promise<void>
}

/** Starts a dev vault (work in progress: only sys/health answers yet). */
export async function startDevVault(options: DevVaultOptions = {}): Promise<DevVault> {
  const rootToken = options.rootToken ?? newServiceToken()
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.end('{"initialized":true,"sealed":false,"standby":false}')
  })
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  )
  const addr = server.address() as AddressInfo
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${addr.port}`,
    rootToken,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  }
}
