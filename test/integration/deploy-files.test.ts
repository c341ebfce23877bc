/**
 * @module deployment files (Kubernetes, compose, Dockerfile, nginx) checked without an engine or a
 * cluster: the kustomize base and overlay rendered and validated against the Kubernetes schemas
 * (test/helpers/kubernetes-schemas.ts), their references and security settings, and the compose
 * file's services, order, variables, users and volumes.
 */
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { envSchema } from '../../src/config/schema.js'
import { imageNodeFlags } from '../../scripts/bench/stack.js'
import { runMain } from '../helpers/cli.js'
import { kubernetesSchemaErrors, type Manifest } from '../helpers/kubernetes-schemas.js'
import {
  copyOfKubernetes,
  KUBERNETES_DIR,
  KustomizeError,
  kustomizeBuild,
  readManifests,
  TEST_CA,
} from '../helpers/kustomize.js'

const root = join(import.meta.dirname, '..', '..')
const read = (...p: string[]) => readFileSync(join(root, ...p), 'utf8')
const knownVariables = new Set(Object.keys(envSchema.shape))
const SECRET_VARIABLES = [
  'VAULT_ROLE_ID',
  'VAULT_SECRET_ID',
  'API_KEYS_JSON',
  'JWT_HS256_SECRET',
  'STATE_SIGNING_KEY',
]
/** The image's `node` user (Dockerfile: USER node; uid 1000 in the official Node images). */
const IMAGE_UID = 1000

const k8s = KUBERNETES_DIR
const baseDir = join(k8s, 'base')
const overlayDir = join(k8s, 'overlays', 'vault-ca')
const tmpDirs: string[] = []
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true })
})

/** A copy of deploy/kubernetes to build variants in (a CA file, an image override). */
function copy(options: { ca?: string } = {}): string {
  const dir = copyOfKubernetes(options)
  tmpDirs.push(dir)
  return dir
}

const overlayWithCa = () => copy({ ca: TEST_CA })

const yamlFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(dir, f))

const base = kustomizeBuild(baseDir)
const secretTemplate = readManifests(join(baseDir, 'secret.yaml'))
const find = (objects: Manifest[], kind: string, name: string) => {
  const found = objects.find((m) => m.kind === kind && m.metadata.name === name)
  if (!found) throw new Error(`no ${kind} ${name}`)
  return found
}
const deployment = find(base, 'Deployment', 'vault-mcp-bridge')
const pod = deployment.spec.template.spec
const bridge = pod.containers.find((c: Manifest) => c.name === 'bridge')
const configMap = find(base, 'ConfigMap', 'vault-mcp-bridge')
const secret = find(secretTemplate, 'Secret', 'vault-mcp-bridge')
const workloads = base.filter((m) => m.kind === 'Deployment')
const labelsMatch = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v)

