import { ChildProcess, spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The `prometheus` binary on the PATH (Debian's package), if installed. */
export function prometheusBinary(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'prometheus');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * `describe` when Prometheus is installed, or in CI (FINCLOUD_CI=1) where its
 * absence must fail; otherwise skipped with a message saying what to install.
 */
export function describeWithPrometheus(name: string, fn: () => void) {
  if (prometheusBinary() || process.env.FINCLOUD_CI) {
    // eslint-disable-next-line jest/valid-title, jest/valid-describe-callback
    describe(name, fn);
    return;
  }
  // eslint-disable-next-line no-console
  console.warn(
    `SKIPPED "${name}": it needs a real Prometheus; install it with \`sudo apt-get install -y prometheus\` (in CI, FINCLOUD_CI=1, this is a failure)`,
  );
  // Skipped only on a machine without Prometheus and outside CI (said above).
  // eslint-disable-next-line jest/valid-title, jest/valid-describe-callback, jest/no-disabled-tests
  describe.skip(name, fn);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningPrometheus {
  url: string;
  stop(): Promise<void>;
}

/** Starts a real Prometheus on a free port, scraping `target` (host:port) `/metrics` every second. */
export async function startPrometheus(
  target: string,
): Promise<RunningPrometheus> {
  const binary = prometheusBinary();
  if (!binary) {
    throw new Error(
      'prometheus is not installed (sudo apt-get install -y prometheus), and FINCLOUD_CI is set: the metric gate tests must run',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'releases-prometheus-'));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: fincloud-sim',
      '    scrape_interval: 1s',
      '    metrics_path: /metrics',
      `    static_configs: [{ targets: ['${target}'] }]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) break;
    } catch {
      // not yet
    }
    if (child.exitCode !== null)
      throw new Error(`prometheus exited with ${child.exitCode}`);
    if (Date.now() > deadline)
      throw new Error('prometheus did not get ready within 30 s');
    await new Promise(r => setTimeout(r, 200));
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise(r => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
