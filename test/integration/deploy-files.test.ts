/** @module deployment files (compose, Kubernetes, Dockerfile, nginx) checked without an engine. */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'
import { envSchema } from '../../src/config/schema.js'

const root = join(import.meta.dirname, '..', '..')
const read = (...p: string[]) => readFileSync(join(root, ...p), 'utf8')
const knownVariables = new Set(Object.keys(envSchema.shape))

type Doc = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

describe('local-vault/docker-compose.yml', () => {
  const compose = parse(read('local-vault', 'docker-compose.yml')) as Doc

  it('runs a pinned official Vault dev server on loopback', () => {
    const vault = compose.services.vault
    expect(vault.image).toMatch(/^hashicorp\/vault:\d+\.\d+\.\d+$/)
    expect(vault.command).toContain('server')
    expect(vault.command).toContain('-dev')
    expect(vault.ports).toContain('127.0.0.1:8200:8200')
    expect(vault.healthcheck.test.join(' ')).toContain('vault status')
  })

  it('provisions with the bridge CLI once Vault is healthy', () => {
    const provision = compose.services.provision
    expect(provision.command[0]).toBe('provision')
    expect(provision.depends_on.vault.condition).toBe('service_healthy')
    expect(provision.environment.AGENTS).toContain('agent_api,agent_jwt,agent_mtls')
    expect(provision.environment.VAULT_ADDR).toBe('http://vault:8200')
    expect(provision.restart).toBe('no')
  })

  it('runs the bridge itself only in the bridge profile, with known variables', () => {
    const bridge = compose.services.bridge
    expect(bridge.profiles).toEqual(['bridge'])
    expect(bridge.command).toEqual(['serve'])
    expect(bridge.ports).toContain('127.0.0.1:8089:8089')
    expect(bridge.depends_on.provision.condition).toBe('service_completed_successfully')
    for (const name of Object.keys(bridge.environment)) expect(knownVariables).toContain(name)
  })
})

describe('deploy/kubernetes', () => {
  const dir = join(root, 'deploy', 'kubernetes')
  const docs: Doc[] = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => {
        expect(d.errors).toEqual([])
        return d.toJS() as Doc
      }),
    )
  const byKind = (kind: string, name?: string) =>
    docs.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name))

  it('every manifest has apiVersion, kind, name and the namespace', () => {
    expect(docs.length).toBeGreaterThanOrEqual(8)
    for (const d of docs) {
      expect(d.apiVersion).toBeTruthy()
      expect(d.kind).toBeTruthy()
      expect(d.metadata.name).toBeTruthy()
      if (d.kind !== 'Namespace') expect(d.metadata.namespace).toBe('vault-mcp-bridge')
    }
  })

  it('runs several replicas with probes, resources and a restricted security context', () => {
    const [deployment] = byKind('Deployment', 'vault-mcp-bridge')
    expect(deployment!.spec.replicas).toBeGreaterThanOrEqual(2)
    const pod = deployment!.spec.template.spec
    expect(pod.securityContext.runAsNonRoot).toBe(true)
    expect(pod.securityContext.seccompProfile.type).toBe('RuntimeDefault')
    const [c] = pod.containers
    expect(c.readinessProbe.httpGet.path).toBe('/readyz')
    expect(c.livenessProbe.httpGet.path).toBe('/healthz')
    expect(c.resources.requests.cpu).toBeTruthy()
    expect(c.resources.requests.memory).toBeTruthy()
    expect(c.securityContext.allowPrivilegeEscalation).toBe(false)
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true)
    expect(c.securityContext.capabilities.drop).toEqual(['ALL'])
    const refs = c.envFrom.map((e: Doc) => e.configMapRef?.name ?? e.secretRef?.name)
    expect(refs).toEqual(['vault-mcp-bridge', 'vault-mcp-bridge'])
  })

  it('config and secret only set variables the bridge knows, secrets only in the Secret', () => {
    const [cm] = byKind('ConfigMap', 'vault-mcp-bridge')
    const [secret] = byKind('Secret', 'vault-mcp-bridge')
    for (const name of Object.keys(cm!.data)) expect(knownVariables).toContain(name)
    for (const name of Object.keys(secret!.stringData)) expect(knownVariables).toContain(name)
    for (const name of ['VAULT_ROLE_ID', 'VAULT_SECRET_ID', 'API_KEYS_JSON', 'JWT_HS256_SECRET']) {
      expect(cm!.data).not.toHaveProperty(name)
      expect(secret!.stringData).toHaveProperty(name)
    }
    expect(cm!.data.RATE_LIMIT_REDIS_URL).toMatch(/^redis:\/\/redis\./)
  })

  it('has a Service for the bridge and Redis for shared limits', () => {
    expect(byKind('Service', 'vault-mcp-bridge')[0]!.spec.ports[0].port).toBe(8089)
    expect(byKind('Deployment', 'redis')).toHaveLength(1)
    expect(byKind('Service', 'redis')[0]!.spec.ports[0].port).toBe(6379)
  })
})

describe('Dockerfile', () => {
  const lines = read('Dockerfile')
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'))
  const instr = (name: string) => lines.filter((l) => l.startsWith(`${name} `))

  it('is a multi-stage build on an official Node slim image', () => {
    const froms = instr('FROM')
    expect(froms.length).toBeGreaterThanOrEqual(2)
    for (const f of froms) expect(f).toMatch(/^FROM node:\d+-[a-z]+-slim( AS \w+)?$/)
    expect(lines.some((l) => l.includes('npm ci'))).toBe(true)
    expect(lines.some((l) => l.includes('npm run build'))).toBe(true)
    expect(lines.some((l) => l.includes('npm prune --omit=dev'))).toBe(true)
  })

  it('runs as a non-root user with the expected port, health check and entry point', () => {
    expect(instr('USER').at(-1)).toBe('USER node')
    expect(instr('EXPOSE')).toEqual(['EXPOSE 8089'])
    expect(read('Dockerfile')).toMatch(/HEALTHCHECK[\s\S]*\/healthz/)
    expect(read('Dockerfile')).toMatch(/HOST=0\.0\.0\.0/)
    expect(instr('ENTRYPOINT')).toEqual(['ENTRYPOINT ["vault-mcp-bridge"]'])
    expect(instr('CMD')).toEqual(['CMD ["serve"]'])
  })

  it('keeps the build context small', () => {
    const ignored = read('.dockerignore').split('\n')
    for (const p of ['node_modules', 'dist', '.git', 'test']) expect(ignored).toContain(p)
  })
})

describe('deploy/nginx', () => {
  const conf = read('deploy', 'nginx', 'vault-mcp-bridge.conf')

  it('requires client certificates and overwrites the identity headers', () => {
    expect(conf).toMatch(/ssl_verify_client\s+on;/)
    expect(conf).toMatch(/proxy_set_header X-SSL-Client-S-DN \$ssl_client_s_dn;/)
    expect(conf).toMatch(/proxy_set_header X-SSL-Client-Verify \$ssl_client_verify;/)
  })
})
