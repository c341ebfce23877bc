/**
 * @module test/helpers/entry-bridge: a bridge as `serve` composes it (createBridge, listen on
 * 127.0.0.1:0) over a stack's Vault, for request_secret's page: API-key agents, a clock the test
 * moves, and everything it logs, audits and refuses kept for the "the value is nowhere" checks.
 */
import { randomBytes } from 'node:crypto'
import { createBridge } from '../../src/bridge.js'
import { loadConfig } from '../../src/config/load.js'
import { SCOPES } from '../../src/core/identity.js'
import type { OperationEvent, SecurityEvent } from '../../src/core/ports.js'
import { startHttpServer } from '../../src/http/server.js'
import { recordingLogger, type LogLine } from './loggers.js'
import { apiKeyOf } from './mcp-harness.js'
import type { RestResponse } from './test-app.js'
import { httpClient } from './test-app.js'
import type { VaultStack } from './vault-stack.js'

export interface EntryBridge {
  url: string
  logs: LogLine[]
  events: OperationEvent[]
  security: SecurityEvent[]
  /** Moves the bridge's clock forward (links expire by it). */
  skew(ms: number): void
  /** request_secret over REST as `agent`. */
  ask(agent: string, body: object): Promise<RestResponse>
  /** check_secret_request over REST as `agent`. */
  check(agent: string, id: string): Promise<RestResponse>
  /** Everything that left the bridge besides HTTP answers, as one string. */
  everything(): string
  close(): Promise<void>
}

/** A fresh STATE_SIGNING_KEY. */
export const newSigningKey = () => randomBytes(32).toString('base64')

export async function startEntryBridge(
  stack: Pick<VaultStack, 'vault' | 'prefix'>,
  agents: string[],
  env: Record<string, string> = {},
): Promise<EntryBridge> {
  let skewMs = 0
  const now = () => Date.now() + skewMs
  const keys = Object.fromEntries(agents.map((a) => [apiKeyOf(a), { agent: a, scopes: SCOPES }]))
  const config = loadConfig({
    VAULT_ADDR: stack.vault.url,
    VAULT_TOKEN: stack.vault.rootToken,
    DEFAULT_PREFIX: stack.prefix,
    PORT: '0',
    API_KEYS_JSON: JSON.stringify(keys),
    RATE_LIMIT_ENABLED: 'false',
    AUTH_FAILURE_LIMIT: '1000000',
    METRICS_ENABLED: 'false',
    AUDIT_LOG: 'off',
    LOG_LEVEL: 'debug',
    ...env,
  })
  const { logger, lines } = recordingLogger()
  const events: OperationEvent[] = []
  const security: SecurityEvent[] = []
  const bridge = await createBridge(config, {
    logger,
    now,
    observer: { operationFinished: (e) => void events.push(e) },
    security: { securityEvent: (e) => void security.push(e) },
  })
  const server = await startHttpServer({
    fetch: bridge.app.fetch,
    host: '127.0.0.1',
    port: 0,
    limits: config.listener,
  })
  const client = httpClient(server.url)
  const as = (agent: string) => ({ 'x-api-key': apiKeyOf(agent) })
  return {
    url: server.url,
    logs: lines,
    events,
    security,
    skew: (ms) => void (skewMs += ms),
    ask: (agent, body) => client.call('POST', '/secret-requests', { headers: as(agent), body }),
    check: (agent, id) => client.call('GET', `/secret-requests/${id}`, { headers: as(agent) }),
    everything: () => JSON.stringify({ lines, events, security }),
    close: async () => {
      await server.close(1000)
      await bridge.close()
    },
  }
}
