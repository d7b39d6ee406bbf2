import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeWithPrograms,
  findProgram,
  freePort,
  requireProgram,
} from '@fincloud/cluster-sim';

const INSTALL = 'sudo apt-get install -y prometheus';

/** The `prometheus` binary on the PATH (Debian's package), if installed. */
export function prometheusBinary(): string | undefined {
  return findProgram('prometheus');
}

/** `describe` when Prometheus is installed, or in CI; skipped with a message otherwise. */
export function describeWithPrometheus(name: string, fn: () => void) {
  describeWithPrograms(
    { programs: { prometheus: prometheusBinary() }, install: INSTALL },
    name,
    fn,
  );
}

export interface RunningPrometheus {
  url: string;
  stop(): Promise<void>;
}

/** Starts a real Prometheus on a free port, scraping `target` (host:port) `/metrics` every second. */
export async function startPrometheus(
  target: string,
): Promise<RunningPrometheus> {
  const binary = requireProgram('prometheus', prometheusBinary(), INSTALL);
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
