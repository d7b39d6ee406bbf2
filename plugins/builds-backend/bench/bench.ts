/*
 * The builds benchmark (not a test): prints figures for the README.
 *
 *   yarn workspace @fincloud/plugin-builds-backend bench [logs] [screen] [history] [images]
 *
 * - logs: the log pipeline (cluster → follower → chunks in the database) per
 *   stream and with 20 concurrent streams, against reading the same logs
 *   straight from the simulator with client-node in the same run.
 * - screen: first-screen (and last-screen) latency of a finished 1 M-line log.
 * - history: history page p50/p99 with 1 M builds over 10 k entities on
 *   PostgreSQL, keyset against offset pagination (and a 100 k-build entity
 *   for deep pages).
 * - images: image size, generic against compile-then-build, for the sample
 *   apps (buildah).
 *
 * PostgreSQL: BENCH_PG (default postgresql://postgres@127.0.0.1:5432); a
 * database fincloud_builds_bench is created and dropped.
 */
import { Writable } from 'node:stream';
import { ConfigReader } from '@backstage/config';
import { startClusterSim, ClusterSim } from '@fincloud/cluster-sim';
import { ConfigFincloudClusters } from '@fincloud/plugin-fincloud-node';
import { BatchV1Api, Log } from '@kubernetes/client-node';
import knexFactory, { Knex } from 'knex';
import { readBuildsConfig } from '../src/config';
import { LogFollower } from '../src/controller/LogFollower';
import { DatabaseBuildsStore } from '../src/database/DatabaseBuildsStore';
import { BuildRecord } from '../src/database/types';
import { ClusterClientCache } from '../src/kubernetes/clusterClients';
import { buildManifests, jobNameFor } from '../src/kubernetes/jobManifest';
import { DEFAULT_TEMPLATES } from '../src/dockerfiles/defaultTemplates';
import {
  buildahPath,
  LocalBuildah,
  SAMPLE_APPS,
} from '../src/__testUtils__/buildah';
import path from 'node:path';

const SEED = path.resolve(
  require.resolve('@fincloud/cluster-sim/package.json'),
  '..',
  'seed',
  'default.yaml',
);
const PG = process.env.BENCH_PG ?? 'postgresql://postgres@127.0.0.1:5432';
const NS = 'fincloud-builds';
const MB = 1024 * 1024;

const sections = process.argv.slice(2);
const want = (s: string) => sections.length === 0 || sections.includes(s);

function pct(values: number[], p: number) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}
const ms = (n: number) => `${n.toFixed(2)} ms`;

async function pgDatabase(): Promise<{
  knex: Knex;
  drop: () => Promise<void>;
}> {
  const admin = knexFactory({ client: 'pg', connection: PG });
  await admin.raw('DROP DATABASE IF EXISTS fincloud_builds_bench WITH (FORCE)');
  await admin.raw('CREATE DATABASE fincloud_builds_bench');
  const knex = knexFactory({
    client: 'pg',
    connection: `${PG.replace(/\/$/, '')}/fincloud_builds_bench`,
    pool: { min: 1, max: 25 },
  });
  return {
    knex,
    drop: async () => {
      await knex.destroy();
      await admin.raw(
        'DROP DATABASE IF EXISTS fincloud_builds_bench WITH (FORCE)',
      );
      await admin.destroy();
    },
  };
}

function sqliteDatabase(): Knex {
  return knexFactory({
    client: 'better-sqlite3',
    connection: { filename: ':memory:' },
    useNullAsDefault: true,
  });
}

