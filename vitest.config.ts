/**
 * @module vitest configuration: unit tests beside their files, integration suites in test/, the
 * attack matrix in test/security/ (its own project: it spawns bridges and nginx), the
 * REST and MCP suites a second time with per-request child tokens (vitest.child-tokens.config.ts),
 * and the dev vault package's own tests and Vault contract suite, all in one run with one summary.
 */
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'bridge',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['test/security/**'],
        },
      },
      {
        // The attack matrix: real bridges (spawned), real nginx, real sockets.
        extends: true,
        test: { name: 'security', include: ['test/security/**/*.test.ts'], testTimeout: 60_000 },
      },
      './vitest.child-tokens.config.ts',
      './packages/dev-vault/vitest.config.ts',
    ],
  },
})
