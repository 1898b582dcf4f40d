import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'public/ort/', 'models/', 'test-results/', 'playwright-report/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    // The classic <script> loader: plain browser JavaScript.
    files: ['src/embed/loader.js'],
    languageOptions: { sourceType: 'script', globals: { document: 'readonly', window: 'readonly', URL: 'readonly', CustomEvent: 'readonly' } },
  },
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-restricted-globals': ['error', { name: 'eval', message: 'No eval: the bundle must run under a strict CSP.' }],
      '@typescript-eslint/no-implied-eval': 'off',
    },
  },
);
