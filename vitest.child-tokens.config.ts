/**
 * @module vitest configuration for the child-token run: the in-process REST and MCP suites,
 * unchanged, with every Vault stack in CHILD_TOKEN_ENABLED mode (test/helpers/child-token-stack.ts).
 * A suite that already runs both modes itself, or whose Vault calls do not go through the stack,
 * would only run a second time identically, so it is left out.
 * `npx vitest run -c vitest.child-tokens.config.ts`
 */
import { fileURLToPath } from 'node:url'
import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    alias: [
      {
        find: /^\.\.\/helpers\/vault-stack\.js$/,
        replacement: fileURLToPath(new URL('./test/helpers/child-token-stack.ts', import.meta.url)),
      },
    ],
  },
  test: {
    name: 'child-tokens',
    include: ['test/integration/rest-*.test.ts', 'test/integration/mcp-*.test.ts'],
    exclude: [
      ...configDefaults.exclude,
      // Out of process (vitest.config.ts): they do not run on the stack.
      '**/*.process.test.ts',
      '**/*.external.test.ts',
      // Runs each case with and without child tokens itself.
      'test/integration/rest-isolation.test.ts',
      // The stdio command runs on its own configuration (no child tokens); the stack only
      // provides the Vault.
      'test/integration/mcp-stdio.test.ts',
      // Checks the signed consent requestState; its reads are ordinary read_secret calls, which
      // mcp-tools runs with child tokens.
      'test/integration/mcp-consent.test.ts',
    ],
    // As the other in-process projects (vitest.config.ts): modules shared between test files.
    isolate: false,
    // mcp-tools: child tokens change how Vault is reached, not the protocol; one kind per
    // transport and client generation is enough here (the other run has all four).
    env: { MCP_TOOLS_KINDS: 'stdio-v1,http-v2' },
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
  },
})