describe('deploy/kubernetes: the kustomize base and overlay', () => {
  it('the base lists every manifest in its directory but the Secret template', () => {
    const listed = new Set(
      (parse(read('deploy', 'kubernetes', 'base', 'kustomization.yaml')) as Manifest).resources,
    )
    const files = readdirSync(baseDir).filter(
      (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml',
    )
    expect(files.filter((f) => !listed.has(f))).toEqual(['secret.yaml'])
    expect(base.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      'ConfigMap/vault-mcp-bridge',
      'Deployment/redis',
      'Deployment/vault-mcp-bridge',
      'Namespace/vault-mcp-bridge',
      'NetworkPolicy/default-deny',
      'NetworkPolicy/redis',
      'NetworkPolicy/vault-mcp-bridge',
      'PodDisruptionBudget/vault-mcp-bridge',
      'Service/redis',
      'Service/vault-mcp-bridge',
      'ServiceAccount/vault-mcp-bridge',
    ])
    for (const m of base)
      if (m.kind !== 'Namespace') expect(m.metadata.namespace).toBe('vault-mcp-bridge')
  })

  // The strict schemas come from a TypeScript program over the kubernetes-types files: a few
  // seconds of CPU, many more on a loaded machine.
  it('every manifest file and every rendered object validates against the Kubernetes schemas', () => {
    // A patch is a partial object: the rendered overlay, checked here, is the whole one.
    const files = yamlFiles(baseDir).filter((f) => !f.endsWith('kustomization.yaml'))
    const objects = [
      ...files.flatMap((f) => readManifests(f)),
      ...base,
      ...kustomizeBuild(join(overlayWithCa(), 'overlays', 'vault-ca')),
    ]
    expect(files).toHaveLength(9)
    expect(objects.length).toBeGreaterThan(30)
    expect(objects.flatMap((m) => kubernetesSchemaErrors(m))).toEqual([])
  }, 60_000)

  it('the schema check has teeth: a misspelt field, a wrong type, a missing name fail', () => {
    const broken = structuredClone(deployment)
    const c = broken.spec.template.spec.containers[0]
    c.readinesProbe = c.readinessProbe
    c.ports[0].containerPort = 'http'
    delete c.name
    const problems = kubernetesSchemaErrors(broken).join('\n')
    expect(problems).toContain('readinesProbe')
    expect(problems).toMatch(/containerPort must be number/)
    expect(problems).toMatch(/required property 'name'/)
    expect(kubernetesSchemaErrors({ apiVersion: 'v1', kind: 'Pod', metadata: {} })).toHaveLength(1)
  })

  it('the vault-ca overlay patches existing objects and mounts the CA where VAULT_CACERT points', () => {
    expect(() => kustomizeBuild(overlayDir)).toThrow(/ca\.crt does not exist/)
    const objects = kustomizeBuild(join(overlayWithCa(), 'overlays', 'vault-ca'))
    const ca = find(objects, 'ConfigMap', 'vault-ca')
    expect(ca.data['ca.crt']).toBe(TEST_CA)
    expect(ca.metadata.namespace).toBe('vault-mcp-bridge')
    const spec = find(objects, 'Deployment', 'vault-mcp-bridge').spec.template.spec
    const c = spec.containers.find((x: Manifest) => x.name === 'bridge')
    const cacert = c.env.find((e: Manifest) => e.name === 'VAULT_CACERT').value as string
    const mount = c.volumeMounts.find((v: Manifest) => v.name === 'vault-ca')
    expect(mount.readOnly).toBe(true)
    expect(cacert).toBe(`${mount.mountPath}/ca.crt`)
    expect(spec.volumes.find((v: Manifest) => v.name === 'vault-ca').configMap.name).toBe(
      'vault-ca',
    )
    // Everything else is the base's, patched in place (one container, the base's mounts kept).
    expect(spec.containers).toHaveLength(1)
    expect(c.volumeMounts.map((v: Manifest) => v.name)).toEqual(['vault-ca', 'tmp'])
    expect(objects).toHaveLength(base.length + 1)

    const dir = copy()
    writeFileSync(
      join(dir, 'overlays', 'vault-ca', 'broken-patch.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: vault-mcp-brige }\n',
    )
    writeFileSync(join(dir, 'overlays', 'vault-ca', 'ca.crt'), TEST_CA)
    const kz = join(dir, 'overlays', 'vault-ca', 'kustomization.yaml')
    writeFileSync(kz, `${readFileSync(kz, 'utf8')}  - path: broken-patch.yaml\n`)
    expect(() => kustomizeBuild(join(dir, 'overlays', 'vault-ca'))).toThrow(KustomizeError)
  })

  it('the image is a placeholder that never resolves, and kustomize images overrides it', () => {
    expect(bridge.image).toMatch(/^registry\.example\.invalid\/vault-mcp-bridge:\d+\.\d+\.\d+$/)
    expect(bridge.image.split(':')[1]).toBe(JSON.parse(read('package.json')).version)
    // What `kustomize edit set image` writes into an overlay.
    const dir = copy()
    const mine = join(dir, 'overlays', 'mine')
    cpSync(join(dir, 'overlays', 'vault-ca'), mine, { recursive: true })
    writeFileSync(
      join(mine, 'kustomization.yaml'),
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../../base]\n' +
        'images:\n  - name: registry.example.invalid/vault-mcp-bridge\n' +
        '    newName: registry.corp.example/platform/vault-mcp-bridge\n    newTag: 0.1.0-3\n',
    )
    const images = kustomizeBuild(mine)
      .filter((m) => m.kind === 'Deployment')
      .flatMap((m) => m.spec.template.spec.containers.map((c: Manifest) => c.image))
    expect(images.sort()).toEqual([
      'redis:7.4-alpine',
      'registry.corp.example/platform/vault-mcp-bridge:0.1.0-3',
    ])
  })
})

