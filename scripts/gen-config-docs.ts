/** @module scripts/gen-config-docs: rewrite the README's configuration table from `envSchema`. */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { format, resolveConfig } from 'prettier'
import { withConfigTable } from '../src/config/describe.js'

const readme = join(import.meta.dirname, '..', 'README.md')
const before = readFileSync(readme, 'utf8')
// Formatted like `prettier --write` would, so that the two never fight over the file.
const options = { ...(await resolveConfig(readme)), filepath: readme }
const after = await format(withConfigTable(before), options)
if (after === before) {
  process.stdout.write('README.md configuration table is up to date.\n')
} else {
  writeFileSync(readme, after)
  process.stdout.write('README.md configuration table regenerated from src/config/schema.ts.\n')
}
