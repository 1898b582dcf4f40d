import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'public/ort/', 'models/', 'test-results/', 'playwright-report/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    // Plain browser JavaScript: the classic <script> loader and the e2e host app.
    files: ['src/embed/loader.js', 'e2e/host-app/*.js', 'e2e/consumer-app/*.js', 'public/sw.js'],
    languageOptions: {
      globals: {
        document: 'readonly', window: 'readonly', self: 'readonly', caches: 'readonly', URL: 'readonly',
        CustomEvent: 'readonly', fetch: 'readonly', TextDecoderStream: 'readonly', OffscreenCanvas: 'readonly',
      },
    },
  },
  { files: ['src/embed/loader.js'], languageOptions: { sourceType: 'script' } },
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
