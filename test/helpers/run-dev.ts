/**
 * @module test/helpers/run-dev: scripts/run_dev.sh as a user runs it (its own process group, only
 * PATH and HOME from this environment, and no env file of a running `npm start`), and a loopback server that answers sys/health as a real
 * Vault does (there is no Vault binary), recording every request it gets.
 */
import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..', '..')

export interface RunDevResult {
  code: number | null
  stderr: string
  stdout: string
  /** Whether `ready` answered 200 before the script was stopped. */
  ready: boolean
}

/** Runs run_dev.sh until it exits, or until `ready` answers (then stops it); 45 s at most. */
export function runDev(env: Record<string, string>, ready?: string): Promise<RunDevResult> {
  const child = spawn('bash', [join(root, 'scripts', 'run_dev.sh')], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      // Not the env file of a developer's running `npm start`: the scripts' built-in credentials.
      DEV_ENV_FILE: '/nonexistent/bridge.env',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  return new Promise((resolve) => {
    let readyNow = false
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 45_000)
    let poll: NodeJS.Timeout | undefined
    if (ready) {
      poll = setInterval(() => {
        void fetch(ready).then(
          (r) => {
            if (!r.ok || readyNow) return
            readyNow = true
            process.kill(-child.pid!, 'SIGTERM')
          },
          () => undefined,
        )
      }, 200)
    }
    child.on('close', (code) => {
      clearTimeout(timer)
      clearInterval(poll)
      resolve({ code, stdout, stderr, ready: readyNow })
    })
  })
}

export interface FakeRealVault {
  server: Server
  url: string
  /** The request paths it got, in order. */
  paths: string[]
}

/** A loopback server that answers like a real Vault's sys/health (and 403 to anything else). */
export function fakeRealVault(): Promise<FakeRealVault> {
  const paths: string[] = []
  const server = createServer((req, res) => {
    paths.push(req.url ?? '')
    if (req.url?.startsWith('/v1/sys/health')) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ initialized: true, sealed: false, version: '1.20.4' }))
      return
    }
    res.writeHead(403, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ errors: ['permission denied'] }))
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({ server, url: `http://127.0.0.1:${port}`, paths })
    }),
  )
}
