/** @module http/server tests: the TLS listener's files fail at startup with the variable named. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { StartupError } from '../config/startup-error.js'
import { readTlsMaterial, startHttpServer } from './server.js'

const dir = mkdtempSync(join(tmpdir(), 'vmb-server-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the TLS listener', () => {
  it('names the variable whose file cannot be read, not the path', () => {
    const err = (() => {
      try {
        readTlsMaterial({
          certFile: '/nonexistent/secret-path.crt',
          keyFile: '/nonexistent/k',
          clientCaFile: undefined,
        })
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(StartupError)
    expect((err as StartupError).message).toContain('TLS_CERT_FILE')
    expect((err as StartupError).message).not.toContain('secret-path')
  })

  it('refuses material that is not a certificate and its key, as a startup error', async () => {
    writeFileSync(join(dir, 'bad.pem'), 'not PEM at all')
    // Checked when the files are read (before Vault is contacted)...
    const read = (() => {
      try {
        return readTlsMaterial({
          certFile: join(dir, 'bad.pem'),
          keyFile: join(dir, 'bad.pem'),
          clientCaFile: undefined,
        })
      } catch (e) {
        return e
      }
    })()
    expect(read).toBeInstanceOf(StartupError)
    expect((read as StartupError).message).toMatch(/TLS_CERT_FILE/)
    // ...and again by the listener itself, for material that did not come from files.
    const tls = { cert: Buffer.from('not PEM at all'), key: Buffer.from('not PEM at all') }
    const err = await startHttpServer({
      fetch: () => new Response('x'),
      host: '127.0.0.1',
      port: 0,
      tls,
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StartupError)
    expect((err as StartupError).message).toMatch(/TLS_CERT_FILE and TLS_KEY_FILE/)
  })
})
