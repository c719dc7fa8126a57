// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** The SDK's own internals move between releases: use its public API, or a small helper of ours. */
const sdkInternals = {
  regex: '^@temporalio/[a-z-]+/lib/',
  message: 'Import @temporalio packages by their public entry point, not lib/ internals.',
};

/**
 * Workflow code is replayed and must be deterministic: no I/O, no Node built-ins, nothing
 * that reaches the outside world, and no zod (it costs memory in every cached workflow).
 * Type-only imports are fine: they vanish at compile time.
 */
export const workflowDeterminismGuard = {
  files: ['src/workflows/**/*.ts'],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        paths: builtinModules
          .filter((m) => !m.startsWith('_') && !m.startsWith('node:'))
          .map((name) => ({
            name,
            message: 'Workflows must be deterministic: no Node built-ins. Do I/O in an activity.',
            allowTypeImports: true,
          })),
        patterns: [
          sdkInternals,
          {
            regex: '^node:',
            message: 'Workflows must be deterministic: no Node built-ins. Do I/O in an activity.',
            allowTypeImports: true,
          },
          {
            regex: '^@temporalio/(activity|client|worker|testing)(/|$)',
            message: 'Workflow code may import @temporalio/workflow and @temporalio/common only.',
            allowTypeImports: true,
          },
          {
            regex: '^zod(/|$)',
            message: 'Keep zod out of the workflow bundle; validate at the API and in activities.',
            allowTypeImports: true,
          },
          {
            regex: '(^|/)(activities|api|services)(/|$)',
            message: 'Workflows call activities through proxyActivities; import their types only (`import type`).',
            allowTypeImports: true,
          },
        ],
      },
    ],
  },
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.temporal/', '.data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [sdkInternals] }] },
  },
  {
    // Scripts are programs a user runs; test support stays with the tests.
    files: ['scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [sdkInternals, { regex: '(^|/)test/', message: 'scripts/ must not import test support.' }] },
      ],
    },
  },
  workflowDeterminismGuard,
  // Formatting is Prettier's alone (`npm run format`).
  prettier,
  {
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  // The operator console runs in the browser as plain ES modules, with no build step and no
  // tsconfig: browser globals, and the rules that need no type information.
  {
    files: ['src/console/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['src/console/**/*.js'],
    languageOptions: { sourceType: 'module', globals: globals.browser },
  },
);
