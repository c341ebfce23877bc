/**
 * @module the newcomer's path, as real processes (issue 17): the dev command (`npm start`,
 * scripts/dev.ts) is spawned on an ephemeral port, and the examples of docs/curl.md and of the
 * README (REST API, Authentication) run against it as written, read from the documents (not
 * copied here), each answered 2xx or with the status its comment names; then every user script
 * of scripts/ runs. They find the bridge's address and this
 * run's credentials where the documents say: `.dev/bridge.env` in the directory they run from
 * (a scratch directory whose `scripts` is this repository's), where DEV_ENV_FILE tells the dev
 * command to write it and the scripts to read it. Only the examples that
 * need certificates of a TLS listener (`https://bridge.example.com`) are left out, and counted.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnScript, type CliProcess } from '../helpers/cli.js'
import { blocksUnder, shellCommands, type CodeBlock } from '../helpers/doc-blocks.js'

const root = join(import.meta.dirname, '..', '..')
const NEEDS_TLS_LISTENER = 'https://bridge.example.com'

let dir: string
let envFile: string
let dev: CliProcess
let url: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'newcomer-'))
  symlinkSync(join(root, 'scripts'), join(dir, 'scripts'))
  envFile = join(dir, '.dev', 'bridge.env')
  // No RATE_LIMIT_* here: the dev command's own development limits are part of the path.
  dev = spawnScript('scripts/dev.ts', [], {
    DEV_ENV_FILE: envFile,
    PORT: '0',
    AUDIT_LOG: 'off',
    LOG_LEVEL: 'warn',
  })
  await dev.waitFor(/^Stop with/m)
  url = /^Bridge: +(\S+)/m.exec(dev.stdout())?.[1] ?? ''
}, 90_000)

afterAll(() => {
  if (dev?.child.exitCode === null) dev.child.kill('SIGKILL')
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/**
 * Runs `blocks` as one bash script in the scratch directory, with `set -euo pipefail`, and
 * checks the HTTP status of every curl in document order: 2xx, or the status its comment says
 * (`# 404 NOT_FOUND: ...`), so that an example answered otherwise fails the test.
 */
function runBlocks(blocks: CodeBlock[]) {
  const script = [
    'set -euo pipefail',
    // curl as written, plus one line per answer on stderr that the test reads.
    `curl() { command curl --write-out '%{stderr}${STATUS_LINE} %{http_code}\\n' "$@"; }`,
    ...blocks.map((b) => b.body),
  ].join('\n')
  const r = spawnSync('bash', ['-c', script], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, DEV_ENV_FILE: envFile },
    encoding: 'utf8',
    timeout: 120_000,
  })
  const statuses = [...r.stderr.matchAll(new RegExp(`^${STATUS_LINE} (\\d{3})$`, 'gm'))].map((m) =>
    Number(m[1]),
  )
  const expected = blocks.flatMap((b) =>
    shellCommands(b.body).flatMap((command) => {
      const calls = command.match(/\bcurl\s/g)?.length ?? 0
      const declared = /#\s*(\d{3}) [A-Z_]+/.exec(command)?.[1]
      return Array.from({ length: calls }, () => (declared ? Number(declared) : ('ok' as const)))
    }),
  )
  const seen = statuses.map((s, i) => (expected[i] === 'ok' && s >= 200 && s < 300 ? 'ok' : s))
  return { code: r.status, out: r.stdout, err: r.stderr, seen, expected }
}

const STATUS_LINE = 'HTTP_STATUS_OF_EXAMPLE'

/** The shell blocks of a document's section that run against npm start, and those left out. */
function runnable(file: string, heading: string) {
  const blocks = blocksUnder(readFileSync(join(root, file), 'utf8'), heading).filter((b) =>
    ['sh', 'bash'].includes(b.lang),
  )
  const run = blocks.filter((b) => !b.body.includes(NEEDS_TLS_LISTENER))
  return { run, leftOut: blocks.length - run.length }
}

