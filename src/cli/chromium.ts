// How every browser run of this project starts Chromium: tests, bench, and the CLI's check.
import { existsSync } from 'node:fs';
import type { LaunchOptions } from 'playwright-core';

// Debian's Chromium when present (CI, this machine); else Playwright's own
// (`npx playwright install chromium`). Playwright never downloads a browser here.
const SYSTEM_CHROMIUM = '/usr/bin/chromium';

export const chromiumLaunchOptions: LaunchOptions = {
  ...(existsSync(SYSTEM_CHROMIUM) ? { executablePath: SYSTEM_CHROMIUM } : {}),
  args: [
    '--headless',
    '--no-sandbox',
    // Headless Chromium then exposes a (software, SwiftShader) WebGPU adapter.
    '--enable-unsafe-webgpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};
