/** @module ESLint flat config: TypeScript rules plus the import boundaries between layers (STYLE.md). */
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

// Security and architecture: the product in src/ never reaches the dev vault (a workspace
// package that no build, pack or image of the product contains) nor the tests' helpers.
const PRODUCT_ONLY = {
  group: [
    '@vault-mcp-bridge/dev-vault',
    '@vault-mcp-bridge/dev-vault/*',
    '**/packages/**',
    '**/test/**',
  ],
  message: 'src/ (its tests too) imports neither the dev vault package nor test/ (STYLE.md).',
}

const layer = (files, patterns, message) => ({
  files,
  ignores: ['**/*.test.ts'],
  rules: {
    'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }, PRODUCT_ONLY] }],
  },
})

// Only the contract suite uses its harness (a real Vault may run it, so it stays self-contained).
const CONTRACT_HARNESS = {
  group: ['**/test/contract/**', '**/contract/harness*'],
  message: 'Only the contract suite (packages/dev-vault/test/contract) uses its harness.',
}

// The dev vault shares no code with the bridge: no relative import leaves packages/dev-vault
// (one block per folder depth, since a pattern cannot know where the importing file sits), and
// the bridge is not imported by name. Only its test support (src/testing, tests) uses node-vault.
const DEV_VAULT = 'packages/dev-vault'
const DEV_VAULT_TEST_SUPPORT = `${DEV_VAULT}/{src/testing/**,test/**,**/*.test.ts}`
const devVaultIsolation = [0, 1, 2, 3, 4].flatMap((depth) => {
  const files = `${DEV_VAULT}/${'*/'.repeat(depth)}*.ts`
  const standalone = {
    group: [`${'../'.repeat(depth + 1)}**`, 'vault-mcp-bridge', 'vault-mcp-bridge/*'],
    message: 'The dev vault is a stand-alone package: it shares no code with the bridge.',
  }
  const noClient = {
    group: ['node-vault'],
    message: 'The dev vault emulates Vault; only its test support uses node-vault.',
  }
  const rule = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] })
  const contract = `${DEV_VAULT}/test/contract/**`
  return [
    {
      files: [files],
      ignores: [DEV_VAULT_TEST_SUPPORT],
      rules: rule([standalone, noClient, CONTRACT_HARNESS]),
    },
    {
      files: [[files, DEV_VAULT_TEST_SUPPORT]],
      ignores: [contract],
      rules: rule([standalone, CONTRACT_HARNESS]),
    },
    { files: [[files, contract]], rules: rule([standalone]) },
  ]
})

