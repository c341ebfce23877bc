/**
 * @module scripts/dev: the dev command, the newcomer's path (what `npm start` runs): an
 * in-memory dev vault in this process, provisioned like a real Vault, and the bridge against it
 * over HTTP with AppRole, exactly as `serve` runs against a real one. A development task, not part
 * of the product: the dev vault is a workspace package that the product never contains.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { startDevVault } from '@vault-mcp-bridge/dev-vault'
import { SignJWT } from 'jose'
import { startBridge } from '../src/bridge.js'
import { parseCommandArgs, usageError } from '../src/cli/args.js'
import { isEntryPoint, runAsProcess } from '../src/cli/exit.js'
import { logDestination, processIo, type CliIo } from '../src/cli/io.js'
import { LISTEN_OPTIONS, withListenOptions } from '../src/cli/serve.js'
import { untilSignal } from '../src/cli/signals.js'
import { loadConfig } from '../src/config/load.js'
import { createLogger } from '../src/observability/logger.js'
import { createNodeVaultClient } from '../src/vault/node-vault-client.js'
import { ProvisionError, provisionVault } from '../src/vault/admin/provision.js'
import { isAgentPolicyNameSafe } from '../src/vault/policy-name.js'

/** The demo agents every dev setup has (the scripts in scripts/ use them). */
export const DEMO_AGENTS = ['agent_api', 'agent_jwt', 'agent_mtls'] as const

/** Where the dev command writes what the scripts and docs/curl.md read (`. .dev/bridge.env`). */
export const DEFAULT_ENV_FILE = join(import.meta.dirname, '..', '.dev', 'bridge.env')

/**
 * Development defaults, applied only by the dev command and only when the variable is unset:
 * following docs/curl.md and running the scripts a few times must not hit the production limits
 * (60 requests a minute per agent, 20 failed authentications per 5 minutes per address).
 */
export const DEV_DEFAULTS = {
  RATE_LIMIT_REQUESTS: '600',
  AUTH_FAILURE_LIMIT: '200',
} as const

export const DEV_USAGE = `Usage: npm start -- [--port 8089] [--host 127.0.0.1] [--vault-port 0] [--agents a,b]
                    [--write-env .dev/bridge.env]          (tsx scripts/dev.ts)

Starts an in-memory dev vault (data is lost on exit), provisions it (KV v2, Transit, a policy per
agent, an AppRole role for the bridge), and runs the bridge against it over HTTP on HOST:PORT.
The demo agents are ${DEMO_AGENTS.join(', ')}, plus the agents of API_KEYS_JSON and --agents.

Credentials are made fresh at every start, each unless you set its variables: an API key and a
read-only API key for agent_api (API_KEYS_JSON); an HS256 secret (JWT_HS256_SECRET) with a token
for agent_jwt, and an RSA key whose JWKS it serves on loopback (JWT_JWKS_URL, with JWT_ISSUER
${'`'}vault-mcp-bridge-demo${'`'} and JWT_AUDIENCE ${'`'}vault-mcp-bridge${'`'}); mTLS through a TLS proxy on loopback
(MTLS_MODE=header) that proves itself with MTLS_PROXY_SECRET. They go to the env file (mode
0600, removed at stop) that scripts/*.sh read and docs/curl.md sources; the banner shows the API
keys and the token. Development limits unless set: RATE_LIMIT_REQUESTS=${DEV_DEFAULTS.RATE_LIMIT_REQUESTS},
AUTH_FAILURE_LIMIT=${DEV_DEFAULTS.AUTH_FAILURE_LIMIT} (serve: 60 and 20). Every other variable works as for serve,
except the VAULT_* connection variables, which the dev vault replaces.
  --port <n>           the bridge's port (overrides PORT; 0 picks a free one)
  --host <addr>        the bridge's listen address (overrides HOST)
  --vault-port <n>     the dev vault's port (default 0: a free one)
  --agents <a,b>       more agents to provision
  --write-env <path>   where to write the credentials (default DEV_ENV_FILE, else
                       .dev/bridge.env in the repository; the scripts read DEV_ENV_FILE too)
  -h, --help
`