describe('deploy/kubernetes: what the objects say', () => {
  it('every pod passes Pod Security "restricted", which the namespace enforces', () => {
    const ns = find(base, 'Namespace', 'vault-mcp-bridge')
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted')
    const allowedVolumes = [
      'configMap',
      'csi',
      'downwardAPI',
      'emptyDir',
      'ephemeral',
      'persistentVolumeClaim',
      'projected',
      'secret',
    ]
    for (const w of workloads) {
      const spec = w.spec.template.spec
      expect(spec.hostNetwork ?? false).toBe(false)
      expect(spec.hostPID ?? false).toBe(false)
      expect(spec.hostIPC ?? false).toBe(false)
      expect(spec.securityContext.runAsNonRoot).toBe(true)
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0)
      expect(spec.securityContext.seccompProfile.type).toBe('RuntimeDefault')
      expect(spec.automountServiceAccountToken).toBe(false)
      for (const v of spec.volumes ?? []) {
        const type = Object.keys(v).find((k) => k !== 'name')!
        expect(allowedVolumes).toContain(type)
      }
      for (const c of spec.containers) {
        expect(c.securityContext.privileged ?? false).toBe(false)
        expect(c.securityContext.allowPrivilegeEscalation).toBe(false)
        expect(c.securityContext.readOnlyRootFilesystem).toBe(true)
        expect(c.securityContext.capabilities.drop).toEqual(['ALL'])
        expect(c.securityContext.capabilities.add).toBeUndefined()
        for (const p of c.ports ?? []) expect(p.hostPort).toBeUndefined()
        for (const kind of ['requests', 'limits']) {
          expect(c.resources[kind].cpu).toBeTruthy()
          expect(c.resources[kind].memory).toBeTruthy()
        }
      }
    }
    expect(pod.securityContext.runAsUser).toBe(IMAGE_UID)
    expect(find(base, 'ServiceAccount', 'vault-mcp-bridge').automountServiceAccountToken).toBe(
      false,
    )
    expect(pod.serviceAccountName).toBe('vault-mcp-bridge')
  })

  it('the bridge runs several replicas with probes on its own ports, and a PDB that allows drains', () => {
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2)
    expect(
      labelsMatch(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels),
    ).toBe(true)
    const port = (name: string) => bridge.ports.find((p: Manifest) => p.name === name).containerPort
    expect(port('http')).toBe(Number(configMap.data.PORT))
    expect(port('metrics')).toBe(Number(configMap.data.METRICS_PORT))
    expect(bridge.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' })
    expect(bridge.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' })
    expect(bridge.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' })
    const pdb = find(base, 'PodDisruptionBudget', 'vault-mcp-bridge')
    expect(
      labelsMatch(pdb.spec.selector.matchLabels, deployment.spec.template.metadata.labels),
    ).toBe(true)
    expect(pdb.spec.maxUnavailable).toBeLessThan(deployment.spec.replicas)
    const annotations = deployment.spec.template.metadata.annotations
    expect(annotations['prometheus.io/port']).toBe(configMap.data.METRICS_PORT)
  })

  it('every reference resolves: config, Secret template, Services, Redis', () => {
    const refs = bridge.envFrom.map((e: Manifest) => e.configMapRef?.name ?? e.secretRef?.name)
    expect(refs).toEqual([configMap.metadata.name, secret.metadata.name])
    for (const svc of base.filter((m) => m.kind === 'Service')) {
      const target = workloads.find((w) =>
        labelsMatch(svc.spec.selector, w.spec.template.metadata.labels),
      )
      expect(target).toBeDefined()
      const names = target!.spec.template.spec.containers.flatMap((c: Manifest) =>
        c.ports.map((p: Manifest) => p.name),
      )
      for (const p of svc.spec.ports) expect(names).toContain(p.targetPort)
    }
    const redis = new URL(configMap.data.RATE_LIMIT_REDIS_URL)
    const [service, namespace] = redis.hostname.split('.')
    expect(find(base, 'Service', service!).metadata.namespace).toBe(namespace)
    expect(find(base, 'Service', service!).spec.ports[0].port).toBe(Number(redis.port))
  })

  it('NetworkPolicies deny by default and open only the ports the bridge uses', () => {
    const deny = find(base, 'NetworkPolicy', 'default-deny')
    expect(deny.spec.podSelector).toEqual({})
    expect(deny.spec.policyTypes).toEqual(['Ingress', 'Egress'])
    expect(deny.spec.ingress).toBeUndefined()
    expect(deny.spec.egress).toBeUndefined()

    const np = find(base, 'NetworkPolicy', 'vault-mcp-bridge')
    expect(
      labelsMatch(np.spec.podSelector.matchLabels, deployment.spec.template.metadata.labels),
    ).toBe(true)
    const ingressPorts = np.spec.ingress.flatMap((r: Manifest) =>
      r.ports.map((p: Manifest) => p.port),
    )
    expect(ingressPorts.sort()).toEqual(
      [Number(configMap.data.PORT), Number(configMap.data.METRICS_PORT)].sort(),
    )
    for (const rule of np.spec.ingress) expect(rule.from.length).toBeGreaterThan(0)
    const egressPorts = np.spec.egress.flatMap((r: Manifest) =>
      r.ports.map((p: Manifest) => p.port),
    )
    expect(egressPorts).toContain(Number(new URL(configMap.data.VAULT_ADDR).port))
    expect(egressPorts).toContain(Number(new URL(configMap.data.RATE_LIMIT_REDIS_URL).port))
    expect(egressPorts).toContain(53)

    const redisPolicy = find(base, 'NetworkPolicy', 'redis')
    expect(redisPolicy.spec.ingress).toHaveLength(1)
    expect(redisPolicy.spec.ingress[0].from).toEqual([{ podSelector: np.spec.podSelector }])
    expect(redisPolicy.spec.egress).toEqual([])
  })

  it('config and Secret set only variables the bridge knows; secrets only in the Secret', () => {
    for (const name of Object.keys(configMap.data)) expect(knownVariables).toContain(name)
    for (const name of Object.keys(secret.stringData)) expect(knownVariables).toContain(name)
    for (const name of SECRET_VARIABLES) {
      expect(configMap.data).not.toHaveProperty(name)
      expect(secret.stringData).toHaveProperty(name)
    }
    expect(configMap.data).not.toHaveProperty('VAULT_TOKEN')
    expect(configMap.data).not.toHaveProperty('VAULT_CACERT')
  })

  it('the Secret template ships empty values', () => {
    expect(Object.values(secret.stringData).filter((v) => v !== '')).toEqual([])
    expect(secret.data).toBeUndefined()
  })

  it('as shipped (ConfigMap plus the empty Secret), serve refuses to start, before contacting Vault', async () => {
    const env = {
      ...configMap.data,
      ...secret.stringData,
      VAULT_ADDR: 'https://vault.example.invalid:8200',
    }
    const r = await runMain(['serve'], env)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/VAULT_ROLE_ID/)
  })
})

