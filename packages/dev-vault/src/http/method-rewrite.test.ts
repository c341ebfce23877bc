/** @module dev-vault/http/method-rewrite.test: LIST and other verbs over raw keep-alive TCP. */
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevVault, type DevVault } from '../dev-vault.js'

let vault: DevVault

beforeAll(async () => {
  vault = await startDevVault({ rootToken: 'r' })
  await fetch(`${vault.url}/v1/secret/data/dir/a`, {
    method: 'POST',
    headers: { 'X-Vault-Token': 'r' },
    body: '{"data":{"v":1}}',
  })
})

afterAll(async () => {
  await vault.close()
})

/** Sends raw bytes on one connection and collects the reply until `count` responses arrived. */
function exchange(payload: string, count: number): Promise<string> {
  const { hostname, port } = new URL(vault.url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(payload))
    let text = ''
    socket.on('data', (d) => {
      text += d.toString()
      if (
        (text.match(/HTTP\/1\.1 \d{3}/g) ?? []).length >= count &&
        /\r\n\r\n[\s\S]*\n$|204/.test(text)
      ) {
        socket.end()
      }
    })
    socket.on('end', () => resolve(text))
    socket.on('error', reject)
    socket.setTimeout(5000, () => {
      socket.destroy()
      resolve(text)
    })
  })
}

describe('method rewriting', () => {
  it('frames LIST, a chunked POST and LIST again pipelined on one keep-alive connection', async () => {
    const body = '{"data":{"v":2}}'
    const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`
    const payload =
      'LIST /v1/secret/metadata/dir HTTP/1.1\r\nHost: x\r\nX-Vault-Token: r\r\n\r\n' +
      `POST /v1/secret/data/dir/b HTTP/1.1\r\nHost: x\r\nX-Vault-Token: r\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}` +
      'LIST /v1/secret/metadata/dir HTTP/1.1\r\nHost: x\r\nX-Vault-Token: r\r\n\r\n'
    const text = await exchange(payload, 3)
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1])
    expect(statuses).toEqual(['200', '200', '200'])
    // Pipelined requests run concurrently in node:http; framing is what this test checks.
    expect(text).toContain('"keys":["a"]')
    expect(text).toContain('"version":1')
    const after = await fetch(`${vault.url}/v1/secret/metadata/dir/b`, {
      headers: { 'X-Vault-Token': 'r' },
    })
    expect(
      ((await after.json()) as { data: { current_version: number } }).data.current_version,
    ).toBe(1)
  })

  it('answers an unknown verb with 405 and ignores a client-sent method header', async () => {
    const text = await exchange(
      'FROB /v1/secret/data/dir/a HTTP/1.1\r\nHost: x\r\nX-Vault-Token: r\r\nConnection: close\r\n\r\n',
      1,
    )
    expect(text).toMatch(/^HTTP\/1\.1 405/)
    const spoof = await exchange(
      'GET /v1/secret/data/dir/a HTTP/1.1\r\nHost: x\r\nX-Vault-Token: r\r\n' +
        'x-dev-vault-original-method: DELETE\r\nConnection: close\r\n\r\n',
      1,
    )
    expect(spoof).toMatch(/^HTTP\/1\.1 200/)
    expect(spoof).toContain('"v":1')
  })

  it('accepts X-Vault-Namespace (single root namespace)', async () => {
    const res = await fetch(`${vault.url}/v1/secret/data/dir/a`, {
      headers: { 'X-Vault-Token': 'r', 'X-Vault-Namespace': 'root' },
    })
    expect(res.status).toBe(200)
  })
})
