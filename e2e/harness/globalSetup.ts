import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2ePort, portalUrl } from './config';
import {
  logDir,
  repoRoot,
  startProcess,
  Started,
  stopProcess,
  waitForHttp,
} from './processes';

/**
 * Starts what the browser tests need: the backend serving the built app with
 * the sample catalog and the development sign-in, on FINCLOUD_E2E_PORT (7017
 * by default, so a running `./fincloud start` portal is not disturbed). The
 * app must be built first (`yarn workspace app build`; the test command does it).
 */
export default async function globalSetup() {
  if (!existsSync(join(repoRoot, 'packages', 'app', 'dist', 'index.html'))) {
    throw new Error(
      'The app is not built: run `yarn workspace app build` (./fincloud test does it) before the browser tests',
    );
  }
  mkdirSync(logDir, { recursive: true });
  const portConfig = join(logDir, `app-config.port-${e2ePort}.yaml`);
  writeFileSync(
    portConfig,
    [
      `app: { baseUrl: '${portalUrl}' }`,
      `backend:`,
      `  baseUrl: '${portalUrl}'`,
      `  listen: { port: ${e2ePort}, host: 127.0.0.1 }`,
      `  cors: { origin: '${portalUrl}' }`,
      '',
    ].join('\n'),
  );

  const started: Started[] = [];
  const stopAll = async () => {
    for (const s of started.reverse()) {
      await stopProcess(s);
    }
  };
  try {
    const backend = startProcess(`backend-${e2ePort}`, process.execPath, [
      join(repoRoot, '.yarn', 'releases', 'yarn-4.13.0.cjs'),
      'workspace',
      'backend',
      'start',
      '--config',
      join(repoRoot, 'app-config.yaml'),
      '--config',
      join(repoRoot, 'e2e', 'app-config.e2e.yaml'),
      '--config',
      portConfig,
    ]);
    started.push(backend);
    await waitForHttp(`${portalUrl}/.backstage/health/v1/readiness`, backend);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}