describe('the dev command (npm start) and the documents agree', { timeout: 180_000 }, () => {
  it('writes its address and credentials to the env file, readable by its owner only', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(statSync(envFile).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, '.dev')).mode & 0o777).toBe(0o700)
    const text = readFileSync(envFile, 'utf8')
    expect(text).toContain(`BRIDGE_URL='${url}'`)
    for (const name of [
      'DEMO_API_KEY',
      'DEMO_READONLY_API_KEY',
      'DEMO_JWT_SECRET',
      'DEMO_MTLS_PROXY_SECRET',
      'DEMO_RS256_KEY',
    ]) {
      expect(text).toMatch(new RegExp(`^${name}='[^']+'$`, 'm'))
    }
    // The banner shows what a person copies (the API key), not the secrets the scripts use.
    const secret = /^DEMO_JWT_SECRET='([^']+)'$/m.exec(text)![1]!
    const proxySecret = /^DEMO_MTLS_PROXY_SECRET='([^']+)'$/m.exec(text)![1]!
    const apiKey = /^DEMO_API_KEY='([^']+)'$/m.exec(text)![1]!
    expect(dev.stdout()).toContain(apiKey)
    expect(dev.output()).not.toContain(secret)
    expect(dev.output()).not.toContain(proxySecret)
    expect(dev.stdout()).toMatch(/^Limits: +600 requests per 60s per agent/m)
  })

  it('docs/curl.md: every example runs as written', () => {
    const { run, leftOut } = runnable('docs/curl.md', 'Using the bridge from curl')
    expect(leftOut).toBe(1)
    expect(run.length).toBeGreaterThanOrEqual(3)
    const r = runBlocks(run)
    expect(r.code, `${r.out}\n${r.err}`).toBe(0)
    expect(r.seen, r.out).toEqual(r.expected)
    expect(r.expected).toContain(404)
    expect(r.out).toContain('"agent":"agent_api"')
    expect(r.out).toContain('"agent":"agent_jwt"')
    expect(r.out).toContain('"agent":"agent_mtls"')
    expect(r.out).toContain('{"key":"app","plaintext":"aGVsbG8="}')
  })

  it('docs/wrapping.md: a wrapped read, a lookup, one unwrap at the dev vault, and a refused second', () => {
    const { run, leftOut } = runnable('docs/wrapping.md', 'Try it')
    expect([run.length, leftOut]).toEqual([1, 0])
    const r = runBlocks(run)
    expect(r.code, `${r.out}\n${r.err}`).toBe(0)
    expect(r.seen, r.out).toEqual(r.expected)
    expect(r.expected).toContain(400)
    // What the document says each step prints is what it printed (elided values aside).
    const out = r.out.trim().split('\n')
    const documented = run[0]!.body
      .split('\n')
      .filter((l) => l.startsWith('# {'))
      .map((l) => l.slice(2))
    expect(out).toHaveLength(documented.length)
    documented.forEach((shown, i) => {
      const printed = JSON.parse(out[i]!) as Record<string, unknown>
      if (shown.includes('…')) {
        expect(Object.keys(printed).sort()).toEqual(Object.keys(JSON.parse(shown)).sort())
      } else {
        expect(printed).toEqual(JSON.parse(shown))
      }
    })
    expect(JSON.parse(out[0]!)).toMatchObject({
      creation_path: 'secret/data/mcp/agent_api/app/wrapped-db',
      creation_ttl: 300,
    })
  })

  it('the README: the REST API and Authentication examples run as written', () => {
    const rest = runnable('README.md', 'REST API')
    const auth = runnable('README.md', 'Authentication')
    expect(rest.leftOut + auth.leftOut).toBe(1)
    const r = runBlocks([...rest.run, ...auth.run])
    expect(r.code, `${r.out}\n${r.err}`).toBe(0)
    expect(r.seen, r.out).toEqual(r.expected)
    expect(r.out).toContain('"password":"s3cr3t"')
    for (const agent of ['agent_api', 'agent_jwt', 'agent_mtls']) {
      expect(r.out).toContain(`"agent":"${agent}"`)
    }
  })

  it.each([
    ['smoke.sh', 'smoke: all steps passed'],
    ['test_agent_api.sh', 'agent_api: works in its namespace and is isolated'],
    ['test_agent_jwt.sh', 'agent_jwt: works in its namespace and is isolated'],
    ['test_agent_jwt_rs256.sh', 'agent_jwt: works in its namespace and is isolated'],
    ['test_agent_mtls.sh', 'agent_mtls: works in its namespace and is isolated'],
  ])('scripts/%s runs against it as is', (script, done) => {
    const r = spawnSync('bash', [join('scripts', script)], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: dir, DEV_ENV_FILE: envFile },
      encoding: 'utf8',
      timeout: 120_000,
    })
    expect(r.stdout, r.stderr).toContain(done)
    expect(r.status).toBe(0)
  })

  it('stops on SIGTERM with exit 0 and removes the env file, the key and their directory', async () => {
    dev.child.kill('SIGTERM')
    expect(await dev.exited).toBe(0)
    expect(existsSync(envFile)).toBe(false)
    expect(existsSync(join(dir, '.dev', 'agent-jwt-rs256.pem'))).toBe(false)
    // The directory it made, too (a fresh checkout has no .dev/).
    expect(existsSync(join(dir, '.dev'))).toBe(false)
  })
})
