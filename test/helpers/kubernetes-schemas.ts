/**
 * @module test/helpers/kubernetes-schemas: validate Kubernetes manifests against two schemas, both
 * from the npm registry, without a cluster:
 * - strict JSON Schemas generated (ts-json-schema-generator) from `kubernetes-types` 1.30.0, the
 *   Kubernetes v1.30 API types generated from its OpenAPI spec: unknown fields, wrong types and
 *   missing required fields are errors (as `kubectl apply --validate=strict` would say);
 * - the OpenAPI-derived validators of `kubernetes-models` 4.5 (Kubernetes v1.27.1; version 5 needs
 *   Node 22): integer formats, int-or-string and the API's own required lists.
 * Passing both means the manifests are well formed for 1.27 and 1.30 API servers.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'
import { Namespace, ConfigMap, Secret, Service, ServiceAccount } from 'kubernetes-models/v1'
import { Deployment } from 'kubernetes-models/apps/v1'
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { createGenerator } from 'ts-json-schema-generator'

export type Manifest = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

export const KUBERNETES_TYPES_VERSION = '1.30.0'

/** Every kind the deployment files use: its kubernetes-types file and kubernetes-models class. */
const KINDS: Record<string, { types: string; model: new (m: Manifest) => { validate(): void } }> = {
  'v1/Namespace': { types: 'core/v1.d.ts', model: Namespace },
  'v1/ConfigMap': { types: 'core/v1.d.ts', model: ConfigMap },
  'v1/Secret': { types: 'core/v1.d.ts', model: Secret },
  'v1/Service': { types: 'core/v1.d.ts', model: Service },
  'v1/ServiceAccount': { types: 'core/v1.d.ts', model: ServiceAccount },
  'apps/v1/Deployment': { types: 'apps/v1.d.ts', model: Deployment },
  'networking.k8s.io/v1/NetworkPolicy': { types: 'networking/v1.d.ts', model: NetworkPolicy },
  'policy/v1/PodDisruptionBudget': { types: 'policy/v1.d.ts', model: PodDisruptionBudget },
}

const typesDir = dirname(createRequire(import.meta.url).resolve('kubernetes-types/package.json'))
const ajv = new Ajv({ allErrors: true, strict: false })
const strictValidators = new Map<string, ValidateFunction>()
// One generator (one TypeScript program) for every kubernetes-types file the kinds need: building
// the program is most of the cost, and the files share most of their types.
let generator: ReturnType<typeof createGenerator> | undefined

function strictValidator(key: string): ValidateFunction {
  let validate = strictValidators.get(key)
  if (!validate) {
    const kind = key.split('/').at(-1)!
    const files = [...new Set(Object.values(KINDS).map((k) => k.types.replace(/\.d\.ts$/, '')))]
    generator ??= createGenerator({
      path: join(typesDir, `{${files.join(',')}}.d.ts`),
      skipTypeCheck: true,
      topRef: false,
      jsDoc: 'none',
      additionalProperties: false,
    })
    validate = ajv.compile(generator.createSchema(kind))
    strictValidators.set(key, validate)
  }
  return validate
}

/**
 * Problems of one manifest against both schemas, as `path message` lines; empty when valid. A kind
 * without a schema here is a problem too, so that a new kind cannot slip by unvalidated.
 */
export function kubernetesSchemaErrors(manifest: Manifest): string[] {
  const key = `${manifest.apiVersion}/${manifest.kind}`
  if (!KINDS[key]) return [`no schema for ${key}: add it to test/helpers/kubernetes-schemas.ts`]
  const errors: string[] = []
  const validate = strictValidator(key)
  if (!validate(manifest)) {
    for (const e of validate.errors ?? []) {
      errors.push(`${key} ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`)
    }
  }
  try {
    new KINDS[key]!.model(manifest).validate()
  } catch (e) {
    errors.push(`${key} (OpenAPI 1.27): ${(e as Error).message}`)
  }
  return errors
}
