/*
 * Releases benchmark: `yarn workspace @fincloud/plugin-releases-backend bench`
 *
 * 1. 1 000 active canary releases (10 namespaces × 100 services) on
 *    PostgreSQL, reconciled by one controller tick against the cluster
 *    simulator: steady state (nothing to change) and a busy tick (every
 *    release's pause ends and all 1 000 move to their next step).
 * 2. promote → VirtualService patched: a person's promote, through the
 *    service (transition written with its intent, then applied under the
 *    lease), until the simulator's VirtualService carries the new weights.
 *
 * PostgreSQL: $FINCLOUD_BENCH_PG (default postgresql://postgres@127.0.0.1:5432);
 * a scratch database is created and dropped. The simulator runs in its own
 * process (`yarn workspace @fincloud/cluster-sim start`), as an API server
 * would, so the figures show the controller's side: its wall time per tick
 * (waiting on the cluster and the database included) and its own CPU time.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigReader } from '@backstage/config';
import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { stringify } from 'yaml';
import { ConfigFincloudClusters } from '@fincloud/plugin-fincloud-node';
import knexFactory from 'knex';
import { ReleaseCluster } from '../src/cluster/ReleaseCluster';
import { readReleasesConfig } from '../src/config';
import { DatabaseReleaseStore } from '../src/database/DatabaseReleaseStore';
import { DefaultReleaseService } from '../src/service/DefaultReleaseService';
import { ReleaseEngine } from '../src/service/ReleaseEngine';
import { ReleaseController } from '../src/tasks/ReleaseController';

// FINCLOUD_BENCH_NAMESPACES / _PER_NAMESPACE make it smaller (profiling).
const NAMESPACES = Number(process.env.FINCLOUD_BENCH_NAMESPACES ?? 10);
const PER_NAMESPACE = Number(process.env.FINCLOUD_BENCH_PER_NAMESPACE ?? 100);
const PROMOTES = Math.min(300, NAMESPACES * PER_NAMESPACE);

function seed() {
  const objects: any[] = [];
  for (let n = 0; n < 30; n++) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: `node-${n}`,
        labels: { 'fincloud.io/pool': 'general' },
      },
    });
  }
  for (let ns = 0; ns < NAMESPACES; ns++) {
    const namespace = `bench-${ns}`;
    objects.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
    });
    for (let i = 0; i < PER_NAMESPACE; i++) {
      const app = `svc-${i}`;
      objects.push({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: app, namespace, labels: { app } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app, version: 'v1' } },
          template: {
            metadata: { labels: { app, version: 'v1' } },
            spec: {
              containers: [{ name: app, image: `registry.bench/${app}:1.0.0` }],
            },
          },
        },
      });
      objects.push({
        apiVersion: 'v1',
        kind: 'Service',
        // No simulated load: the benchmark measures the control plane.
        metadata: {
          name: app,
          namespace,
          annotations: { 'sim.fincloud.io/rps': '0' },
        },
        spec: { selector: { app }, ports: [{ port: 80, targetPort: 8080 }] },
      });
    }
  }
  return objects;
}

function entity(namespace: string, name: string) {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: `${namespace}-${name}`,
      namespace: 'default',
      annotations: {
        'fincloud.io/cluster': 'sim',
        'fincloud.io/namespace': namespace,
        'fincloud.io/workload': name,
      },
    },
    spec: { type: 'service', owner: 'team-bench' },
  };
}

function stats(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted[
      Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
    ];
  return {
    n: sorted.length,
    p50: at(50),
    p99: at(99),
    max: sorted[sorted.length - 1],
  };
}

const fmt = (n: number) => `${n.toFixed(1)} ms`;

/** Starts the simulator CLI in its own process with a seed; resolves with its URL and token. */
async function startSimProcess(objects: any[]) {
  const dir = mkdtempSync(join(tmpdir(), 'releases-bench-sim-'));
  const seedFile = join(dir, 'seed.yaml');
  writeFileSync(seedFile, objects.map(o => stringify(o)).join('---\n'));
  const repo = resolve(__dirname, '..', '..', '..');
  const child = spawn(
    process.execPath,
    [
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      join(repo, 'packages', 'cluster-sim', 'src', 'cli', 'start.ts'),
      '--port',
      '0',
      '--no-prometheus',
      '--seed',
      seedFile,
      '--state-dir',
      join(dir, 'state'),
    ],
    { stdio: 'ignore' },
  );
  const info = join(dir, 'state', 'sim.json');
  const deadline = Date.now() + 180_000;
  while (!existsSync(info)) {
    if (child.exitCode !== null)
      throw new Error(`the simulator exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('the simulator did not start');
    await new Promise(r => setTimeout(r, 250));
  }
  const { url, token } = JSON.parse(readFileSync(info, 'utf8'));
  return {
    url: url as string,
    token: token as string,
    async stop() {
      const exited = new Promise(r => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function cpuOf<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; cpuMs: number }> {
  const before = process.cpuUsage();
  const value = await fn();
  const used = process.cpuUsage(before);
  return { value, cpuMs: (used.user + used.system) / 1000 };
}

/** Logs warnings and errors only: the benchmark's output stays its figures. */
const logger: LoggerService = {
  error: m => process.stderr.write(`error: ${m}\n`),
  warn: m => process.stderr.write(`warn: ${m}\n`),
  info: () => {},
  debug: () => {},
  child: () => logger,
};

/** Audit events are the audit store's cost, measured by its own bench. */
const auditor: AuditorService = {
  async createEvent() {
    return { async success() {}, async fail() {} };
  },
};

async function main() {
  const base =
    process.env.FINCLOUD_BENCH_PG ?? 'postgresql://postgres@127.0.0.1:5432';
  const dbName = `releases_bench_${Date.now()}`;
  const admin = knexFactory({ client: 'pg', connection: `${base}/postgres` });
  await admin.raw(`CREATE DATABASE ${dbName}`);
  const knex = knexFactory({
    client: 'pg',
    connection: `${base}/${dbName}`,
    pool: { min: 0, max: 10 },
  });
  const sim = await startSimProcess(seed());
  // The engine's clock can jump ahead (ending every timed pause at once);
  // the simulator keeps real time.
  let offset = 0;
  try {
    await sleep(10_000); // the seed's pods start
    const root = new ConfigReader({
      fincloud: {
        clusters: [
          {
            name: 'sim',
            url: sim.url,
            serviceAccountToken: sim.token,
            skipTLSVerify: true,
          },
        ],
        releases: { defaultApprovals: 0, controller: { concurrency: 16 } },
      },
    });
    const config = readReleasesConfig(root);
    const clusters = ConfigFincloudClusters.fromConfig(root);
    const store = await DatabaseReleaseStore.create({ database: knex });
    const engine = new ReleaseEngine({
      store,
      cluster: new ReleaseCluster(name => clusters.getKubeConfig(name)),
      config,
      logger,
      auditor,
      clock: () => Date.now() + offset,
      instanceId: 'bench',
    });
    const service = new DefaultReleaseService({
      engine,
      clusters,
      config,
      logger,
    });
    const controller = new ReleaseController(
      engine,
      logger,
      config.controller.concurrency,
    );

    process.stdout.write(
      `Creating ${NAMESPACES * PER_NAMESPACE} canary releases ...\n`,
    );
    const ids: string[] = [];
    const started = performance.now();
    const targets: Array<[string, string]> = [];
    for (let ns = 0; ns < NAMESPACES; ns++) {
      for (let i = 0; i < PER_NAMESPACE; i++)
        targets.push([`bench-${ns}`, `svc-${i}`]);
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < targets.length) {
          const [namespace, name] = targets[next++];
          const release = await service.create(
            entity(namespace, name),
            {
              image: `registry.bench/${name}:2.0.0`,
              strategy: 'canary',
              steps: [
                { weight: 5, pause: { seconds: 60 } },
                { weight: 10 },
                { weight: 20 },
                { weight: 50 },
                { weight: 100 },
              ],
            },
            { ref: 'user:default/bench' },
          );
          ids.push(release.id);
        }
      }),
    );
    process.stdout.write(
      `  created in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
    await sleep(10_000); // canary pods ready
    for (let i = 0; i < 3; i++) {
      const t = await controller.tick();
      process.stdout.write(
        `  warm-up tick ${i + 1}: ${t.releases} releases, ${
          t.changed
        } changed, ${t.errors} errors, ${fmt(t.durationMs)}\n`,
      );
    }
    const paused = (await Promise.all(ids.map(id => store.get(id)))).filter(
      s => s!.record.release.state === 'paused',
    ).length;
    process.stdout.write(
      `  ${paused} of ${ids.length} releases paused at step 1 (5 %)\n`,
    );

    const steady: number[] = [];
    const steadyCpu: number[] = [];
    for (let i = 0; i < 10; i++) {
      await sleep(1_000);
      const { value: t, cpuMs } = await cpuOf(() => controller.tick());
      if (t.releases !== ids.length || t.errors)
        throw new Error(`tick: ${JSON.stringify(t)}`);
      steady.push(t.durationMs);
      steadyCpu.push(cpuMs);
    }
    const s = stats(steady);
    const sc = stats(steadyCpu);
    process.stdout.write(
      `Steady tick, ${ids.length} active releases: p50 ${fmt(s.p50)}, max ${fmt(
        s.max,
      )} (10 ticks; controller CPU p50 ${fmt(sc.p50)})\n`,
    );

    offset += 3600_000; // every timed pause ends
    const { value: busy, cpuMs: busyCpu } = await cpuOf(() =>
      controller.tick(),
    );
    process.stdout.write(
      `Busy tick, every release advances: ${busy.changed} changed, ${
        busy.errors
      } errors, ${fmt(busy.durationMs)} (controller CPU ${fmt(busyCpu)})\n`,
    );

    const latencies: number[] = [];
    const sample = ids.slice(0, PROMOTES);
    for (const id of sample) {
      const before = (await store.get(id))!.record.release;
      const t0 = performance.now();
      await service.act(id, {
        type: 'promote',
        by: 'user:default/bench',
        full: false,
      });
      const vs: any = await engine.cluster.readVirtualService(
        'sim',
        before.namespace,
        before.workload,
      );
      latencies.push(performance.now() - t0);
      const canary = vs.spec.http
        .at(-1)
        .route.find((r: any) => r.destination.subset === 'canary').weight;
      if (canary === before.weights.canary) {
        throw new Error(
          `release ${id}: the VirtualService still says ${canary} %`,
        );
      }
    }
    const p = stats(latencies);
    process.stdout.write(
      `promote → VirtualService patched (${p.n} promotes): p50 ${fmt(
        p.p50,
      )}, p99 ${fmt(p.p99)}, max ${fmt(p.max)}\n`,
    );
  } finally {
    await sim.stop();
    await knex.destroy();
    await admin.raw(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin.destroy();
  }
}

main().catch(error => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
