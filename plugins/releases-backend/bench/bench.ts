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
 * a scratch database is created and dropped.
 */
import { ConfigReader } from '@backstage/config';
import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { startClusterSim } from '@fincloud/cluster-sim';
import { ConfigFincloudClusters } from '@fincloud/plugin-fincloud-node';
import knexFactory from 'knex';
import { ReleaseCluster } from '../src/cluster/ReleaseCluster';
import { readReleasesConfig } from '../src/config';
import { DatabaseReleaseStore } from '../src/database/DatabaseReleaseStore';
import { DefaultReleaseService } from '../src/service/DefaultReleaseService';
import { ReleaseEngine } from '../src/service/ReleaseEngine';
import { ReleaseController } from '../src/tasks/ReleaseController';

const NAMESPACES = 10;
const PER_NAMESPACE = 100;
const PROMOTES = 300;

function seed() {
  const objects: any[] = [];
  for (let n = 0; n < 30; n++) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: `node-${n}`, labels: { 'fincloud.io/pool': 'general' } },
    });
  }
  for (let ns = 0; ns < NAMESPACES; ns++) {
    const namespace = `bench-${ns}`;
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
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
            spec: { containers: [{ name: app, image: `registry.bench/${app}:1.0.0` }] },
          },
        },
      });
      objects.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: app, namespace },
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
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  return { n: sorted.length, p50: at(50), p99: at(99), max: sorted[sorted.length - 1] };
}

const fmt = (n: number) => `${n.toFixed(1)} ms`;

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
  const base = process.env.FINCLOUD_BENCH_PG ?? 'postgresql://postgres@127.0.0.1:5432';
  const dbName = `releases_bench_${Date.now()}`;
  const admin = knexFactory({ client: 'pg', connection: `${base}/postgres` });
  await admin.raw(`CREATE DATABASE ${dbName}`);
  const knex = knexFactory({ client: 'pg', connection: `${base}/${dbName}`, pool: { min: 0, max: 10 } });
  const sim = await startClusterSim({ manualClock: true, seed: seed(), trafficIntervalMs: 0 });
  try {
    sim.clock.advance(15_000);
    const root = new ConfigReader({
      fincloud: {
        clusters: [{ name: 'sim', url: sim.url, serviceAccountToken: sim.token, skipTLSVerify: true }],
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
      clock: () => sim.clock.now(),
      instanceId: 'bench',
    });
    const service = new DefaultReleaseService({ engine, clusters, config, logger });
    const controller = new ReleaseController(engine, logger, config.controller.concurrency);

    process.stdout.write(`Creating ${NAMESPACES * PER_NAMESPACE} canary releases ...\n`);
    const ids: string[] = [];
    const started = performance.now();
    const targets: Array<[string, string]> = [];
    for (let ns = 0; ns < NAMESPACES; ns++) {
      for (let i = 0; i < PER_NAMESPACE; i++) targets.push([`bench-${ns}`, `svc-${i}`]);
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
    process.stdout.write(`  created in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    sim.clock.advance(15_000); // canary pods ready
    for (let i = 0; i < 3; i++) {
      const t = await controller.tick();
      process.stdout.write(
        `  warm-up tick ${i + 1}: ${t.releases} releases, ${t.changed} changed, ${t.errors} errors, ${fmt(t.durationMs)}\n`,
      );
    }
    const paused = (await Promise.all(ids.map(id => store.get(id)))).filter(
      s => s!.record.release.state === 'paused',
    ).length;
    process.stdout.write(`  ${paused} of ${ids.length} releases paused at step 1 (5 %)\n`);

    const steady: number[] = [];
    for (let i = 0; i < 10; i++) {
      sim.clock.advance(1_000);
      const t = await controller.tick();
      if (t.releases !== ids.length || t.errors) throw new Error(`tick: ${JSON.stringify(t)}`);
      steady.push(t.durationMs);
    }
    const s = stats(steady);
    process.stdout.write(
      `Steady tick, ${ids.length} active releases: p50 ${fmt(s.p50)}, max ${fmt(s.max)} (10 ticks)\n`,
    );

    sim.clock.advance(60_000); // every timed pause ends
    const busy = await controller.tick();
    process.stdout.write(
      `Busy tick, every release advances: ${busy.changed} changed, ${busy.errors} errors, ${fmt(busy.durationMs)}\n`,
    );

    const latencies: number[] = [];
    const sample = ids.slice(0, PROMOTES);
    for (const id of sample) {
      const before = (await store.get(id))!.record.release;
      const t0 = performance.now();
      await service.act(id, { type: 'promote', by: 'user:default/bench', full: false });
      const vs: any = sim.store.get('networking.istio.io/v1beta1', 'VirtualService', before.namespace, before.workload);
      const canary = vs.spec.http.at(-1).route.find((r: any) => r.destination.subset === 'canary').weight;
      latencies.push(performance.now() - t0);
      if (canary === before.weights.canary) {
        throw new Error(`release ${id}: the VirtualService still says ${canary} %`);
      }
    }
    const p = stats(latencies);
    process.stdout.write(
      `promote → VirtualService patched (${p.n} promotes): p50 ${fmt(p.p50)}, p99 ${fmt(p.p99)}, max ${fmt(p.max)}\n`,
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
