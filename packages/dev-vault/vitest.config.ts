/**
 * @module dev-vault/vitest.config: the package's unit tests (beside their files) and its Vault
 * contract suite (test/contract), one vitest project that the repository's `npm test` runs too.
 */
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    name: 'dev-vault',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
  },
})
