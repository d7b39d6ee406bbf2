import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { logDir, repoRoot, startProcess, Started } from './processes';

/** Where the browser tests' simulator writes its kubeconfig, portal config and sim.json. */
export function simStateDir(port: number) {
  return join(logDir, `sim-${port}`);
}

/**
 * Starts the cluster simulator (default seed, a free port, no Prometheus) for
 * the browser tests; resolves once it has written its portal config.
 */
export async function startSimulator(
  port: number,
): Promise<{ started: Started; stateDir: string; url: string; token: string }> {
  const stateDir = simStateDir(port);
  rmSync(join(stateDir, 'sim.json'), { force: true });
  const started = startProcess(`sim-${port}`, process.execPath, [
    '--require',
    require.resolve('@backstage/cli/config/nodeTransform.cjs'),
    join(repoRoot, 'packages', 'cluster-sim', 'src', 'cli', 'start.ts'),
    '--port',
    '0',
    '--no-prometheus',
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
  const { url, token } = JSON.parse(readFileSync(file, 'utf8'));
  return { started, stateDir, url, token };
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
