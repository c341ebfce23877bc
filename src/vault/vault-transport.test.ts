/** @module vault/vault-transport tests: the origin guard, the whole-call timeout, reopening. */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createVaultTransport, VaultTransportError } from './vault-transport.js'

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((r) => s.close(r))
  }
})

/**
 * A server on 127.0.0.1:0 recording request paths and how many connections closed; it answers
 * `{"ok":true}`, or never when silent.
 */
async function server(
  silent = false,
): Promise<{ url: string; paths: string[]; closed: () => number }> {
  const paths: string[] = []
  let closed = 0
  const s = createServer((req, res) => {
    paths.push(req.url ?? '')
    req.resume()
    if (silent) return
    req.on('end', () =>
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}'),
    )
  })
  s.on('connection', (socket) => socket.once('close', () => closed++))
  servers.push(s)
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    paths,
    closed: () => closed,
  }
}

const transportTo = (address: string, over: { timeoutMs?: number; connections?: number } = {}) =>
  createVaultTransport({
    address,
    tls: { rejectUnauthorized: true },
    timeoutMs: over.timeoutMs ?? 2000,
    connections: over.connections ?? 4,
    idleMs: 30_000,
  })

describe('createVaultTransport', () => {
  it('answers with the status, the parsed JSON and the path without its query', async () => {
    const vault = await server()
    const transport = transportTo(vault.url)
    const res = await transport.defaults()({
      method: 'GET',
      uri: `${vault.url}/v1/sys/x?list=true`,
    })
    transport.close()
    expect(res).toEqual({ statusCode: 200, body: { ok: true }, request: { path: '/v1/sys/x' } })
    expect(vault.paths).toEqual(['/v1/sys/x?list=true'])
  })

  it('refuses a URI outside VAULT_ADDR before sending anything', async () => {
    const vault = await server()
    const elsewhere = await server()
    const transport = transportTo(vault.url)
    const send = transport.defaults()
    for (const uri of [
      `${elsewhere.url}/v1/secret/data/a`,
      // A longer port that starts with VAULT_ADDR's is another origin.
      `${vault.url}0/v1/secret/data/a`,
      `${vault.url}@127.0.0.1/v1/secret/data/a`,
    ]) {
      await expect(send({ method: 'GET', uri })).rejects.toBeInstanceOf(TypeError)
    }
    transport.close()
    expect(vault.paths).toEqual([])
    expect(elsewhere.paths).toEqual([])
  })

  it('times out a call still queued for a connection, and never sends it later', async () => {
    const vault = await server(true)
    const transport = transportTo(vault.url, { timeoutMs: 200, connections: 1 })
    const send = transport.defaults()
    const first = send({ method: 'GET', uri: `${vault.url}/v1/first` }).catch((e: unknown) => e)
    const queued = send({ method: 'GET', uri: `${vault.url}/v1/queued` }).catch((e: unknown) => e)
    for (const err of await Promise.all([first, queued])) {
      expect(err).toBeInstanceOf(VaultTransportError)
      expect((err as VaultTransportError).code).toBe('ECONNABORTED')
    }
    // undici closes the silent connection on its own (coarser) timeout, which frees the pool for
    // the queued call: it must stay unsent then too.
    for (let i = 0; i < 100 && vault.closed() === 0; i++) {
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(vault.closed()).toBeGreaterThanOrEqual(1)
    await new Promise((r) => setTimeout(r, 300))
    transport.close()
    expect(vault.paths).toEqual(['/v1/first'])
  })

  it('maps a refused connection to its socket code', async () => {
    const vault = await server()
    const { url } = vault
    servers.splice(0)[0]!.close()
    const transport = transportTo(url)
    const err = await transport
      .defaults()({ method: 'GET', uri: `${url}/v1/x` })
      .catch((e: unknown) => e)
    transport.close()
    expect(err).toBeInstanceOf(VaultTransportError)
    expect((err as VaultTransportError).code).toBe('ECONNREFUSED')
  })

  it('opens a new pool for a call made after close()', async () => {
    const vault = await server()
    const transport = transportTo(vault.url)
    const send = transport.defaults()
    await send({ method: 'GET', uri: `${vault.url}/v1/a` })
    transport.close()
    const again = await send({ method: 'POST', uri: `${vault.url}/v1/b`, json: { x: 1 } })
    transport.close()
    expect(again.statusCode).toBe(200)
    expect(vault.paths).toEqual(['/v1/a', '/v1/b'])
  })
})