/** Build records whose Jobs run in the simulator with `lines` extra log lines each. */
async function finishedBuilds(
  sim: ClusterSim,
  store: DatabaseBuildsStore,
  count: number,
  lines: number,
): Promise<BuildRecord[]> {
  const rootConfig = new ConfigReader({
    fincloud: {
      builds: {
        podAnnotations: {
          'sim.fincloud.io/log-lines': String(lines),
          'sim.fincloud.io/step-ms': '10',
        },
      },
    },
  });
  const config = readBuildsConfig(rootConfig);
  const batch = sim.kubeConfig().makeApiClient(BatchV1Api);
  const builds: BuildRecord[] = [];
  for (let i = 0; i < count; i++) {
    const created = await store.createBuild({
      entityRef: `component:default/bench-${i}`,
      buildType: 'in-repo-dockerfile',
      branch: 'main',
      triggeredBy: 'user:default/bench',
      cluster: 'sim',
      namespace: NS,
      steps: [
        { name: 'clone', status: 'queued' },
        { name: 'scan', status: 'skipped' },
        { name: 'build', status: 'queued' },
      ],
      spec: {
        sourceRepo: 'https://git.fincloud.example/bench/app.git',
        inRepo: { dockerfile: 'Dockerfile', context: '.' },
        imageRepository: `registry.fincloud.example/bench/app-${i}`,
        tag: '{number}-main',
        scan: { enabled: false, failOn: 'high' },
        attempts: [],
      },
    });
    const attempt = { jobName: jobNameFor(created, 0), skipScan: true };
    const { job } = buildManifests(created, attempt, config);
    await batch.createNamespacedJob({
      namespace: NS,
      body: job.toJSON() as any,
    });
    await store.updateBuild(created.id, 0, {
      jobName: attempt.jobName,
      spec: { ...created.spec, attempts: [attempt] },
    });
    builds.push((await store.getBuild(created.id))!);
  }
  // Let every Job run to its end, so the logs are complete in the cluster.
  for (let t = 0; t < 600; t++) {
    sim.clock.advance(1000);
    const jobs = sim.store.list('batch/v1', 'Job', NS) as any[];
    if (
      jobs.length >= count &&
      jobs.every(j =>
        (j.status?.conditions ?? []).some((c: any) => c.type === 'Complete'),
      )
    ) {
      break;
    }
  }
  // The build records say so too (the follower stops at the end of the build).
  for (const b of builds) {
    const current = (await store.getBuild(b.id))!;
    await store.updateBuild(b.id, current.version, { status: 'succeeded' });
  }
  return Promise.all(builds.map(async b => (await store.getBuild(b.id))!));
}

async function podOf(sim: ClusterSim, jobName: string): Promise<string> {
  const pods = sim.store.list('v1', 'Pod', NS) as any[];
  return pods.find(p => p.metadata.labels?.['job-name'] === jobName)!.metadata
    .name;
}

/** Reads a container's whole log with client-node into nothing, as bytes. */
async function readDirect(sim: ClusterSim, pod: string, container: string) {
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      bytes += chunk.length;
      cb();
    },
  });
  const done = new Promise<void>(resolve => sink.on('finish', () => resolve()));
  await new Log(sim.kubeConfig()).log(NS, pod, container, sink, {
    follow: false,
    timestamps: true,
  });
  await done;
  return bytes;
}

async function logBytes(sim: ClusterSim, builds: BuildRecord[]) {
  let total = 0;
  for (const b of builds) {
    const pod = await podOf(sim, b.spec.attempts[0].jobName);
    for (const c of ['clone', 'build']) {
      total += Buffer.byteLength(sim.store.logText(NS, pod, c));
    }
  }
  return total;
}

