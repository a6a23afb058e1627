// Lint rules, including the import boundaries of the architecture:
// sync-job never imports operator; the operator imports only sync-job/contract and sync-job/canonical-json (the
// serialization both compare with); api ← reconcile ← controller.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The operator imports only sync-job/contract and sync-job/canonical-json of the sync job. */
const syncJobContractOnly = { regex: '^(\\.\\./)+sync-job/(?!(contract|canonical-json)(\\.js)?$)', message: 'the operator imports only sync-job/contract and sync-job/canonical-json' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'charts/**', 'crds/**', 'coverage/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['sync-job/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/operator/**'], message: 'sync-job never imports the operator' }] }],
    },
  },
  {
    files: ['operator/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [syncJobContractOnly],
      }],
    },
  },
  // Layering (STYLE.md): api ← reconcile ← controller. The API types import nothing of ours; the pure
  // reconcile functions import only api (and the job contract), never the controller, runtime or clients.
  {
    files: ['operator/api/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [syncJobContractOnly, { regex: '^\\.\\./(reconcile|controller|runtime|kube)/', message: 'operator/api imports nothing of the operator (api ← reconcile ← controller)' }],
      }],
    },
  },
  {
    files: ['operator/reconcile/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [syncJobContractOnly, { regex: '^\\.\\./(controller|runtime|kube)/', message: 'operator/reconcile is pure: it imports only operator/api (api ← reconcile ← controller)' }],
      }],
    },
  },
);
