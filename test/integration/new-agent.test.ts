/**
 * @module adding an agent to a running bridge (issue 17): `provision` of a new agent against the
 * dev vault while `serve` runs with child tokens, and the agent works on its next request, for
 * both bridge logins (VAULT_TOKEN and AppRole), on a Vault with role globs (1.9+) and on one
 * without (1.8, emulated by a proxy); what the refusal says while the agent's policy is missing
 * or the token role does not cover it; and the AppRole re-login that picks up a new agent where
 * no token role mints (CHILD_TOKEN_ROLE=none, or child tokens off).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import nodeVault from 'node-vault'
import { afterEach, describe, expect, it } from 'vitest'
import { startDevVault } from '@vault-mcp-bridge/dev-vault'
import { renderAgentPolicy } from '../../src/vault/admin/policy.js'
import { runMain, startMain, type RunningCommand } from '../helpers/cli.js'
import { VAULT_1_8 } from '../helpers/vault-1-8.js'
import { startVaultProxy } from '../helpers/vault-proxy.js'

const KEYS = {
  alice: 'new-agent-test-key-alice-0001',
  newbie: 'new-agent-test-key-newbie-0001',
  stranger: 'new-agent-test-key-stranger-0001',
}
const API_KEYS_JSON = JSON.stringify(
  Object.fromEntries(Object.entries(KEYS).map(([agent, key]) => [key, agent])),
)

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined)
})

type Login = 'approle' | 'token'

interface Setup {
  /** VAULT_ADDR of the bridge and of provision (the 1.8 proxy when asked). */
  addr: string
  root: nodeVault.client
  rootToken: string
  /** Runs `provision --agents` (exit 0 expected); its stdout. */
  provision(agents: string[]): Promise<string>
  /** `serve` with child tokens, logged in as `login`; resolves once it listens. */
  serve(login: Login, env?: Record<string, string>): Promise<Bridge>
}

interface Bridge {
  put(agent: keyof typeof KEYS, value: string): Promise<{ status: number; body: ErrorBody }>
  get(agent: keyof typeof KEYS): Promise<{ status: number; body: { data?: { v?: string } } }>
  command: RunningCommand
}

interface ErrorBody {
  error?: { code: string; message: string }
}

