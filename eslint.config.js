// Lint: correctness rules from ESLint and typescript-eslint, plus the one boundary that matters most:
// shared/ and edge/core/ run on every host, so they may not import host modules.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'runner/dist/**',
      'data/**',
      'node_modules/**',
      'bench/results/**',
      '.wrangler/**',
      'edge/adapter/workers/worker-configuration.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Plain JS entry points and scripts run on Node.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['shared/**/*.ts', 'edge/core/**/*.ts'],
    ignores: ['**/*.test.ts', '**/test-helpers.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'ws', 'better-sqlite3', '@hono/node-server', 'cloudflare:*'],
              message:
                'shared/ and edge/core/ run on every host: use Web-standard APIs and put host code in an adapter.',
            },
          ],
        },
      ],
    },
  },
)