// Test helpers live in test/helpers/ only: a test file imports no other file of its own folder
// and no test of another folder; the dev vault is reached by its package name, which exports its
// test support (`/testing`) but not the contract suite's harness. Only the contract suite uses
// that harness: nothing else in the package imports from its test/.
const TEST_LAYOUT = {
  group: [
    './*',
    '../integration/**',
    '../security/**',
    '**/*.test.js',
    '**/packages/**',
    '**/contract/**',
  ],
  message:
    'Helpers live in test/helpers/, and the dev vault is imported by its package name (STYLE.md).',
}
const HELPERS_LAYOUT = {
  group: ['../integration/**', '../security/**', '**/*.test.js', '**/packages/**'],
  message: 'test/helpers/ imports no test, and the dev vault only by its package name.',
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  // The dev vault's bin is a Node ES module shim.
  { files: ['packages/*/bin/*.js'], languageOptions: { globals: { process: 'readonly' } } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'Name each export: no `export *`.' },
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports only.' },
      ],
    },
  },
  // Tool configuration files must default-export their config; that is the tools' contract.
  {
    files: ['**/*.config.js', '**/*.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PRODUCT_ONLY] }] },
  },
  // core imports zod and its own files only: no adapters, no Vault, no auth, no config loader.
  layer(
    ['src/core/**'],
    [
      '../http/**',
      '../mcp/**',
      '../cli/**',
      '../vault/**',
      '../auth/**',
      '../limits/**',
      '../observability/**',
      '../main.js',
      '../bridge.js',
      'node-vault',
      'hono',
      'hono/*',
      '@modelcontextprotocol/*',
      'jose',
      'pino',
      'prom-client',
      'rate-limiter-flexible',
      'ioredis',
    ],
    'src/core depends only on zod and its own ports (STYLE.md).',
  ),
  // src/vault is the request path to Vault; src/vault/admin (provision, policy rendering) is
  // tooling only the CLI uses, and the request path never reaches into it.
  layer(
    ['src/vault/*.ts'],
    [
      './admin/**',
      '../http/**',
      '../mcp/**',
      '../cli/**',
      '../main.js',
      '../bridge.js',
      '@modelcontextprotocol/*',
    ],
    'The Vault request path must not import admin tooling, the adapters or the MCP SDK.',
  ),
  layer(
    ['src/vault/admin/**'],
    [
      '../../http/**',
      '../../mcp/**',
      '../../cli/**',
      '../../main.js',
      '../../bridge.js',
      '@modelcontextprotocol/*',
    ],
    'Vault admin tooling must not import the adapters or the MCP SDK.',
  ),
  layer(
    ['src/auth/**', 'src/limits/**', 'src/observability/**', 'src/config/**', 'src/signing/**'],
    [
      '../http/**',
      '../mcp/**',
      '../cli/**',
      '../main.js',
      '../bridge.js',
      '../vault/**',
      'node-vault',
      '@modelcontextprotocol/*',
    ],
    'Only src/vault imports node-vault, only src/mcp the MCP SDK; infrastructure layers do not import the adapters.',
  ),
  layer(
    ['src/bridge.ts'],
    ['node-vault', '@modelcontextprotocol/*'],
    'Only src/vault imports node-vault, and only src/mcp the MCP SDK.',
  ),
  // The CLI calls the composition root (src/bridge.ts); it never builds or wires the bridge's
  // parts itself. Admin tooling (provisioning, policy rendering, an admin Vault client) is not
  // the bridge and stays within reach.
  layer(
    ['src/cli/**', 'src/main.ts'],
    [
      'node-vault',
      '@modelcontextprotocol/*',
      '../http/**',
      '../mcp/**',
      '../auth/**',
      '../limits/**',
      '../core/operations.js',
      '../core/secrets-service.js',
      '../observability/audit.js',
      '../observability/metrics.js',
      '../vault/*',
      '!../vault/admin',
      '!../vault/node-vault-client.js',
      '!../vault/policy-name.js',
      '!../vault/vault-startup-error.js',
      './http/**',
      './mcp/**',
      './auth/**',
      './limits/**',
      './core/**',
      './vault/*',
      '!./vault/vault-startup-error.js',
      './observability/**',
    ],
    'src/cli and main.ts call src/bridge.ts; only the composition root assembles the bridge (STYLE.md).',
  ),
  // The adapters call the secrets service, never Vault, and are wired by src/bridge.ts.
  layer(
    ['src/mcp/**'],
    ['node-vault', '../vault/**', '../cli/**', '../main.js', '../bridge.js'],
    'src/mcp calls the operation runner, never Vault, and is wired by src/bridge.ts (STYLE.md).',
  ),
  // REST knows no MCP: the composition root hands the app its MCP route, pre-auth guard and
  // over-budget answer (src/mcp may use http's context and limit headers, not the reverse).
  layer(
    ['src/http/**'],
    [
      '../mcp/**',
      '@modelcontextprotocol/*',
      'node-vault',
      '../vault/**',
      '../cli/**',
      '../main.js',
      '../bridge.js',
    ],
    'src/http is the REST adapter: no MCP, no Vault, wired by src/bridge.ts (STYLE.md).',
  ),
  ...devVaultIsolation,
  {
    files: ['test/**/*.ts'],
    ignores: ['test/helpers/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [TEST_LAYOUT] }] },
  },
  {
    files: ['test/helpers/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [HELPERS_LAYOUT] }] },
  },
  // Only config/ and cli/ (and the composition root) read process.env.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/config/**', 'src/cli/**', 'src/main.ts', '**/*.test.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through src/config.' },
      ],
    },
  },
)
