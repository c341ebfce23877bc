/**
 * @module the README and docs/*.md name only files that exist: every relative Markdown link, and
 * every backticked path into the repository (`src/...`, `deploy/kubernetes/`, `CHANGELOG.md`, a
 * `*` glob such as `scripts/test_agent_*.sh`). deploy/kubernetes/README.md is checked as well.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const docs = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
  join('deploy', 'kubernetes', 'README.md'),
]
/**
 * Top-level entries a backticked path may start with: the repository's own (not what the checkout
 * makes: node_modules, .git, and .dev/, which `npm start` writes while it runs).
 */
const NOT_IN_REPOSITORY = new Set(['node_modules', '.git', '.dev'])
const topLevel = new Set(readdirSync(root).filter((f) => !NOT_IN_REPOSITORY.has(f)))

/** Whether `path` (relative to the repository, maybe with one `*` glob segment) exists. */
function exists(path: string): boolean {
  if (!path.includes('*')) return existsSync(join(root, path))
  const dir = dirname(path)
  const pattern = new RegExp(
    `^${path
      .slice(dir.length + 1)
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')}$`,
  )
  return existsSync(join(root, dir)) && readdirSync(join(root, dir)).some((f) => pattern.test(f))
}

function references(doc: string): { kind: string; target: string; path: string }[] {
  const text = readFileSync(join(root, doc), 'utf8')
  const found: { kind: string; target: string; path: string }[] = []
  // Markdown links, outside code blocks: [text](target), relative to the document.
  const prose = text.replace(/^```[\s\S]*?^```/gm, '')
  for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target!) || target!.startsWith('#')) continue
    const file = target!.replace(/#.*$/, '')
    found.push({
      kind: 'link',
      target: target!,
      path: relative(root, join(root, dirname(doc), file)),
    })
  }
  // Backticked repository paths, in prose: they are written relative to the repository root.
  for (const [, span] of prose.matchAll(/`([^`\s]+)`/g)) {
    const path = span!.replace(/[:,.;]+$/, '')
    if (/[<>{}$=]|^\.\.?\//.test(path)) continue
    const first = path.split('/')[0]!
    const isRepoPath = path.includes('/') ? topLevel.has(first) : /^[A-Z][\w-]*\.md$/.test(path)
    if (isRepoPath) found.push({ kind: 'path', target: span!, path })
  }
  return found
}

describe('documentation references', () => {
  it.each(docs)('%s names only files that exist', (doc) => {
    const refs = references(doc)
    expect(refs.length).toBeGreaterThan(0)
    const missing = refs.filter((r) => !exists(r.path)).map((r) => `${r.kind} ${r.target}`)
    expect(missing).toEqual([])
  })

  it('catches a missing file, a missing link target and a bad glob', () => {
    const bad = ['STYLE.md', 'docs/vault-api-reference.md', 'scripts/nothing_*.sh']
    for (const path of bad) expect(exists(path), path).toBe(false)
    expect(exists('scripts/test_agent_*.sh')).toBe(true)
  })

  it('the README links the operations guide, the deployment guide, the licence and the changelog', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    for (const target of ['docs/operations.md', 'docs/deploy.md', 'LICENSE', 'CHANGELOG.md']) {
      expect(readme).toContain(`](${target})`)
    }
  })
})