async function benchLogs(db: 'sqlite' | 'postgres') {
  const sim = await startClusterSim({
    manualClock: true,
    seed: SEED,
    trafficIntervalMs: 0,
  });
  const database = db === 'postgres' ? await pgDatabase() : undefined;
  const knex = database?.knex ?? sqliteDatabase();
  try {
    const store = await DatabaseBuildsStore.create({ database: knex });
    const clusters = ConfigFincloudClusters.fromConfig(
      new ConfigReader({
        fincloud: {
          clusters: [
            {
              name: 'sim',
              url: sim.url,
              serviceAccountToken: sim.token,
              skipTLSVerify: true,
            },
          ],
        },
      }),
    );
    const follower = new LogFollower({
      store,
      clients: new ClusterClientCache(clusters),
      namespace: NS,
      logger: {
        debug() {},
        info() {},
        warn: (m: string) => console.warn(m),
        error: (m: string) => console.error(m),
        child() {
          return this;
        },
      } as any,
      chunkLines: Number(process.env.BENCH_CHUNK_LINES ?? 2000),
      flushIntervalMs: 500,
    });
    const follow = async (builds: BuildRecord[]) => {
      const started = performance.now();
      await Promise.all(
        builds.map(b => follower.run(b.id, new AbortController().signal)),
      );
      return (performance.now() - started) / 1000;
    };
    const direct = async (builds: BuildRecord[]) => {
      const started = performance.now();
      await Promise.all(
        builds.map(async b => {
          const pod = await podOf(sim, b.spec.attempts[0].jobName);
          await readDirect(sim, pod, 'clone');
          await readDirect(sim, pod, 'build');
        }),
      );
      return (performance.now() - started) / 1000;
    };

    const reset = async (builds: BuildRecord[]) => {
      for (const b of builds) {
        await knex('build_log_chunks').where('build_id', b.id).delete();
        await knex('builds')
          .where('id', b.id)
          .update({ log_lines: 0, log_cursor: null, log_complete: false });
      }
    };
    const median = (v: number[]) => pct(v, 50);
    /** Alternating rounds (the machine is shared); the median of each. */
    const compare = async (builds: BuildRecord[], rounds = 3) => {
      const directs: number[] = [];
      const pipelines: number[] = [];
      for (let r = 0; r < rounds; r++) {
        directs.push(await direct(builds));
        await reset(builds);
        pipelines.push(await follow(builds));
      }
      return { direct: median(directs), pipeline: median(pipelines) };
    };

    // One stream: 1 M lines.
    const [single] = await finishedBuilds(sim, store, 1, 1_000_000);
    const singleBytes = await logBytes(sim, [single]);
    const one = await compare([single]);
    const stored = (await store.getBuild(single.id))!;
    console.log(
      `logs/${db}: 1 stream, ${stored.logLines} lines, ${(
        singleBytes / MB
      ).toFixed(1)} MB: ` +
        `pipeline ${(singleBytes / MB / one.pipeline).toFixed(
          1,
        )} MB/s (${one.pipeline.toFixed(2)} s), ` +
        `direct ${(singleBytes / MB / one.direct).toFixed(
          1,
        )} MB/s (${one.direct.toFixed(2)} s), ` +
        `pipeline/direct ${(one.direct / one.pipeline).toFixed(2)}`,
    );

    // 20 streams at once: 100 k lines each.
    const many = await finishedBuilds(sim, store, 20, 100_000);
    const manyBytes = await logBytes(sim, many);
    const twenty = await compare(many);
    console.log(
      `logs/${db}: 20 streams, ${(manyBytes / MB).toFixed(1)} MB: ` +
        `pipeline ${(manyBytes / MB / twenty.pipeline).toFixed(
          1,
        )} MB/s total, ` +
        `${(manyBytes / 20 / MB / twenty.pipeline).toFixed(
          1,
        )} MB/s per stream (${twenty.pipeline.toFixed(2)} s); ` +
        `direct ${(manyBytes / MB / twenty.direct).toFixed(
          1,
        )} MB/s total (${twenty.direct.toFixed(2)} s); ` +
        `pipeline/direct ${(twenty.direct / twenty.pipeline).toFixed(2)}`,
    );

    if (db === (process.env.BENCH_SCREEN_DB ?? 'postgres') && want('screen')) {
      await benchScreen(store, stored, db);
    }
  } finally {
    await sim.stop();
    if (database) await database.drop();
    else await knex.destroy();
  }
}

