import { defineConfig } from '@playwright/test';
import { e2ePort, portalUrl } from './e2e/harness/config';

/**
 * Browser tests: Playwright driving Debian's Chromium (never a downloaded
 * browser). e2e/harness/globalSetup.ts starts the portal (port FINCLOUD_E2E_PORT, default 7017).
 */
export default defineConfig({
  testDir: './e2e/tests',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  forbidOnly: true,
  // The portal is shared state (one backend): run the tests one at a time.
  workers: 1,
  retries: 0,
  globalSetup: './e2e/harness/globalSetup.ts',
  reporter: [
    ['list'],
    ['json', { outputFile: process.env.FINCLOUD_E2E_REPORT ?? 'node_modules/.cache/e2e-results.json' }],
  ],
  outputDir: `node_modules/.cache/e2e-test-results-${e2ePort}`,
  use: {
    baseURL: portalUrl,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    viewport: { width: 1600, height: 1000 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
});
