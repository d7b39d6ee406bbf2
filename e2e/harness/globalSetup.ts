import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  repoRoot,
  startProcess,
  Started,
  stopProcess,
  waitForHttp,
} from './processes';

export const PORTAL_URL = 'http://localhost:7017';

/**
 * Starts what the browser tests need: the backend serving the built app with
 * the sample catalog and the development sign-in. The app must be built first
 * (`yarn workspace app build`; the test command does it).
 */
export default async function globalSetup() {
  if (!existsSync(join(repoRoot, 'packages', 'app', 'dist', 'index.html'))) {
    throw new Error(
      'The app is not built: run `yarn workspace app build` (./fincloud test does it) before the browser tests',
    );
  }
  const started: Started[] = [];
  const stopAll = async () => {
    for (const s of started.reverse()) {
      await stopProcess(s);
    }
  };
  try {
    const backend = startProcess('backend', process.execPath, [
      join(repoRoot, '.yarn', 'releases', 'yarn-4.13.0.cjs'),
      'workspace',
      'backend',
      'start',
      '--config',
      join(repoRoot, 'app-config.yaml'),
      '--config',
      join(repoRoot, 'e2e', 'app-config.e2e.yaml'),
    ]);
    started.push(backend);
    await waitForHttp(`${PORTAL_URL}/.backstage/health/v1/readiness`, backend);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}
