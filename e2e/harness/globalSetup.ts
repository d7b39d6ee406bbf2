import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
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
import { simStateDir, startSimulator } from './sim';

/**
 * Starts what the browser tests need: the cluster simulator (default seed, a
 * free port; its URL and token exported as FINCLOUD_SIM_URL / FINCLOUD_SIM_TOKEN
 * for specs, see ./sim.ts), when installed Prometheus scraping it and
 * Alertmanager (free ports, exported as FINCLOUD_PROMETHEUS_URL /
 * FINCLOUD_ALERTMANAGER_URL and configured as the backend's monitoring
 * sources), and the backend serving the built app with the
 * sample catalog, the development sign-in and the simulator as cluster `sim`,
 * on FINCLOUD_E2E_PORT (7017 by default, so a running `./fincloud start`
 * portal is not disturbed). The app must be built first (`yarn workspace app
 * build`; the test command does it).
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
      // Monitoring's development rule sync writes into this suite's own
      // simulator state, never into the repository's .fincloud/rules.
      `fincloud:`,
      `  monitoring:`,
      `    ruleSync: { directory: '${join(simStateDir(e2ePort), 'rules')}' }`,
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
    const sim = await startSimulator(e2ePort, { monitoring: true });
    started.push(sim.started);
    process.env.FINCLOUD_SIM_URL = sim.url;
    process.env.FINCLOUD_SIM_TOKEN = sim.token;
    if (sim.prometheusUrl && sim.alertmanagerUrl) {
      // This suite's own Prometheus and Alertmanager (free ports, scraping
      // its simulator), never a `./fincloud start` portal's on 9090 / 9093.
      process.env.FINCLOUD_PROMETHEUS_URL = sim.prometheusUrl;
      process.env.FINCLOUD_ALERTMANAGER_URL = sim.alertmanagerUrl;
      appendFileSync(
        portConfig,
        [
          `    prometheus:`,
          `      - { name: sim, url: '${sim.prometheusUrl}', scrapeIntervalSeconds: 1 }`,
          `    alertmanager:`,
          `      - { name: sim, url: '${sim.alertmanagerUrl}' }`,
          '',
        ].join('\n'),
      );
    }
    // The backend runs straight from its TypeScript sources with the Backstage
    // CLI's transform, but without `backstage-cli package start`'s file
    // watcher: an edit elsewhere in the checkout must not restart it mid-test.
    const backend = startProcess(
      `backend-${e2ePort}`,
      process.execPath,
      [
        '--enable-source-maps',
        '--require',
        require.resolve('@backstage/cli-node/config/nodeTransform.cjs', {
          paths: [join(repoRoot, 'node_modules', '@backstage', 'cli')],
        }),
        'src/index.ts',
        '--config',
        join(repoRoot, 'app-config.yaml'),
        '--config',
        join(repoRoot, 'e2e', 'app-config.e2e.yaml'),
        '--config',
        join(sim.stateDir, 'app-config.sim.yaml'),
        '--config',
        portConfig,
      ],
      {
        cwd: join(repoRoot, 'packages', 'backend'),
        env: {
          NODE_ENV: 'development',
          ESBK_TSCONFIG_PATH: join(repoRoot, 'tsconfig.json'),
        },
      },
    );
    started.push(backend);
    await waitForHttp(`${portalUrl}/.backstage/health/v1/readiness`, backend);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}
