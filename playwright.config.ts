import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './src/cli/chromium.ts';

const PORT = 5173;
/** The repo's OpenAI-compatible test server (e2e/openai-test-server). */
export const TEST_SERVER_PORT = 8787;
export const PREVIEW_PORT = 4173;

export default defineConfig({
  testDir: 'e2e',
  timeout: 180_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  // Two lanes, one test at a time in each: the fresh apps (e2e/consumers.spec.ts: npm installs
  // and bundler builds, mostly Node) beside the page tests (Chromium, the shared test servers).
  workers: 2,
  projects: [
    { name: 'consumer apps', testMatch: /consumers\.spec\.ts$/, workers: 1 },
    { name: 'pages', testIgnore: /consumers\.spec\.ts$/, workers: 1 },
  ],
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    launchOptions: chromiumLaunchOptions,
  },
  webServer: [
    {
      command: `npx vite --port ${PORT} --strictPort`,
      url: `http://127.0.0.1:${PORT}/e2e/harness.html`,
      reuseExistingServer: !process.env.CI,
      timeout: 120_000,
    },
    {
      // The production build of the demo (npm run build → dist/app), for the offline test.
      command: `npx vite preview --port ${PREVIEW_PORT} --strictPort`,
      url: `http://127.0.0.1:${PREVIEW_PORT}/`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
    {
      command: `npx tsx e2e/openai-test-server/server.ts ${TEST_SERVER_PORT}`,
      url: `http://127.0.0.1:${TEST_SERVER_PORT}/v1/models`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
  ],
});