/** Variables that point the bridge at a Vault; dev replaces them with its own dev vault. */
const VAULT_CONNECTION = [
  'VAULT_ADDR',
  'VAULT_TOKEN',
  'VAULT_ROLE_ID',
  'VAULT_SECRET_ID',
  'VAULT_NAMESPACE',
  'VAULT_CACERT',
  'VAULT_CLIENT_CERT',
  'VAULT_CLIENT_KEY',
  'VAULT_SKIP_VERIFY',
]

const DEV_OPTIONS = {
  ...LISTEN_OPTIONS,
  'vault-port': { type: 'string' },
  agents: { type: 'string' },
  'write-env': { type: 'string' },
} as const

/** What the dev command made for this run (each only when the user did not set its variable). */
interface Generated {
  apiKey?: string
  readOnlyKey?: string
  jwtSecret?: string
  /** The private key whose JWKS the bridge trusts (with a generated JWT secret only). */
  rs256KeyPem?: string
  /** What goes to the env file, under the names scripts/lib/common.sh reads. */
  exported: Record<string, string>
}

const random = (bytes: number) => randomBytes(bytes).toString('base64url')

/**
 * Makes the credentials of this run into `env` (API keys, HS256 secret, mTLS proxy secret),
 * each only when the user set nothing for it. Security: fresh random values every start, never
 * the demo credentials this repository publishes; they live as long as the dev vault.
 */
function generateCredentials(env: Record<string, string | undefined>): Generated {
  const out: Generated = { exported: {} }
  if (!env.API_KEYS_JSON) {
    out.apiKey = `dev-${random(18)}`
    out.readOnlyKey = `dev-ro-${random(18)}`
    env.API_KEYS_JSON = JSON.stringify({
      [out.apiKey]: 'agent_api',
      [out.readOnlyKey]: { agent: 'agent_api', scopes: ['read', 'list'] },
    })
    out.exported.DEMO_API_KEY = out.apiKey
    out.exported.DEMO_READONLY_API_KEY = out.readOnlyKey
  }
  if (!env.JWT_HS256_SECRET && !env.JWT_JWKS_URL && !env.JWT_ISSUER) {
    out.jwtSecret = random(32)
    env.JWT_HS256_SECRET = out.jwtSecret
    out.exported.DEMO_JWT_SECRET = out.jwtSecret
  }
  const mtlsSet = Object.keys(env).some((k) => k.startsWith('MTLS_') || k === 'AUTH_MTLS_ENABLED')
  if (!mtlsSet) {
    // The scripts play the TLS proxy on loopback (scripts/test_agent_mtls.sh); a proxy is
    // believed only with the secret, never for its address alone.
    env.AUTH_MTLS_ENABLED = 'true'
    env.MTLS_MODE = 'header'
    env.MTLS_TRUSTED_PROXIES = '127.0.0.1/32,::1/128'
    env.MTLS_PROXY_SECRET = random(32)
    out.exported.DEMO_MTLS_PROXY_SECRET = env.MTLS_PROXY_SECRET
  }
  return out
}

/** Issuer, audience and key id of the dev tokens: those the scripts put in theirs (scripts/lib/common.sh). */
const DEMO_JWT = {
  issuer: 'vault-mcp-bridge-demo',
  audience: 'vault-mcp-bridge',
  kid: 'demo-rs256',
}

/** An RSA key made for this run, and its JWKS served on an ephemeral loopback port. */
interface DemoJwks {
  url: string
  privateKeyPem: string
  close: () => Promise<void>
}

/**
 * Serves the JWKS of a fresh RSA key, so that RS256 tokens work as with an identity provider
 * (scripts/test_agent_jwt_rs256.sh signs with the private key, which only the env file's owner
 * can read). Security: the bridge trusts this run's key only, not whatever listens on a port.
 */
