/**
 * @module deploy/kubernetes rendered by `kubectl kustomize` (an outside program) equals what
 * test/helpers/kustomize.ts renders, which deploy-files.test.ts validates. Skipped, visibly, on a
 * machine without kubectl.
 */
import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import type { Manifest } from '../helpers/kubernetes-schemas.js'
import { copyOfKubernetes, kustomizeBuild, TEST_CA } from '../helpers/kustomize.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('deploy/kubernetes and kubectl kustomize', () => {
  it('matches `kubectl kustomize` where kubectl is installed', () => {
    const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' })
    if (kubectl.status !== 0) {
      console.warn('SKIPPED the kubectl kustomize comparison: kubectl is not installed')
      return
    }
    const dir = copyOfKubernetes({ ca: TEST_CA })
    dirs.push(dir)
    for (const target of ['base', join('overlays', 'vault-ca')]) {
      const r = spawnSync('kubectl', ['kustomize', join(dir, target)], { encoding: 'utf8' })
      expect(r.stderr).toBe('')
      const theirs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Manifest)
      const ours = kustomizeBuild(join(dir, target))
      // kustomize appends a content hash to generated names; this renderer does not.
      const normal = (ms: Manifest[]) =>
        JSON.stringify(
          ms
            .map((m) =>
              JSON.parse(JSON.stringify(m).replace(/"vault-ca-[a-z0-9]{10}"/g, '"vault-ca"')),
            )
            .sort((a, b) =>
              `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`),
            ),
          (_, v) =>
            v && typeof v === 'object' && !Array.isArray(v)
              ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y)))
              : v,
        )
      expect(normal(ours)).toBe(normal(theirs))
    }
  })
})
