import {
  accessSync,
  constants,
  existsSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { logDir, repoRoot, startProcess, Started } from './processes';

/** Where the browser tests' simulator writes its kubeconfig, portal config and sim.json. */
export function simStateDir(port: number) {
  return join(logDir, `sim-${port}`);
}

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some(dir => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Debian's `prometheus` and `prometheus-alertmanager` (or `alertmanager`) are installed. */
export function monitoringBinariesInstalled(): boolean {
  return (
    onPath('prometheus') &&
    (onPath('prometheus-alertmanager') || onPath('alertmanager'))
  );
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
    server.on('error', fail);
  });
}

async function waitUntilReady(url: string, started: Started) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (started.child.exitCode !== null) {
      throw new Error(
        `the cluster simulator exited with code ${started.child.exitCode}; see ${started.logFile}`,
      );
    }
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error(
    `${url} did not answer within 60 s; see ${started.logFile} and the prometheus.log / alertmanager.log next to it`,
  );
}

/**
 * Starts the cluster simulator (default seed, a free port) for the browser
 * tests; resolves once it has written its portal config. With `monitoring`
 * and the Debian binaries installed, the simulator's start script also runs
 * Prometheus (scraping it every second, rules from `<stateDir>/rules`) and
 * Alertmanager on free ports, with empty data directories (no silence or
 * alert history from an earlier run), and this waits until both are ready.
 */
export async function startSimulator(
  port: number,
  options: { monitoring?: boolean } = {},
): Promise<{
  started: Started;
  stateDir: string;
  url: string;
  token: string;
  prometheusUrl?: string;
  alertmanagerUrl?: string;
}> {
  const stateDir = simStateDir(port);
  rmSync(join(stateDir, 'sim.json'), { force: true });
  const monitoring = !!options.monitoring && monitoringBinariesInstalled();
  const monitoringArgs: string[] = [];
  if (monitoring) {
    rmSync(join(stateDir, 'prometheus', 'data'), {
      recursive: true,
      force: true,
    });
    rmSync(join(stateDir, 'alertmanager', 'data'), {
      recursive: true,
      force: true,
    });
    monitoringArgs.push(
      '--prometheus-port',
      String(await freePort()),
      '--alertmanager-port',
      String(await freePort()),
    );
  } else {
    monitoringArgs.push('--no-prometheus');
  }
  const started = startProcess(`sim-${port}`, process.execPath, [
    '--require',
    require.resolve('@backstage/cli/config/nodeTransform.cjs'),
    join(repoRoot, 'packages', 'cluster-sim', 'src', 'cli', 'start.ts'),
    '--port',
    '0',
    ...monitoringArgs,
    '--state-dir',
    stateDir,
  ]);
  const deadline = Date.now() + 60_000;
  const file = join(stateDir, 'sim.json');
  while (!existsSync(file)) {
    if (started.child.exitCode !== null) {
      throw new Error(
        `the cluster simulator exited with code ${started.child.exitCode}; see ${started.logFile}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the cluster simulator did not start within 60 s; see ${started.logFile}`,
      );
    }
    await new Promise(r => setTimeout(r, 200));
  }
  const { url, token, prometheusUrl, alertmanagerUrl } = JSON.parse(
    readFileSync(file, 'utf8'),
  );
  if (prometheusUrl) await waitUntilReady(`${prometheusUrl}/-/ready`, started);
  if (alertmanagerUrl) {
    await waitUntilReady(`${alertmanagerUrl}/-/ready`, started);
  }
  return { started, stateDir, url, token, prometheusUrl, alertmanagerUrl };
}

/**
 * The Prometheus and Alertmanager the browser harness started next to the
 * simulator (globalSetup exports FINCLOUD_PROMETHEUS_URL /
 * FINCLOUD_ALERTMANAGER_URL), or undefined when they are not installed.
 */
export function monitoringStack():
  | { prometheusUrl: string; alertmanagerUrl: string }
  | undefined {
  const prometheusUrl = process.env.FINCLOUD_PROMETHEUS_URL;
  const alertmanagerUrl = process.env.FINCLOUD_ALERTMANAGER_URL;
  return prometheusUrl && alertmanagerUrl
    ? { prometheusUrl, alertmanagerUrl }
    : undefined;
}

/**
 * The browser tests' simulator, for specs that inject faults or move the
 * simulated world (globalSetup exports FINCLOUD_SIM_URL / FINCLOUD_SIM_TOKEN).
 */
export function simulator() {
  const url = process.env.FINCLOUD_SIM_URL;
  const token = process.env.FINCLOUD_SIM_TOKEN;
  if (!url || !token) {
    throw new Error(
      'FINCLOUD_SIM_URL / FINCLOUD_SIM_TOKEN are not set: the browser harness starts the simulator',
    );
  }
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      throw new Error(
        `${method} ${path}: ${response.status} ${await response.text()}`,
      );
    }
    return response.json();
  };
  return {
    url,
    token,
    /** Adds a fault (see packages/cluster-sim/README.md "Faults"); returns its id. */
    addFault: async (rule: Record<string, unknown>): Promise<string> =>
      (await call('POST', '/sim/faults', rule)).id,
    clearFaults: () => call('DELETE', '/sim/faults'),
    dropWatches: (resource?: string) =>
      call('POST', '/sim/faults/drop-watches', { resource }),
    dropExecSessions: () => call('POST', '/sim/faults/drop-exec', {}),
    /** Sets a Deployment's simulated error ratio and latency (annotations sim.fincloud.io/*). */
    setBehaviour: (
      namespace: string,
      deployment: string,
      behaviour: { errorRatio?: number; latencyMs?: number },
    ) =>
      call(
        'POST',
        `/sim/deployments/${namespace}/${deployment}/behaviour`,
        behaviour,
      ),
    /** Any Kubernetes API call with the simulator's token. */
    api: call,
  };
}