async function startDemoJwks(): Promise<DemoJwks> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = {
    ...publicKey.export({ format: 'jwk' }),
    kid: DEMO_JWT.kid,
    alg: 'RS256',
    use: 'sig',
  }
  const body = JSON.stringify({ keys: [jwk] })
  const server = createServer((req, res) => {
    const found = req.url === '/.well-known/jwks.json'
    res.writeHead(found ? 200 : 404, { 'Content-Type': 'application/json' })
    res.end(found ? body : '{}')
  })
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections()
        server.close(() => closed())
      }),
  }
}

/** The RS256 private key of this run, beside the env file. */
const rs256KeyFile = (envFile: string) => join(dirname(envFile), 'agent-jwt-rs256.pem')

/**
 * Writes `values` to `file` as `NAME='value'` lines (and the RS256 key beside it, named by
 * DEMO_RS256_KEY), readable by the owner only, the directory too, replacing earlier files: what
 * scripts/lib/common.sh loads and docs/curl.md sources.
 * @returns what removes them, and the directories this call made once they are empty.
 */
function writeEnvFiles(
  file: string,
  values: Record<string, string>,
  rs256KeyPem?: string,
): () => void {
  const created = mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  const removeFiles = () => {
    rmSync(file, { force: true })
    rmSync(rs256KeyFile(file), { force: true })
  }
  const remove = () => {
    removeFiles()
    if (!created) return
    for (let dir = dirname(file); ; dir = dirname(dir)) {
      try {
        rmdirSync(dir)
      } catch {
        return // not empty (or gone): leave it
      }
      if (dir === created) return
    }
  }
  removeFiles()
  try {
    const all = { ...values }
    if (rs256KeyPem) {
      writeFileSync(rs256KeyFile(file), rs256KeyPem, { mode: 0o600 })
      all.DEMO_RS256_KEY = rs256KeyFile(file)
    }
    const lines = Object.entries(all).map(([name, value]) => {
      if (!/^[\w.:/+=-]*$/.test(value)) throw new Error(`dev: ${name} cannot be written to ${file}`)
      return `${name}='${value}'`
    })
    writeFileSync(
      file,
      [
        '# Written by the dev command (npm start) for scripts/*.sh and docs/curl.md; removed when',
        '# it stops. Credentials of this run only, made at its start: never use them elsewhere.',
        ...lines,
        '',
      ].join('\n'),
      { mode: 0o600 },
    )
  } catch (err) {
    remove()
    throw err
  }
  return remove
}

/**
 * Runs until `until` resolves (the first SIGTERM or SIGINT by default; tests pass their own), then
 * stops the bridge gracefully and drops the dev vault. Logs go to `io.stderr`.
 * @returns the exit code: 0 after a stop, 2 for bad arguments.
 * @throws ConfigError and StartupError (exit 2, printed by `runAsProcess` below).
 */
