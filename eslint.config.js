// Lint: correctness rules from ESLint and typescript-eslint, plus the one boundary that matters most:
// shared/ and edge/core/ run on every host, so they may not import host modules.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const HOST_MODULES = ['node:*', 'ws', 'better-sqlite3', '@hono/node-server', 'cloudflare:*']

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'runner/dist/**',
      'data/**',
      'node_modules/**',
      'bench/results/**',
      '.wrangler/**',
      '**/generated/**',
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
  // The architecture's boundaries, checked on every import (see "How it is built" in the README):
  // the portable parts import no host, a host imports not the other, runner/ and web/ only shared/.
  ...boundary(['shared/**/*.ts', 'edge/core/**/*.ts'], ['shared/*/node/**'], {
    modules: HOST_MODULES,
    folders: ['edge', 'runner', 'web', 'node', 'workers'],
    why: 'shared/ and edge/core/ run on every host: use Web-standard APIs and put host code in a host (edge/node, edge/workers, shared/*/node)',
  }),
  ...boundary(['shared/*/node/**/*.ts'], [], {
    modules: ['cloudflare:*'],
    folders: ['edge', 'runner', 'web'],
    why: 'shared/*/node is Node hosting for shared/: it imports no orchestrator, runner or PWA code',
  }),
  ...boundary(['edge/node/**/*.ts'], [], {
    modules: ['cloudflare:*'],
    folders: ['workers', 'runner', 'web'],
    why: 'the Node host imports the core and shared/, never the Workers host',
  }),
  ...boundary(['edge/workers/**/*.ts'], [], {
    modules: HOST_MODULES.filter((m) => m !== 'cloudflare:*'),
    folders: ['node', 'runner', 'web'],
    why: 'the Workers host imports the core and shared/, never the Node host or Node modules',
  }),
  ...boundary(['runner/**/*.ts', 'web/**/*.ts', 'web/**/*.tsx'], [], {
    modules: [],
    folders: ['edge'],
    why: 'runner/ and web/ import only shared/: what they need of the orchestrator is its protocol',
  }),
  ...boundary(['web/**/*.ts', 'web/**/*.tsx'], [], {
    modules: [],
    folders: ['node'],
    why: 'the PWA runs in browsers: shared/*/node is for Node',
  }),
)

/** A block of rules that forbids, in `files`, importing these modules or anything under these folder names. */
function boundary(files, ignores, { modules, folders, why }) {
  return [
    {
      files,
      ignores: ['**/*.test.ts', '**/test-helpers.ts', ...ignores],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              ...(modules.length ? [{ group: modules, message: why }] : []),
              { group: folders.map((f) => `**/${f}/**`), message: why },
            ],
          },
        ],
      },
    },
  ]
}
