/**
 * @module scripts/dev: the dev command, the newcomer's path (what `npm start` runs): an
 * in-memory dev vault in this process, provisioned like a real Vault, and the bridge against it
 * over HTTP with AppRole, exactly as `serve` runs against a real one. A development task, not part
 * of the product: the dev vault is a workspace package that the product never contains.
 */
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { startDevVault } from '@vault-mcp-bridge/dev-vault'
import { SignJWT } from 'jose'
import { startBridge } from '../src/bridge.js'
import { isEntryPoint, runAsProcess } from '../src/cli/exit.js'
import { logDestination, processIo, type CliIo } from '../src/cli/io.js'
import { untilSignal } from '../src/cli/signals.js'
import { loadConfig } from '../src/config/load.js'
import { createLogger } from '../src/observability/logger.js'
import { createNodeVaultClient } from '../src/vault/node-vault-client.js'
import { ProvisionError, provisionVault } from '../src/vault/admin/provision.js'
import { isAgentPolicyNameSafe } from '../src/vault/policy-name.js'

/** The demo agents every dev setup has (the scripts in scripts/ use them). */
export const DEMO_AGENTS = ['agent_api', 'agent_jwt', 'agent_mtls'] as const

export const DEV_USAGE = `Usage: npm start -- [--vault-port 0] [--agents a,b]   (tsx scripts/dev.ts)

Starts an in-memory dev vault (data is lost on exit), provisions it (KV v2, Transit, a policy per
agent, an AppRole role for the bridge), and runs the bridge against it over HTTP on HOST:PORT.
The demo agents are ${DEMO_AGENTS.join(', ')}, plus the agents of API_KEYS_JSON and --agents.
Without API_KEYS_JSON a random API key for agent_api is made and printed; without a JWT key a
random HS256 secret is made and a token for agent_jwt is printed. Every other variable works as
for serve, except the VAULT_* connection variables, which the dev vault replaces.
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
  let values: { 'vault-port'?: string; agents?: string; help?: boolean }
  try {
    values = parseArgs({
      args: argv,
      options: {
        'vault-port': { type: 'string' },
        agents: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values
  } catch (err) {
    io.stderr(`dev: ${(err as Error).message}\n\n${DEV_USAGE}`)
    return 2
  }
  if (values.help) {
    io.stdout(DEV_USAGE)
    return 0
  }
  const vaultPort = Number(values['vault-port'] ?? '0')
  if (!Number.isInteger(vaultPort) || vaultPort < 0 || vaultPort > 65535) {
    io.stderr(`dev: --vault-port must be a port number (0 picks a free one)\n\n${DEV_USAGE}`)
    return 2
  }

  // Validate the user's own settings before anything starts (same messages as serve).
  const devEnv: Record<string, string | undefined> = { ...env }
  for (const name of VAULT_CONNECTION) delete devEnv[name]
  const generated: { apiKey?: string; jwtSecret?: string } = {}
  if (!devEnv.API_KEYS_JSON) {
    generated.apiKey = `dev-${randomBytes(18).toString('base64url')}`
    devEnv.API_KEYS_JSON = JSON.stringify({ [generated.apiKey]: 'agent_api' })
  }
  if (!devEnv.JWT_HS256_SECRET && !devEnv.JWT_JWKS_URL && !devEnv.JWT_ISSUER) {
    generated.jwtSecret = randomBytes(32).toString('base64url')
    devEnv.JWT_HS256_SECRET = generated.jwtSecret
  }
  const userConfig = loadConfig(devEnv)
  const logger = createLogger({ level: userConfig.logLevel, destination: logDestination(io) })

  const devVault = await startDevVault({ port: vaultPort })
  try {
    const agents = [
      ...new Set([
        ...DEMO_AGENTS,
        ...userConfig.auth.apiKey.keys.map((k) => k.agent),
        ...(values.agents ?? '').split(',').filter(Boolean),
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
    io.stdout(
      banner({
        url: bridge.url,
        vaultUrl: devVault.url,
        rootToken: devVault.rootToken,
        agents,
        apiKey: generated.apiKey,
        jwt: generated.jwtSecret
          ? await demoJwt(generated.jwtSecret, config.auth.jwt.subjectClaim)
          : undefined,
      }),
    )
    await until()
    io.stderr('dev: stopping; the dev vault and all its data are dropped.\n')
    await bridge.stop()
  } finally {
    await devVault.close()
  }
  return 0
}

const demoJwt = (secret: string, subjectClaim: string): Promise<string> =>
  new SignJWT({ [subjectClaim]: 'agent_jwt', scope: 'read write delete list' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('agent_jwt')
    .setIssuedAt()
    .setExpirationTime('12h')
    .sign(new TextEncoder().encode(secret))

function banner(b: {
  url: string
  vaultUrl: string
  rootToken: string
  agents: string[]
  apiKey?: string
  jwt?: string
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
  if (b.jwt) lines.push(`JWT:        ${b.jwt}   (agent_jwt, 12h)`)
  lines.push(
    '',
    'Try it:',
    `  curl -s -X PUT ${b.url}/secrets/demo/db -H 'X-API-Key: ${key}' \\`,
    `    -H 'Content-Type: application/json' -d '{"data": {"password": "s3cr3t"}}'`,
    `  curl -s ${b.url}/secrets/demo/db -H 'X-API-Key: ${key}'`,
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
