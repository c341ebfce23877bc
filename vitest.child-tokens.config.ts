/**
 * @module vitest configuration for the child-token run: the REST and MCP suites, unchanged, with
 * every Vault stack in CHILD_TOKEN_ENABLED mode (test/helpers/child-token-stack.ts).
 * `npx vitest run -c vitest.child-tokens.config.ts`
 */
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

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
    include: ['test/integration/rest-*.test.ts', 'test/integration/mcp-*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
  },
})