async function benchScreen(
  store: DatabaseBuildsStore,
  build: BuildRecord,
  db: string,
) {
  const first: number[] = [];
  const last: number[] = [];
  for (let i = 0; i < 200; i++) {
    let t = performance.now();
    const head = await store.readLog(build.id, 0, 500);
    first.push(performance.now() - t);
    t = performance.now();
    const fresh = (await store.getBuild(build.id))!;
    const tail = await store.readLog(build.id, fresh.logLines - 500, 500);
    last.push(performance.now() - t);
    if (head.length !== 500 || tail.length !== 500)
      throw new Error('short read');
  }
  console.log(
    `screen/${db}: ${build.logLines} lines stored; first 500 lines p50 ${ms(
      pct(first, 50),
    )} p99 ${ms(pct(first, 99))}; last 500 lines p50 ${ms(
      pct(last, 50),
    )} p99 ${ms(pct(last, 99))}`,
  );
}

async function benchHistory() {
  const { knex, drop } = await pgDatabase();
  try {
    const store = await DatabaseBuildsStore.create({ database: knex });
    const t0 = performance.now();
    const steps = JSON.stringify([
      { name: 'clone', status: 'succeeded' },
      { name: 'scan', status: 'succeeded' },
      { name: 'build', status: 'succeeded' },
    ]);
    const day = 86_400_000;
    const base = Date.now() - 90 * day;
    // 1 M builds: 10 000 entities × 100 builds, plus one entity with 100 000.
    await knex.raw(
      `INSERT INTO builds (id, entity_ref, number, status, build_type, branch, "commit", triggered_by,
         created_at, started_at, finished_at, steps, cluster, namespace, spec, version, log_lines, log_complete)
       SELECT md5(i::text)::uuid::text,
              'component:default/svc-' || (i % 10000),
              (i / 10000) + 1,
              CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'succeeded' END,
              CASE WHEN i % 3 = 0 THEN 'compile-then-build' ELSE 'generic' END,
              CASE WHEN i % 4 = 0 THEN 'main' ELSE 'feature/x' END,
              substr(md5(i::text), 1, 7),
              'user:default/dev-' || (i % 50),
              ?::bigint + (i::bigint * 7776),
              ?::bigint + (i::bigint * 7776) + 5000,
              ?::bigint + (i::bigint * 7776) + 185000,
              ?, 'sim', 'fincloud-builds', '{}', 0, 0, true
       FROM generate_series(0, 999999) AS i`,
      [base, base, base, steps],
    );
    await knex.raw(
      `INSERT INTO builds (id, entity_ref, number, status, build_type, branch, "commit", triggered_by,
         created_at, started_at, finished_at, steps, cluster, namespace, spec, version, log_lines, log_complete)
       SELECT md5('hot' || i::text)::uuid::text, 'component:default/hot-service', i + 1,
              CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'succeeded' END, 'generic', 'main',
              substr(md5(i::text), 1, 7), 'user:default/dev-1',
              ?::bigint + (i::bigint * 77760), ?::bigint + (i::bigint * 77760) + 5000,
              ?::bigint + (i::bigint * 77760) + 185000, ?, 'sim', 'fincloud-builds', '{}', 0, 0, true
       FROM generate_series(0, 99999) AS i`,
      [base, base, base, steps],
    );
    await knex.raw('ANALYZE builds');
    console.log(
      `history: seeded 1 100 000 builds (10 000 entities × 100, one entity × 100 000) in ${(
        (performance.now() - t0) /
        1000
      ).toFixed(1)} s`,
    );

    const measure = async (
      what: string,
      fn: (i: number) => Promise<unknown>,
      n = 1000,
    ) => {
      for (let i = 0; i < 50; i++) await fn(i); // warm up
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await fn(i);
        times.push(performance.now() - t);
      }
      console.log(
        `history: ${what}: p50 ${ms(pct(times, 50))} p99 ${ms(pct(times, 99))}`,
      );
    };
    const entity = (i: number) => `component:default/svc-${(i * 7919) % 10000}`;
    // Touch each measured entity once, so no variant pays for a cold cache alone.
    for (let i = 0; i < 1000; i++)
      await store.listBuilds(entity(i), {}, { limit: 20 });
    await measure('first page (20), random entity, keyset', i =>
      store.listBuilds(entity(i), {}, { limit: 20 }),
    );
    await measure('first page (20), random entity, offset', i =>
      store.listBuildsByOffset(entity(i), { limit: 20, offset: 0 }),
    );
    await measure(
      'page 5 (20), random entity, keyset',
      async i => {
        let page = await store.listBuilds(entity(i), {}, { limit: 20 });
        for (let p = 1; p < 5; p++) {
          page = await store.listBuilds(
            entity(i),
            {},
            { limit: 20, cursor: page.nextCursor },
          );
        }
        return page;
      },
      200,
    );
    await measure(
      'filtered page (status=failed, branch=main), random entity',
      i =>
        store.listBuilds(
          entity(i),
          { status: ['failed'], branch: 'main' },
          { limit: 20 },
        ),
    );
    // Deep pages of the 100 000-build entity.
    const hot = 'component:default/hot-service';
    const cursorAt = (n: number) => Buffer.from(`n:${n}`).toString('base64url');
    await measure(
      'hot entity, page at depth 90 000, keyset',
      i =>
        store.listBuilds(
          hot,
          {},
          { limit: 20, cursor: cursorAt(10_000 - (i % 100)) },
        ),
      200,
    );
    await measure(
      'hot entity, page at depth 90 000, offset',
      i =>
        store.listBuildsByOffset(hot, {
          limit: 20,
          offset: 90_000 + (i % 100),
        }),
      200,
    );
    await measure(
      'stats 30d, random entity',
      i => store.stats(entity(i), '30d'),
      300,
    );
  } finally {
    await drop();
  }
}

