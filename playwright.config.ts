import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './src/cli/chromium.ts';

const PORT = 5173;
/** The repo's OpenAI-compatible test server (e2e/openai-test-server). */
export const TEST_SERVER_PORT = 8787;
export const PREVIEW_PORT = 4173;

const CONSUMER_APPS = /consumers\.spec\.ts$/;
/** The page specs that talk to the OpenAI test server: read from the specs, so a new one cannot be missed. */
const USES_TEST_SERVER = readdirSync('e2e')
  .filter((f) => f.endsWith('.spec.ts') && !CONSUMER_APPS.test(f) && /TEST_SERVER|openai-test-server|:8787\b/.test(readFileSync(join('e2e', f), 'utf8')))
  .map((f) => `**/e2e/${f}`);

export default defineConfig({
  testDir: 'e2e',
  timeout: 180_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  // Two lanes (one per core), three kinds of work, one test at a time of each kind: the fresh
  // apps (npm installs and bundler builds, mostly Node), the pages that talk to the OpenAI test
  // server (its scripted faults and sample draws are one state, so those pages run in order), and
  // the other pages.
  workers: 2,
  projects: [
    // In this order: the longest kind starts at once, the apps (light on the CPU) beside it.
    { name: 'pages', testIgnore: [CONSUMER_APPS, ...USES_TEST_SERVER], workers: 1 },
    { name: 'consumer apps', testMatch: CONSUMER_APPS, workers: 1 },
    { name: 'pages (test server)', testMatch: USES_TEST_SERVER, workers: 1 },
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