async function setup(options: { vault18?: boolean; env?: Record<string, string> } = {}) {
  const dev = await startDevVault({ port: 0 })
  cleanups.push(() => dev.close())
  let addr = dev.url
  if (options.vault18) {
    const proxy = await startVaultProxy(dev.url, VAULT_1_8)
    cleanups.push(() => proxy.close())
    addr = proxy.url
  }
  const dir = mkdtempSync(join(tmpdir(), 'new-agent-'))
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }))
  const out = join(dir, 'approle.env')
  const root = nodeVault({ endpoint: dev.url, token: dev.rootToken, debug: () => {} })
  const shared = { VAULT_ADDR: addr, ...options.env }

  const s: Setup = {
    addr,
    root,
    rootToken: dev.rootToken,
    async provision(agents) {
      const r = await runMain(['provision', '--agents', agents.join(','), '--out', out], {
        ...shared,
        VAULT_TOKEN: dev.rootToken,
      })
      expect(r.code, r.stderr).toBe(0)
      return r.stdout
    },
    async serve(login, env = {}) {
      const credentials =
        login === 'approle'
          ? parseEnv(readFileSync(out, 'utf8'))
          : { VAULT_TOKEN: await bridgePolicyToken(root) }
      const command = startMain(['serve'], {
        ...shared,
        ...(credentials as Record<string, string>),
        PORT: '0',
        API_KEYS_JSON,
        CHILD_TOKEN_ENABLED: 'true',
        AUDIT_LOG: 'off',
        LOG_LEVEL: 'info',
        ...env,
      })
      cleanups.push(() => command.stop())
      const url = (await command.waitFor(/"url":"(http:\/\/[^"]+)"/))[1]!
      const call = async (method: string, agent: keyof typeof KEYS, body?: unknown) => {
        const res = await fetch(`${url}/secrets/app/db`, {
          method,
          headers: { 'X-API-Key': KEYS[agent], 'Content-Type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        })
        return { status: res.status, body: (await res.json()) as never }
      }
      return {
        put: (agent, value) => call('PUT', agent, { data: { v: value } }),
        get: (agent) => call('GET', agent),
        command,
      }
    },
  }
  return s
}

/** A token with the bridge policy `provision` wrote, and nothing else: what VAULT_TOKEN gets. */
async function bridgePolicyToken(root: nodeVault.client): Promise<string> {
  const res = (await root.write('auth/token/create', {
    policies: ['mcp-bridge'],
    no_default_policy: true,
    ttl: '1h',
  })) as { auth: { client_token: string } }
  return res.auth.client_token
}

/** Expects a refusal that names what to do. */
function expectRefusal(r: { status: number; body: ErrorBody }, ...mentions: string[]) {
  expect(r.status).toBe(403)
  expect(r.body.error?.code).toBe('FORBIDDEN')
  for (const m of mentions) expect(r.body.error?.message).toContain(m)
}

describe.each(['approle', 'token'] as const)('a new agent, bridge logged in with %s', (login) => {
  it('is served on its next request after provision, without a restart', async () => {
    const s = await setup()
    await s.provision(['alice'])
    const bridge = await s.serve(login)
    expect((await bridge.put('alice', 'a1')).status).toBe(200)

    // Not provisioned yet: Vault has no policy for it, and the refusal says how to add it.
    expectRefusal(await bridge.put('newbie', 'n1'), 'provision --agents', 'gen-policy')

    await s.provision(['alice', 'newbie'])
    expect((await bridge.put('newbie', 'n1')).status).toBe(200)
    expect((await bridge.get('newbie')).body.data?.v).toBe('n1')
    expect((await bridge.get('alice')).body.data?.v).toBe('a1')
  })

  it('on Vault 1.8 (no role globs) too: provision lists the agent in the token role', async () => {
    const s = await setup({ vault18: true })
    await s.provision(['alice'])
    const role = (await s.root.read('auth/token/roles/mcp-bridge-agents')) as {
      data: { allowed_policies: string[]; allowed_policies_glob: string[] }
    }
    expect(role.data.allowed_policies).toEqual(['mcp-agent-alice'])
    expect(role.data.allowed_policies_glob).toEqual([])
    const bridge = await s.serve(login)
    expect((await bridge.put('alice', 'a1')).status).toBe(200)

    // Its policy written by hand (gen-policy's text) is not enough on 1.8: the role does not
    // list it, and the refusal says so (not that the policy is missing).
    const policy = renderAgentPolicy({
      agent: 'newbie',
      mount: 'secret',
      prefix: 'mcp',
      transitMount: 'transit',
      policyPrefix: 'mcp-agent-',
    })
    await s.root.write('sys/policies/acl/mcp-agent-newbie', { policy })
    const refused = await bridge.put('newbie', 'n1')
    expectRefusal(refused, 'token role "mcp-bridge-agents"', 'does not allow', 'provision')
    expect(refused.body.error?.message).not.toContain('gen-policy')

    expect(await s.provision(['alice', 'newbie'])).toContain('updated token role')
    expect((await bridge.put('newbie', 'n1')).status).toBe(200)
    expect(await s.provision(['alice', 'newbie'])).toContain('no changes')
  })

  it('says the token role is missing when it is, not that the agent is', async () => {
    const s = await setup()
    await s.provision(['alice'])
    const bridge = await s.serve(login)
    await s.root.delete('auth/token/roles/mcp-bridge-agents')
    const r = await bridge.put('alice', 'a1')
    expectRefusal(r, 'token role "mcp-bridge-agents"', 'does not exist', 'provision')
    expect(r.body.error?.message).not.toContain('gen-policy')
    await s.provision(['alice'])
    expect((await bridge.put('alice', 'a1')).status).toBe(200)
  })
})

describe('without a token role, the bridge token must hold the agent policy', () => {
  it('AppRole: a login picks up the new agent on its first request (CHILD_TOKEN_ROLE=none)', async () => {
    const s = await setup({ env: { CHILD_TOKEN_ROLE: 'none' } })
    await s.provision(['alice'])
    const bridge = await s.serve('approle')
    expect((await bridge.put('alice', 'a1')).status).toBe(200)
    await s.provision(['alice', 'newbie'])
    expect((await bridge.put('newbie', 'n1')).status).toBe(200)
    expect(bridge.command.stderr()).toContain('"why":"policy missing"')
  })

  it('VAULT_TOKEN cannot gain policies: the refusal says what to do (CHILD_TOKEN_ROLE=none)', async () => {
    const s = await setup({ env: { CHILD_TOKEN_ROLE: 'none' } })
    await s.provision(['alice', 'newbie'])
    const bridge = await s.serve('token')
    expectRefusal(await bridge.put('newbie', 'n1'), 'VAULT_TOKEN', 'CHILD_TOKEN_ROLE')
  })

  it('AppRole without child tokens: a login picks up the new agent on its first request', async () => {
    const s = await setup({ env: { CHILD_TOKEN_ENABLED: 'false' } })
    await s.provision(['alice'])
    const bridge = await s.serve('approle', { CHILD_TOKEN_ENABLED: 'false' })
    expect((await bridge.put('alice', 'a1')).status).toBe(200)
    // An agent that is not provisioned stays refused (its login attempt is revoked at once).
    expectRefusal(await bridge.put('stranger', 's1'))
    await s.provision(['alice', 'newbie'])
    expect((await bridge.put('newbie', 'n1')).status).toBe(200)
    expect((await bridge.get('alice')).body.data?.v).toBe('a1')
  })
})
