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
  workers: 1,
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
