/**
 * @module scripts/bench/stack: the processes the bench measures, each in its own process so that
 * none shares a heap or a thread with another or with the load generator: the Vault (the dev
 * vault package's `dev-vault` command, or a real Vault from VAULT_ADDR/VAULT_TOKEN), the bare
 * proxy, and bridges built from src/ (`npm run build`) run as `node dist/main.js serve`, as in
 * production. Provisioning uses the bridge's own `provisionVault`; the bridges log in with
 * AppRole, exactly as `npm start` and a deployment do.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import { loadConfig } from '../../src/config/load.js'
import { createLogger } from '../../src/observability/logger.js'
import { jwtExchangeSetup } from '../../src/vault/admin/jwt-setup.js'
import { provisionVault } from '../../src/vault/admin/provision.js'
import { createNodeVaultClient } from '../../src/vault/node-vault-client.js'

export const AGENT = 'bench'
export const API_KEY = `bench-${randomBytes(12).toString('hex')}`
/** Where the agent's secrets live under the default mount and prefix. */
export const KV_PATH = `secret/data/mcp/${AGENT}`

const ROOT = new URL('../../', import.meta.url).pathname

/** A process the bench started; `stop` sends SIGTERM and waits for the exit. */
export interface Proc {
  name: string
  pid: number
  url: string
  stop(): Promise<number | null>
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Resident set size of a process in MB (Linux /proc), or undefined once it has gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : undefined
  } catch {
    return undefined
  }
}

/** Polls `url` until it answers 2xx (bounded). */
async function waitReady(url: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${what} exited (${child.exitCode}) while starting`)
    try {
      const res = await fetch(url)
      await res.arrayBuffer()
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${what} did not become ready at ${url}`)
}

function launch(
  name: string,
  args: string[],
  env: Record<string, string>,
  logDir: string,
): ChildProcess {
  const out = openSync(join(logDir, `${name}.log`), 'a')
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', out, out],
  })
  closeSync(out)
  return child
}

function procOf(name: string, child: ChildProcess, url: string): Proc {
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode)
    else child.once('exit', (code) => resolve(code))
  })
  return {
    name,
    pid: child.pid!,
    url,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}

/** The Vault the bench measures against: the dev vault, or a real one from the environment. */
export interface VaultUnderTest {
  url: string
  /** A token that may provision (the dev vault's root token, or VAULT_TOKEN). */
  adminToken: string
  kind: 'dev vault' | 'real Vault'
  proc?: Proc
}

export async function startVault(logDir: string): Promise<VaultUnderTest> {
  const { VAULT_ADDR, VAULT_TOKEN } = process.env
  if (VAULT_ADDR && VAULT_TOKEN)
    return { url: VAULT_ADDR, adminToken: VAULT_TOKEN, kind: 'real Vault' }
  const port = await freePort()
  const rootToken = `bench-root-${randomBytes(12).toString('hex')}`
  const child = launch(
    'dev-vault',
    ['packages/dev-vault/bin/dev-vault.js', '--port', String(port), '--root-token', rootToken],
    {},
    logDir,
  )
  const url = `http://127.0.0.1:${port}`
  await waitReady(`${url}/v1/sys/health`, child, 'dev vault')
  return { url, adminToken: rootToken, kind: 'dev vault', proc: procOf('dev-vault', child, url) }
}

/** What the bridges need from provisioning, and a token of the bridge's role for direct calls. */
export interface Provisioned {
  roleId: string
  secretId: string
  /** A token from an AppRole login of the bridge's role (for Vault direct and the bare proxy). */
  roleToken: string
}

/**
 * Provisions the bench's agent, and JWT exchange from the bridges' JWT settings (`jwt`'s JWKS,
 * which Vault fetches itself: it listens on 127.0.0.1, so a real Vault must run on this host).
 */
export async function provision(vault: VaultUnderTest, jwt: JwtSetup): Promise<Provisioned> {
  const logger = createLogger({ level: 'silent' })
  const base = loadConfig({
    VAULT_ADDR: vault.url,
    JWT_JWKS_URL: jwt.jwksUrl,
    JWT_ISSUER,
    JWT_AUDIENCE,
    VAULT_JWT_EXCHANGE_ENABLED: 'true',
  })
  const admin = createNodeVaultClient(base.vault, { token: vault.adminToken, logger })
  try {
    const { roleId, secretId } = await provisionVault({
      client: admin,
      agents: [AGENT],
      kvMount: base.vault.kvMount,
      transitMount: base.vault.transitMount,
      prefix: base.prefix,
      policyPrefix: base.childToken.policyPrefix,
      appRoleMount: 'approle',
      childTokenRole: base.childToken.role,
      jwtExchange: jwtExchangeSetup(base),
    })
    const login = (await admin.write('auth/approle/login', {
      role_id: roleId,
      secret_id: secretId,
    })) as { auth: { client_token: string } }
    return { roleId, secretId: secretId!, roleToken: login.auth.client_token }
  } finally {
    admin.close()
  }
}

/** The `iss` and `aud` of the bench's tokens (a JWKS needs both, see src/config/schema.ts). */
const JWT_ISSUER = 'https://idp.bench.invalid'
const JWT_AUDIENCE = 'vault-mcp-bridge'

