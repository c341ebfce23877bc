/**
 * @module vitest configuration: one run, one summary, fast and slow tests in their own projects.
 * Where a test file goes follows from its name and folder (README, "Testing"):
 * - `*.process.test.ts` runs our code in another process (the CLI, the dev command, a script,
 *   a bin): project `processes`;
 * - `*.external.test.ts` needs a program or service from outside Node and npm ci (nginx, Redis,
 *   Chromium, promtool, kubectl, npm/npx fetching packages): project `external`;
 * - every other `*.test.ts` runs in process: `unit` (src/, scripts/, beside their files),
 *   `integration` (the rest of test/), `security` (test/security/, the attack matrix),
 *   `dev-vault` (packages/dev-vault, with its contract suite), and the REST and MCP suites again
 *   with per-request child tokens (`child-tokens`, vitest.child-tokens.config.ts).
 * `npm run test:quick` runs the in-process projects but child-tokens; `npm test` runs them all.
 */
import { configDefaults, defineConfig } from 'vitest/config'

/** The test files that leave the process: not in the in-process projects. */
const OUT_OF_PROCESS = ['**/*.process.test.ts', '**/*.external.test.ts']

// In-process projects share loaded modules between the test files of a worker (most of a file's
// time was spent importing): a test file restores what it changes (environment variables, fake
// timers, listeners on `process`). Out-of-process projects keep the default isolation.
const inProcess = { isolate: false, exclude: [...configDefaults.exclude, ...OUT_OF_PROCESS] }

const everywhere = (suffix: string) => [
  `{src,test,scripts}/**/*.${suffix}`,
  `packages/*/{src,test}/**/*.${suffix}`,
]

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
          name: 'unit',
          include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
          ...inProcess,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          ...inProcess,
          exclude: [...inProcess.exclude, 'test/security/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'security',
          include: ['test/security/**/*.test.ts'],
          ...inProcess,
        },
      },
      './vitest.child-tokens.config.ts',
      {
        // The package's own configuration (`npm test -w packages/dev-vault` runs all of it);
        // its spawned tests run in `processes` with everyone else's.
        extends: './packages/dev-vault/vitest.config.ts',
        root: './packages/dev-vault',
        test: inProcess,
      },
      // Spawned processes and outside programs start slowly on a loaded machine.
      {
        extends: true,
        test: { name: 'processes', include: everywhere('process.test.ts'), testTimeout: 60_000 },
      },
      {
        extends: true,
        test: { name: 'external', include: everywhere('external.test.ts'), testTimeout: 60_000 },
      },
    ],
  },
})
