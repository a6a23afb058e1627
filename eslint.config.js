// Lint rules, including the import boundaries of the architecture:
// sync-job never imports operator; the operator imports only sync-job/contract.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
        patterns: [{ regex: '^(\\.\\./)+sync-job/(?!contract(\\.js)?$)', message: 'the operator imports only sync-job/contract' }],
      }],
    },
  },
);