/** Bearer tokens for the JWT scenarios, and the JWKS server the RS256 one is checked against. */
export interface JwtSetup {
  hs256Secret: string
  hs256: string
  rs256: string
  /** Distinct RS256 tokens of the agent, for a caller whose every request is a new login. */
  rs256Pool: string[]
  jwksUrl: string
  close(): Promise<void>
}

/** An HS256 secret, an RS256 key served as a JWKS from this process (fetched once and cached). */
export async function startJwt(): Promise<JwtSetup> {
  const hs256Secret = randomBytes(32).toString('base64url')
  const { publicKey, privateKey } = await generateKeyPair('RS256')
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' }
  const body = JSON.stringify({ keys: [jwk] })
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const claims = { scope: 'read write delete list' }
  const hs256 = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setSubject(AGENT)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(hs256Secret))
  const signRs256 = (jti: string) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
      .setIssuer(JWT_ISSUER)
      .setAudience(JWT_AUDIENCE)
      .setSubject(AGENT)
      .setJti(jti)
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(privateKey)
  const rs256 = await signRs256('bench')
  const rs256Pool = await Promise.all(Array.from({ length: 200 }, (_, i) => signRs256(`pool-${i}`)))
  return {
    hs256Secret,
    hs256,
    rs256,
    rs256Pool,
    jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** Starts the bare proxy with the role's token. */
export async function startProxy(
  vault: VaultUnderTest,
  token: string,
  logDir: string,
): Promise<Proc> {
  const port = await freePort()
  const child = launch(
    'bare-proxy',
    ['--import', 'tsx', 'scripts/bench/bare-proxy.ts'],
    { VAULT_ADDR: vault.url, VAULT_TOKEN: token, KV_PATH, PORT: String(port) },
    logDir,
  )
  const url = `http://127.0.0.1:${port}`
  // Any HTTP answer means it listens; a 404 from Vault for a missing key is fine here.
  await waitListening(url, child, 'bare proxy')
  return procOf('bare-proxy', child, url)
}

async function waitListening(url: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${what} exited (${child.exitCode}) while starting`)
    try {
      await (await fetch(`${url}/secrets/none`)).arrayBuffer()
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  throw new Error(`${what} did not start at ${url}`)
}

/** Compiles src/ to dist/ (`npm run build`), which the bridges run. */
export async function buildBridge(): Promise<void> {
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
  const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`the build failed (tsc exit ${code})`)
}

export interface BridgeOptions {
  name: string
  vault: VaultUnderTest
  provisioned: Provisioned
  jwt: JwtSetup
  /** Extra environment (child-token settings). */
  env?: Record<string, string>
  logDir: string
  /** Start under `node --cpu-prof`, writing the profile into this directory on exit. */
  cpuProfDir?: string
  /** Another checkout whose built `dist/` to run (comparing two builds); this one's by default. */
  root?: string
  /** Node flags before the script; the image's ({@link imageNodeFlags}) by default. */
  nodeFlags?: string[]
}

/**
 * The Node flags the image runs the bridge with: those between `node` and the script in the
 * Dockerfile's `ENTRYPOINT`, so that the bench measures the bridge as it ships.
 * @throws when the Dockerfile has no `ENTRYPOINT ["node", ...flags, script]`.
 */
export function imageNodeFlags(): string[] {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
  const entry = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1]
  const words = entry ? (JSON.parse(entry) as string[]) : []
  if (words[0] !== 'node' || words.length < 2) {
    throw new Error('the Dockerfile has no ENTRYPOINT ["node", ...flags, script]')
  }
  return words.slice(1, -1)
}

/**
 * Starts one bridge with everything on: API keys and JWT (HS256 and a JWKS for RS256), rate
 * limits with a budget high enough never to refuse, the audit trail to a file, metrics, and
 * request logs at `info` (to a file); with the image's Node flags.
 */
export async function startBridgeProcess(o: BridgeOptions): Promise<Proc & { auditFile: string }> {
  const port = await freePort()
  const auditFile = join(o.logDir, `${o.name}.audit.jsonl`)
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    VAULT_ADDR: o.vault.url,
    VAULT_ROLE_ID: o.provisioned.roleId,
    VAULT_SECRET_ID: o.provisioned.secretId,
    API_KEYS_JSON: JSON.stringify({ [API_KEY]: AGENT }),
    AUTH_JWT_ENABLED: 'true',
    JWT_HS256_SECRET: o.jwt.hs256Secret,
    JWT_JWKS_URL: o.jwt.jwksUrl,
    JWT_ISSUER,
    JWT_AUDIENCE,
    RATE_LIMIT_ENABLED: 'true',
    RATE_LIMIT_REQUESTS: '1000000',
    RATE_LIMIT_WINDOW_SECONDS: '60',
    AUDIT_LOG: auditFile,
    METRICS_ENABLED: 'true',
    ...o.env,
  }
  const args = [
    ...(o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : []),
    // As the image runs it (the Dockerfile's ENTRYPOINT), V8 settings included.
    ...(o.nodeFlags ?? imageNodeFlags()),
    join(o.root ?? ROOT, 'dist/main.js'),
    'serve',
  ]
  const child = launch(o.name, args, env, o.logDir)
  const url = `http://127.0.0.1:${port}`
  await waitReady(`${url}/readyz`, child, `bridge ${o.name}`)
  return { ...procOf(o.name, child, url), auditFile }
}

/** A fresh directory for the run's logs, audit files and profiles. */
export const makeRunDir = (): string => mkdtempSync(join(tmpdir(), 'vault-mcp-bridge-bench-'))