export async function runDevCommand(
  argv: string[],
  env: Record<string, string | undefined>,
  io: CliIo,
  until: () => Promise<string> = untilSignal,
): Promise<number> {
  const values = parseCommandArgs('dev', DEV_USAGE, argv, DEV_OPTIONS, io)
  if (typeof values === 'number') return values
  const vaultPort = Number(values['vault-port'] ?? '0')
  if (!/^\d+$/.test(String(values['vault-port'] ?? '0')) || vaultPort > 65535) {
    return usageError(
      'dev',
      DEV_USAGE,
      '--vault-port must be a port number (0 picks a free one)',
      io,
    )
  }
  // The file the scripts read: DEV_ENV_FILE tells both sides where it is.
  const envFile = resolve(
    typeof values['write-env'] === 'string'
      ? values['write-env']
      : env.DEV_ENV_FILE || DEFAULT_ENV_FILE,
  )
  const listenEnv = withListenOptions('dev', DEV_USAGE, env, values, io)
  if (typeof listenEnv === 'number') return listenEnv

  // Validate the user's own settings before anything starts (same messages as serve).
  const devEnv: Record<string, string | undefined> = { ...listenEnv }
  for (const name of VAULT_CONNECTION) delete devEnv[name]
  for (const [name, value] of Object.entries(DEV_DEFAULTS)) devEnv[name] ||= value
  const generated = generateCredentials(devEnv)
  // Everything started is stopped in reverse order, also when a later step fails.
  const started: (() => Promise<void> | void)[] = []
  try {
    if (generated.jwtSecret) {
      const jwks = await startDemoJwks()
      started.push(jwks.close)
      devEnv.JWT_JWKS_URL = jwks.url
      devEnv.JWT_ISSUER = DEMO_JWT.issuer
      devEnv.JWT_AUDIENCE ||= DEMO_JWT.audience
      generated.rs256KeyPem = jwks.privateKeyPem
    }
    const userConfig = loadConfig(devEnv)
    const logger = createLogger({ level: userConfig.logLevel, destination: logDestination(io) })

    const devVault = await startDevVault({ port: vaultPort })
    started.push(() => devVault.close())
    const agents = [
      ...new Set([
        ...DEMO_AGENTS,
        ...userConfig.auth.apiKey.keys.map((k) => k.agent),
        ...String(values.agents ?? '')
          .split(',')
          .filter(Boolean),
      ]),
    ].filter((agent) => {
      const ok = isAgentPolicyNameSafe(userConfig.childToken.policyPrefix, agent)
      if (!ok) logger.warn({ agent }, 'dev: agent id cannot have a Vault policy; not provisioned')
      return ok
    })
    const admin = createNodeVaultClient(
      { ...userConfig.vault, address: devVault.url },
      { token: devVault.rootToken, logger },
    )
    let appRole
    try {
      appRole = await provisionVault({
        client: admin,
        agents,
        kvMount: userConfig.vault.kvMount,
        transitMount: userConfig.vault.transitMount,
        prefix: userConfig.prefix,
        policyPrefix: userConfig.childToken.policyPrefix,
        appRoleMount: userConfig.vault.appRole?.mount ?? 'approle',
        childTokenRole: userConfig.childToken.role,
      })
    } catch (err) {
      if (!(err instanceof ProvisionError)) throw err
      io.stderr(`dev: could not provision the dev vault: ${err.message}\n`)
      return 1
    } finally {
      admin.close()
    }
    if (!appRole.secretId) throw new Error('provisioning issued no AppRole secret id')

    // The bridge gets only AppRole credentials, like a production deployment: never the root token.
    const config = loadConfig({
      ...devEnv,
      VAULT_ADDR: devVault.url,
      VAULT_ROLE_ID: appRole.roleId,
      VAULT_SECRET_ID: appRole.secretId,
    })
    // A development command: the scripts' published demo credentials are fine against the dev vault.
    const bridge = await startBridge(config, logger, { allowPublishedCredentials: true })
    started.push(() => bridge.stop().then(() => undefined))
    // DEV_VAULT_ADDR: where docs/wrapping.md unwraps (a wrapping token needs no other credential).
    const exported = { BRIDGE_URL: bridge.url, DEV_VAULT_ADDR: devVault.url, ...generated.exported }
    started.push(writeEnvFiles(envFile, exported, generated.rs256KeyPem))
    const jwt = generated.jwtSecret
      ? await demoJwt(generated.jwtSecret, config.auth.jwt.subjectClaim)
      : undefined
    io.stdout(
      banner({
        url: bridge.url,
        vaultUrl: devVault.url,
        rootToken: devVault.rootToken,
        agents,
        apiKey: generated.apiKey,
        readOnlyKey: generated.readOnlyKey,
        jwt,
        mtlsProxy: !!generated.exported.DEMO_MTLS_PROXY_SECRET,
        envFile,
        limits: {
          requests: config.rateLimit.requests,
          windowSeconds: config.rateLimit.windowSeconds,
          authFailures: config.rateLimit.authFailures.requests,
        },
      }),
    )
    await until()
    io.stderr('dev: stopping; the dev vault and all its data are dropped.\n')
  } finally {
    for (const stop of started.reverse()) await stop()
  }
  return 0
}

