/**
 * @module test/helpers/kustomize: a small kustomize build, enough for deploy/kubernetes, so that
 * the tests check the rendered objects (what `kubectl apply -k` sends), not the files one by one.
 * It supports resources (files and directories), namespace, configMapGenerator (files), patches
 * (strategic merge, by kind and name) and images; any other field is an error, so that the
 * manifests cannot use a feature these tests would silently ignore. Unlike kustomize it adds no
 * name hash to generated ConfigMaps. When `kubectl` is installed, deploy-files.test.ts compares this
 * with `kubectl kustomize`.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { parse, parseAllDocuments } from 'yaml'
import type { Manifest } from './kubernetes-schemas.js'

const SUPPORTED = new Set([
  'apiVersion',
  'kind',
  'namespace',
  'resources',
  'configMapGenerator',
  'patches',
  'images',
])

/** Strategic-merge keys of the lists the manifests patch; other lists are replaced. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
}

/** deploy/kubernetes of this repository. */
export const KUBERNETES_DIR = join(import.meta.dirname, '..', '..', 'deploy', 'kubernetes')

/** A stand-in CA certificate for the vault-ca overlay (its content is not parsed). */
export const TEST_CA = '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n'

/**
 * A copy of deploy/kubernetes in a new temporary directory, to build variants in (an image
 * override, ...); with `ca`, the vault-ca overlay's ca.crt is written. The caller removes it.
 */
export function copyOfKubernetes(options: { ca?: string } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-'))
  cpSync(KUBERNETES_DIR, dir, { recursive: true })
  if (options.ca !== undefined) {
    writeFileSync(join(dir, 'overlays', 'vault-ca', 'ca.crt'), options.ca)
  }
  return dir
}

export class KustomizeError extends Error {
  override name = 'KustomizeError'
}

/** Reads the YAML documents of one file; a syntax error is an error. */
export function readManifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new KustomizeError(`${file}: ${d.errors[0]!.message}`)
    return d.toJS() as Manifest
  })
}

/**
 * Builds the kustomization in `dir`.
 * @throws KustomizeError for a missing resource or file, an unsupported field, or a patch whose
 * target does not exist.
 */
export function kustomizeBuild(dir: string): Manifest[] {
  const file = join(dir, 'kustomization.yaml')
  if (!existsSync(file)) throw new KustomizeError(`no kustomization.yaml in ${dir}`)
  const k = parse(readFileSync(file, 'utf8')) as Manifest
  for (const field of Object.keys(k)) {
    if (!SUPPORTED.has(field)) throw new KustomizeError(`${file}: unsupported field ${field}`)
  }
  if (k.kind !== 'Kustomization') throw new KustomizeError(`${file}: kind is not Kustomization`)

  let out: Manifest[] = []
  for (const resource of (k.resources ?? []) as string[]) {
    const path = join(dir, resource)
    if (!existsSync(path)) throw new KustomizeError(`${file}: resource ${resource} does not exist`)
    out.push(...(statSync(path).isDirectory() ? kustomizeBuild(path) : readManifests(path)))
  }
  for (const gen of (k.configMapGenerator ?? []) as Manifest[]) {
    const data: Record<string, string> = {}
    for (const f of gen.files as string[]) {
      const path = join(dir, f)
      if (!existsSync(path)) throw new KustomizeError(`${file}: generator file ${f} does not exist`)
      data[basename(f)] = readFileSync(path, 'utf8')
    }
    const metadata = { name: gen.name, ...(gen.namespace ? { namespace: gen.namespace } : {}) }
    out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata, data })
  }
  for (const patch of (k.patches ?? []) as Manifest[]) {
    const path = join(dir, patch.path as string)
    if (!existsSync(path)) throw new KustomizeError(`${file}: patch ${patch.path} does not exist`)
    for (const p of readManifests(path)) {
      const i = out.findIndex((m) => m.kind === p.kind && m.metadata.name === p.metadata.name)
      if (i < 0) {
        throw new KustomizeError(`${patch.path}: no ${p.kind} ${p.metadata.name} to patch`)
      }
      out[i] = strategicMerge(out[i], p) as Manifest
    }
  }
  if (k.namespace) {
    out = out.map((m) =>
      m.kind === 'Namespace' ? m : { ...m, metadata: { ...m.metadata, namespace: k.namespace } },
    )
  }
  for (const image of (k.images ?? []) as Manifest[]) out = out.map((m) => setImage(m, image))
  return out
}

function strategicMerge(base: unknown, patch: unknown, key?: string): unknown {
  if (Array.isArray(base) && Array.isArray(patch) && key && MERGE_KEYS[key]) {
    // As kustomize (kyaml) does: matching items merge in place, new ones go first.
    const mergeKey = MERGE_KEYS[key]
    const merged = [...base] as Manifest[]
    const added: Manifest[] = []
    for (const item of patch as Manifest[]) {
      const i = merged.findIndex((b) => b[mergeKey] === item[mergeKey])
      if (i < 0) added.push(item)
      else merged[i] = strategicMerge(merged[i], item) as Manifest
    }
    return [...added, ...merged]
  }
  if (isObject(base) && isObject(patch)) {
    const merged: Manifest = { ...base }
    for (const [k, v] of Object.entries(patch)) merged[k] = strategicMerge(base[k], v, k)
    return merged
  }
  return patch
}

const isObject = (v: unknown): v is Manifest =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** kustomize's images transformer: `name` matches the image without its tag or digest. */
function setImage(m: Manifest, image: Manifest): Manifest {
  const podSpec = m.spec?.template?.spec
  if (!podSpec) return m
  const rewrite = (c: Manifest) => {
    const [, name, tag] = /^([^@]+?)(?::([\w][\w.-]*))?(?:@.*)?$/.exec(c.image) ?? []
    if (name !== image.name) return c
    const newImage = image.digest
      ? `${image.newName ?? name}@${image.digest}`
      : `${image.newName ?? name}${(image.newTag ?? tag) ? `:${image.newTag ?? tag}` : ''}`
    return { ...c, image: newImage }
  }
  const spec = {
    ...podSpec,
    containers: podSpec.containers.map(rewrite),
    ...(podSpec.initContainers ? { initContainers: podSpec.initContainers.map(rewrite) } : {}),
  }
  return { ...m, spec: { ...m.spec, template: { ...m.spec.template, spec } } }
}
