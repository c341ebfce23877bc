/**
 * @module scripts/gen-config-docs: regenerate the README's configuration table and
 * docs/config.md from `envSchema` (`npm run docs:config`).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { format, resolveConfig } from 'prettier'
import { configDocMarkdown, withConfigTable } from '../src/config/describe.js'

const root = join(import.meta.dirname, '..')

/** Writes `path` when its formatted content changed; says which. */
async function update(path: string, content: (before: string) => string): Promise<void> {
  const file = join(root, path)
  let before = ''
  try {
    before = readFileSync(file, 'utf8')
  } catch {
    // A missing file is generated from scratch.
  }
  // Formatted like `prettier --write` would, so that the two never fight over the file.
  const options = { ...(await resolveConfig(file)), filepath: file }
  const after = await format(content(before), options)
  if (after === before) {
    process.stdout.write(`${path} is up to date.\n`)
  } else {
    writeFileSync(file, after)
    process.stdout.write(`${path} regenerated from src/config/schema.ts.\n`)
  }
}

await update('README.md', withConfigTable)
await update('docs/config.md', configDocMarkdown)