describe('no demo credential in the deployment files', () => {
  const common = read('scripts', 'lib', 'common.sh')
  const demo = [...common.matchAll(/^BUILTIN_DEMO_\w+='([^']+)'$/gm)].map((m) => m[1]!)

  it('none of deploy/ and local-vault/ holds a demo credential or a fill-me-in placeholder', () => {
    expect(demo.length).toBe(4)
    const files = [...yamlFiles(join(root, 'deploy')), ...yamlFiles(join(root, 'local-vault'))]
    files.push(join(root, 'deploy', 'nginx', 'vault-mcp-bridge.conf'))
    for (const f of files) {
      const text = readFileSync(f, 'utf8')
      for (const value of demo) expect(text, relative(root, f)).not.toContain(value)
      expect(text, relative(root, f)).not.toMatch(/replace-with|change-?me/i)
    }
  })
})

describe('local-vault/docker-compose.yml', () => {
  const compose = parse(read('local-vault', 'docker-compose.yml')) as Manifest
  const { vault, provision, bridge: bridgeService } = compose.services
  const volumeInit = compose.services['approle-volume']
  const outFile = provision.command[provision.command.indexOf('--out') + 1] as string
  const dockerfile = read('Dockerfile')

  it('runs a pinned official Vault dev server on loopback', () => {
    expect(vault.image).toMatch(/^hashicorp\/vault:\d+\.\d+\.\d+$/)
    expect(vault.command).toEqual(expect.arrayContaining(['server', '-dev']))
    expect(vault.ports).toEqual(['127.0.0.1:8200:8200'])
    expect(vault.healthcheck.test.join(' ')).toContain('vault status')
  })

  it('runs in order: volume owner and a healthy Vault, then provision, then the bridge', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'approle-volume',
      'bridge',
      'provision',
      'vault',
    ])
    expect(provision.depends_on).toEqual({
      vault: { condition: 'service_healthy' },
      'approle-volume': { condition: 'service_completed_successfully' },
    })
    expect(bridgeService.depends_on).toEqual({
      provision: { condition: 'service_completed_successfully' },
    })
    expect(volumeInit.restart).toBe('no')
    expect(provision.restart).toBe('no')
    expect(bridgeService.profiles).toEqual(['bridge'])
  })

  it('provision writes an env file into a named volume that its user owns', () => {
    expect(provision.command.slice(0, 1)).toEqual(['provision'])
    expect(outFile).toMatch(/^\/out\/[\w-]+\.env$/)
    expect(provision.environment.VAULT_ADDR).toBe('http://vault:8200')
    expect(provision.environment.AGENTS).toContain('agent_api,agent_jwt,agent_mtls')
    // The named volume (no host path Docker would create as root) is handed to the image's user
    // first, by a one-shot running as root; provision runs as the image's user.
    expect(Object.keys(compose.volumes)).toEqual(['approle'])
    expect(provision.volumes).toEqual(['approle:/out'])
    expect(provision.user).toBeUndefined()
    expect(dockerfile).toMatch(/^USER node$/m)
    expect(volumeInit.user).toBe('0:0')
    expect(volumeInit.entrypoint).toEqual(['chown', `${IMAGE_UID}:${IMAGE_UID}`, '/out'])
    expect(volumeInit.volumes).toEqual(['approle:/out'])
  })

  it('the bridge logs in with the provisioned AppRole, never the root token, with known variables only', () => {
    expect(bridgeService.environment).not.toHaveProperty('VAULT_TOKEN')
    expect(bridgeService.volumes).toEqual(['approle:/out:ro'])
    const [node, envFile, main] = bridgeService.entrypoint as string[]
    expect(node).toBe('node')
    expect(envFile).toBe(`--env-file=${outFile}`)
    expect(dockerfile).toContain(`ln -s ${main} /usr/local/bin/vault-mcp-bridge`)
    expect(bridgeService.command).toEqual(['serve'])
    expect(bridgeService.ports).toEqual(['127.0.0.1:8089:8089'])
    for (const name of [
      ...Object.keys(bridgeService.environment),
      'VAULT_ROLE_ID',
      'VAULT_SECRET_ID',
    ]) {
      expect(knownVariables).toContain(name)
    }
    // No credential of its own: the operator's API_KEYS_JSON or JWT_HS256_SECRET, else none.
    expect(bridgeService.environment.API_KEYS_JSON).toBe('${API_KEYS_JSON:-}')
    expect(bridgeService.environment.JWT_HS256_SECRET).toBe('${JWT_HS256_SECRET:-}')
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
    expect(instr('ENTRYPOINT')).toEqual([
      'ENTRYPOINT ["node", "--max-semi-space-size=8", "--heap-growing-percent=50", "/app/dist/main.js"]',
    ])
    expect(instr('CMD')).toEqual(['CMD ["serve"]'])
  })

  it('runs Node with the V8 settings the bench measures, which `npm start` uses too', () => {
    // npm run bench reads the flags from the ENTRYPOINT (imageNodeFlags in scripts/bench/stack.ts),
    // so the figures in docs/performance.md are those of the image.
    const flags = imageNodeFlags()
    expect(flags).toEqual(['--max-semi-space-size=8', '--heap-growing-percent=50'])
    // Flags on the command line, not NODE_OPTIONS: a deployment's own NODE_OPTIONS keeps them.
    expect(read('Dockerfile')).not.toMatch(/^\s*(?:ENV\s+)?NODE_OPTIONS[=\s]/m)
    const start = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start
    expect(start).toBe(`node ${flags.join(' ')} --import tsx scripts/dev.ts`)
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

  it('sends the proxy secret from a file of its own, never a literal', () => {
    expect(conf).toMatch(/^\s*include \/etc\/vault-mcp-bridge\/proxy-secret\.conf;/m)
    expect(conf).toMatch(/proxy_set_header X-Mtls-Proxy-Secret \$vault_mcp_bridge_proxy_secret;/)
    expect(conf).not.toMatch(/^\s*set \$vault_mcp_bridge_proxy_secret/m)
    expect(conf).not.toMatch(/\$ssl_client_s_dn_legacy;/)
  })
})
