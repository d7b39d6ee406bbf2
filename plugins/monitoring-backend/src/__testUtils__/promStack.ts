/*
 * Real Prometheus, Alertmanager and promtool for the tests (Debian packages
 * `prometheus`, `prometheus-alertmanager`). Suites that need them use
 * `describeWithPrometheus`: where the binaries are missing it skips with a
 * message on a laptop, and fails in CI (FINCLOUD_CI=1).
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import {
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import {
  describeWithPrograms,
  findProgram,
  freePort,
  requireProgram,
} from '@fincloud/cluster-sim';
import { stringify } from 'yaml';

const run = promisify(execFile);

const INSTALL = 'sudo apt-get install -y prometheus prometheus-alertmanager';

export const BINARIES = {
  prometheus: findProgram('prometheus'),
  promtool: findProgram('promtool'),
  alertmanager: findProgram('prometheus-alertmanager', 'alertmanager'),
};

/** `describe` when Prometheus, promtool and Alertmanager are installed, or in CI; skipped with a message otherwise. */
export function describeWithPrometheus(name: string, fn: () => void) {
  describeWithPrograms({ programs: BINARIES, install: INSTALL }, name, fn);
}

/** Fails with the install hint when a binary is missing (CI). */
export function requireBinary(name: keyof typeof BINARIES): string {
  return requireProgram(name, BINARIES[name], INSTALL);
}

export { freePort };

async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  child: ChildProcess,
  logFile: string,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(
        `${what} exited with ${child.exitCode}: ${readFileSync(
          logFile,
          'utf8',
        ).slice(-2000)}`,
      );
    }
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what} did not become ready: ${readFileSync(logFile, 'utf8').slice(
          -2000,
        )}`,
      );
    }
    await new Promise(r => setTimeout(r, 100));
  }
}

export interface Started {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess, dir: string, keepDir = false) {
  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise(r => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
  };
}

export interface PrometheusOptions {
  /** A data directory (e.g. from `backfill`); a fresh one otherwise. */
  dataDir?: string;
  /** Scrape targets, `host:port`, scraped every second. */
  scrape?: Array<{ target: string; labels?: Record<string, string> }>;
  /** Rule files (globs). */
  ruleFiles?: string[];
  /** Alertmanager `host:port` to send alerts to. */
  alertmanager?: string;
  evaluationInterval?: string;
}

export async function startPrometheus(options: PrometheusOptions = {}): Promise<
  Started & {
    reload(): Promise<void>;
    queryCount(handler: string): Promise<number>;
  }
> {
  const binary = requireBinary('prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'fincloud-prom-'));
  const port = await freePort();
  const config = {
    global: {
      scrape_interval: '1s',
      evaluation_interval: options.evaluationInterval ?? '1s',
    },
    rule_files: options.ruleFiles ?? [],
    ...(options.alertmanager
      ? {
          alerting: {
            alertmanagers: [
              { static_configs: [{ targets: [options.alertmanager] }] },
            ],
          },
        }
      : {}),
    scrape_configs: (options.scrape ?? []).map((s, i) => ({
      job_name: `target-${i}`,
      scrape_interval: '1s',
      static_configs: [{ targets: [s.target], labels: s.labels ?? {} }],
    })),
  };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  const logFile = join(dir, 'prometheus.log');
  const out = openSync(logFile, 'a');
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${options.dataDir ?? join(dir, 'data')}`,
      `--storage.tsdb.retention.time=30d`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
    ],
    { stdio: ['ignore', out, out] },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'prometheus',
    async () => (await fetch(`${url}/-/ready`)).ok,
    child,
    logFile,
  );
  const stop = stopper(child, dir);
  return {
    url,
    dir,
    stop: async () => {
      await stop();
      if (options.dataDir) {
        const parent = dirname(options.dataDir);
        rmSync(
          basename(parent).startsWith('fincloud-tsdb-')
            ? parent
            : options.dataDir,
          {
            recursive: true,
            force: true,
          },
        );
      }
    },
    async reload() {
      const res = await fetch(`${url}/-/reload`, { method: 'POST' });
      if (!res.ok) throw new Error(`reload: ${res.status} ${await res.text()}`);
    },
    /** Requests Prometheus has served on a handler (its own counter, from its /metrics). */
    async queryCount(handler: string) {
      const text = await (await fetch(`${url}/metrics`)).text();
      let total = 0;
      for (const line of text.split('\n')) {
        if (
          line.startsWith('prometheus_http_requests_total{') &&
          line.includes(`handler="${handler}"`)
        ) {
          total += Number(line.slice(line.lastIndexOf(' ') + 1));
        }
      }
      return total;
    },
  };
}

export async function startAlertmanager(): Promise<Started> {
  const binary = requireBinary('alertmanager');
  const dir = mkdtempSync(join(tmpdir(), 'fincloud-am-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    stringify({
      route: {
        receiver: 'fincloud',
        group_by: ['alertname', 'namespace'],
        group_wait: '1s',
        group_interval: '5s',
        repeat_interval: '4h',
      },
      receivers: [{ name: 'fincloud' }],
    }),
  );
  const logFile = join(dir, 'alertmanager.log');
  const out = openSync(logFile, 'a');
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', out, out] },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'alertmanager',
    async () => (await fetch(`${url}/-/ready`)).ok,
    child,
    logFile,
  );
  return { url, dir, stop: stopper(child, dir) };
}

/** Posts alerts to Alertmanager as Prometheus would. */
export async function postAlerts(
  alertmanagerUrl: string,
  alerts: Array<{
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    startsAt?: string;
  }>,
) {
  const res = await fetch(`${alertmanagerUrl}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(
      alerts.map(a => ({
        labels: a.labels,
        annotations: a.annotations ?? {},
        startsAt: a.startsAt ?? new Date().toISOString(),
        endsAt: new Date(Date.now() + 3600_000).toISOString(),
        generatorURL: 'http://prometheus.test/graph',
      })),
    ),
  });
  if (!res.ok)
    throw new Error(`posting alerts: ${res.status} ${await res.text()}`);
}

/**
 * Backfills OpenMetrics text into a fresh TSDB directory with
 * `promtool tsdb create-blocks-from openmetrics`.
 */
export async function backfill(openMetrics: string): Promise<string> {
  const promtool = requireBinary('promtool');
  const dir = mkdtempSync(join(tmpdir(), 'fincloud-tsdb-'));
  const input = join(dir, 'input.om');
  writeFileSync(input, openMetrics);
  await run(promtool, [
    'tsdb',
    'create-blocks-from',
    'openmetrics',
    input,
    join(dir, 'data'),
  ]);
  rmSync(input);
  return join(dir, 'data');
}

/** `promtool check rules <file>`: resolves with its output, rejects with it when the rules are invalid. */
export async function promtoolCheckRules(
  ruleFileText: string,
): Promise<string> {
  const promtool = requireBinary('promtool');
  const dir = mkdtempSync(join(tmpdir(), 'fincloud-rules-'));
  const file = join(dir, 'rules.yml');
  writeFileSync(file, ruleFileText);
  try {
    const { stdout, stderr } = await run(promtool, ['check', 'rules', file]);
    return `${stdout}${stderr}`;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `promtool check rules failed: ${e.stdout ?? ''}${e.stderr ?? e.message}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
