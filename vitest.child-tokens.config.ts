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
    name: 'child-tokens',
    include: ['test/integration/rest-*.test.ts', 'test/integration/mcp-*.test.ts'],
    // The conformance suite checks the transport, and the consent suites the signed
    // requestState; child tokens change neither (a consent read is an ordinary read_secret).
    exclude: [
      'test/integration/mcp-conformance.test.ts',
      'test/integration/mcp-consent.test.ts',
      'test/integration/mcp-consent-replicas.test.ts',
    ],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
  },
})