async function benchImages() {
  if (!buildahPath()) {
    console.log(
      'images: skipped (buildah is not installed: sudo apt-get install -y buildah)',
    );
    return;
  }
  const local = new LocalBuildah();
  const bases = await local.ensureBaseImages(line =>
    console.log(`images: ${line}`),
  );
  const apps = [
    {
      language: 'node' as const,
      dir: 'node',
      args: {
        NODE_BUILD_IMAGE: bases.nodeToolchain,
        NODE_RUNTIME_IMAGE: bases.nodeRuntime,
      } as Record<string, string>,
    },
    {
      language: 'static' as const,
      dir: 'static-site',
      args: {
        NODE_BUILD_IMAGE: bases.nodeToolchain,
        STATIC_RUNTIME_IMAGE: bases.staticServer,
      } as Record<string, string>,
    },
  ];
  for (const app of apps) {
    const context = path.join(SAMPLE_APPS, app.dir);
    const results = [];
    for (const kind of ['generic', 'compileThenBuild'] as const) {
      const r = await local.build({
        dockerfile: DEFAULT_TEMPLATES[app.language][kind],
        context,
        image: `localhost/fincloud-bench/${app.dir}:${kind.toLowerCase()}`,
        buildArgs: app.args,
      });
      results.push(r);
      await local.remove(r.image);
    }
    const [generic, slim] = results;
    console.log(
      `images: ${app.dir}: generic ${(generic.sizeBytes / MB).toFixed(
        1,
      )} MB (${generic.seconds.toFixed(1)} s), compile-then-build ${(
        slim.sizeBytes / MB
      ).toFixed(2)} MB (${slim.seconds.toFixed(1)} s), ratio ${(
        slim.sizeBytes / generic.sizeBytes
      ).toFixed(3)}`,
    );
  }
}

async function main() {
  console.log(
    `builds bench on Node ${process.version}, ${new Date().toISOString()}`,
  );
  if (want('logs') || want('screen')) {
    const dbs = (process.env.BENCH_DBS ?? 'sqlite,postgres').split(',');
    for (const db of dbs) await benchLogs(db as 'sqlite' | 'postgres');
  }
  if (want('history')) await benchHistory();
  if (want('images')) await benchImages();
}

main().then(
  () => process.exit(0),
  error => {
    console.error(error);
    process.exit(1);
  },
);