const demoJwt = (secret: string, subjectClaim: string): Promise<string> =>
  new SignJWT({ [subjectClaim]: 'agent_jwt', scope: 'read write delete list' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('agent_jwt')
    .setIssuer(DEMO_JWT.issuer)
    .setAudience(DEMO_JWT.audience)
    .setIssuedAt()
    .setExpirationTime('12h')
    .sign(new TextEncoder().encode(secret))

function banner(b: {
  url: string
  vaultUrl: string
  rootToken: string
  agents: string[]
  apiKey?: string
  readOnlyKey?: string
  jwt?: string
  mtlsProxy: boolean
  envFile: string
  limits: { requests: number; windowSeconds: number; authFailures: number }
}): string {
  const key = b.apiKey ?? '<a key from your API_KEYS_JSON>'
  const lines = [
    '',
    '================================================================================',
    ' vault-mcp-bridge dev: DEVELOPMENT ONLY. The dev vault keeps everything in memory;',
    ' ALL SECRETS ARE LOST when this process exits. Use `serve` with a real Vault otherwise.',
    '================================================================================',
    '',
    `Bridge:     ${b.url}   (GET /healthz, /readyz, REST, MCP at /mcp)`,
    `Dev vault:  ${b.vaultUrl}   root token: ${b.rootToken}`,
    `Agents:     ${b.agents.join(', ')}   (each with its own Vault policy)`,
    `API key:    ${key}   (agent_api)`,
  ]
  if (b.readOnlyKey) lines.push(`Read-only:  ${b.readOnlyKey}   (agent_api, scopes read, list)`)
  if (b.jwt) lines.push(`JWT:        ${b.jwt}   (agent_jwt, 12h)`)
  if (b.mtlsProxy) {
    lines.push(
      'mTLS:       through a TLS proxy on loopback (MTLS_MODE=header) with the proxy secret',
    )
  }
  lines.push(
    `Limits:     ${b.limits.requests} requests per ${b.limits.windowSeconds}s per agent, ${b.limits.authFailures} failed logins per address (development)`,
    `Env file:   ${b.envFile}`,
    '            BRIDGE_URL and the credentials of this run (mode 0600, removed at stop):',
    '            scripts/*.sh read it, docs/curl.md starts with `. .dev/bridge.env`;',
    '            more tokens: scripts/gen_jwt --sub agent_jwt --scopes read,list',
    '',
    'Try it:',
    `  curl -s -X PUT ${b.url}/secrets/demo/db -H 'X-API-Key: ${key}' \\`,
    `    -H 'Content-Type: application/json' -d '{"data": {"password": "s3cr3t"}}'`,
    `  curl -s ${b.url}/secrets/demo/db -H 'X-API-Key: ${key}'`,
    '  scripts/smoke.sh   # every operation and failure class',
    '',
    'MCP (Claude Code):',
    `  claude mcp add --transport http vault-bridge ${b.url}/mcp --header 'X-API-Key: ${key}'`,
    '',
    'MCP (VS Code, .vscode/mcp.json):',
    `  {"servers": {"vault-bridge": {"type": "http", "url": "${b.url}/mcp",`,
    `    "headers": {"X-API-Key": "${key}"}}}}`,
    '',
    'Stop with Ctrl-C.',
    '',
  )
  return lines.join('\n')
}

if (isEntryPoint(import.meta.url)) {
  runAsProcess(() => runDevCommand(process.argv.slice(2), process.env, processIo), processIo, 'dev')
}
