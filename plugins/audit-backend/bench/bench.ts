/*
 * The audit trail's figures, on PostgreSQL and SQLite, side by side with
 * Backstage's default auditor (log only) in the same run:
 *
 *   yarn workspace @fincloud/plugin-audit-backend bench [--engines pg,sqlite]
 *     [--actions 50000] [--high-actions 10000] [--writers 4]
 *     [--verify-records 1000000]
 *
 * - sustained append rate with concurrent writers: records per second from
 *   the first call until every record is committed to the database
 *   (Postgres: also several processes, each its own pool, like replicas);
 * - append latency p50 / p99 per severity path (low: spooled and batched;
 *   high: committed before the call returns);
 * - verify rate over --verify-records records.
 *
 * One audited action is createEvent + success: two records.
 * PostgreSQL: BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING or
 * postgresql://postgres@127.0.0.1:5432; a scratch database is created and
 * dropped.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import knexFactory, { Knex } from 'knex';
import {
  CheckpointSigner,
  DatabaseAuditStore,
  FincloudAuditorService,
  verifyAuditTrail,
} from '@fincloud/plugin-audit-node';
import {
  benchAuth,
  benchHttpAuth,
  defaultLogOnlyAuditor,
  drive,
} from './common';

type Args = {
  engines: string[];
  actions: number;
  highActions: number;
  writers: number;
  verifyRecords: number;
};

function parseArgs(argv: string[]): Args {
  const args: Args = {
    engines: ['pg', 'sqlite'],
    actions: 50_000,
    highActions: 10_000,
    writers: 4,
    verifyRecords: 1_000_000,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === '--engines') args.engines = v.split(',');
    else if (k === '--actions') args.actions = Number(v);
    else if (k === '--high-actions') args.highActions = Number(v);
    else if (k === '--writers') args.writers = Number(v);
    else if (k === '--verify-records') args.verifyRecords = Number(v);
    else throw new Error(`unknown argument ${k}`);
  }
  return args;
}

const signer = CheckpointSigner.hmac(
  'bench',
  'bench-hmac-key-0123456789abcdef0123456',
);
const quiet = {
  info() {},
  warn() {},
  error: console.error,
  debug() {},
  child: () => quiet,
} as any;

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });

interface Row {
  what: string;
  rate?: number;
  p50?: number;
  p99?: number;
  note?: string;
}

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));

async function pgScratch(): Promise<{
  connection: Record<string, unknown>;
  knex: () => Knex;
  drop: () => Promise<void>;
}> {
  const url = new URL(
    process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
      'postgresql://postgres@127.0.0.1:5432',
  );
  const base = {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || 'postgres'),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
  const database = `fincloud_audit_bench_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory({
    client: 'pg',
    connection: { ...base, database: 'postgres' },
  });
  await admin.raw(`CREATE DATABASE "${database}"`);
  const connection = { ...base, database };
  return {
    connection,
    knex: () =>
      knexFactory({ client: 'pg', connection, pool: { min: 1, max: 8 } }),
    drop: async () => {
      await admin.raw(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await admin.destroy();
    },
  };
}

async function sqliteScratch() {
  const dir = tmp('audit-bench-sqlite-');
  const filename = path.join(dir, 'audit.sqlite');
  return {
    knex: () =>
      knexFactory({
        client: 'better-sqlite3',
        connection: { filename },
        useNullAsDefault: true,
      }),
    drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

async function withStore<T>(
  knex: Knex,
  options: Partial<Parameters<typeof DatabaseAuditStore.create>[0]>,
  fn: (
    store: DatabaseAuditStore,
    auditor: FincloudAuditorService,
  ) => Promise<T>,
): Promise<T> {
  const store = await DatabaseAuditStore.create({
    database: knex,
    logger: quiet,
    signer,
    spoolDirectory: tmp('audit-bench-spool-'),
    ...options,
  });
  const auditor = new FincloudAuditorService({
    logging: await defaultLogOnlyAuditor(),
    store,
    auth: benchAuth,
    httpAuth: benchHttpAuth,
    pluginId: 'bench',
  });
  try {
    return await fn(store, auditor);
  } finally {
    await store.stop({ timeoutMs: 600_000 });
  }
}

async function countRows(knex: Knex): Promise<number> {
  return Number((await knex('audit_events').count({ n: '*' }))[0].n);
}

async function fill(knex: Knex, total: number) {
  // Filling for the verify figure: plain low events through the store, in chunks.
  const have = await countRows(knex);
  await withStore(
    knex,
    { spoolDirectory: undefined, batchSize: 2000, maxQueuedEvents: 100_000 },
    async store => {
      for (let done = have; done < total; ) {
        const n = Math.min(50_000, total - done);
        for (let i = 0; i < n; i++) {
          await store.append({
            plugin: 'bench',
            eventId: 'payment-approve',
            severity: 'low',
            status: i % 2 ? 'succeeded' : 'initiated',
            actor: { type: 'service', ref: 'plugin:bench' },
            entityRef: 'component:default/payment-gateway',
            meta: { n: done + i, amount: { value: i * 10, currency: 'EUR' } },
            correlationId: `c-${(done + i) >> 1}`,
          });
        }
        await store.flush({ timeoutMs: 600_000 });
        done += n;
        process.stderr.write(`  filled ${fmt(done)} / ${fmt(total)}\r`);
      }
    },
  );
  process.stderr.write('\n');
}

async function multiProcess(
  connection: Record<string, unknown>,
  writers: number,
  recordsEach: number,
) {
  const children = Array.from({ length: writers }, () =>
    fork(
      path.join(__dirname, 'writer.ts'),
      [JSON.stringify(connection), String(recordsEach), tmp('audit-bench-w-')],
      {
        execArgv: [
          '--require',
          require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        ],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    ),
  );
  await Promise.all(
    children.map(c => new Promise(resolve => c.once('message', resolve))),
  );
  const start = process.hrtime.bigint();
  const results = children.map(
    c =>
      new Promise<any>((resolve, reject) => {
        c.on('message', (m: any) => m.result && resolve(m.result));
        c.once(
          'exit',
          code => code && reject(new Error(`writer exited ${code}`)),
        );
      }),
  );
  for (const c of children) c.send('go');
  const all = await Promise.all(results);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await Promise.all(
    children.map(
      c =>
        new Promise(r => (c.exitCode !== null ? r(null) : c.once('exit', r))),
    ),
  );
  return { seconds, rate: (writers * recordsEach) / seconds, perWriter: all };
}

async function benchEngine(
  engine: 'pg' | 'sqlite',
  args: Args,
): Promise<Row[]> {
  const rows: Row[] = [];
  const scratch = engine === 'pg' ? await pgScratch() : await sqliteScratch();
  const knex = scratch.knex();
  try {
    // Latency is measured with one caller (the cost of a call); the rate with
    // many concurrent callers (what the writer sustains).
    const latencyActions = Math.min(2000, args.actions);

    // 1. Backstage's default auditor, log only (no database), same driver.
    const baseline = await defaultLogOnlyAuditor();
    for (const severity of ['low', 'high'] as const) {
      const r = await drive({
        auditor: baseline,
        severity,
        actions: args.actions,
        concurrency: 64,
      });
      const l = await drive({
        auditor: baseline,
        severity,
        actions: latencyActions,
        concurrency: 1,
      });
      rows.push({
        what: `Backstage default auditor (log only), ${severity}`,
        rate: r.recordsPerSecond,
        p50: l.p50,
        p99: l.p99,
      });
    }

    // 2. fincloud, low severity: spooled, group-committed.
    await withStore(knex, { batchSize: 1000 }, async (store, auditor) => {
      const r = await drive({
        auditor,
        severity: 'low',
        actions: args.actions,
        concurrency: 64,
        settle: () => store.flush({ timeoutMs: 600_000 }),
      });
      const l = await drive({
        auditor,
        severity: 'low',
        actions: latencyActions,
        concurrency: 1,
      });
      await store.flush({ timeoutMs: 600_000 });
      rows.push({
        what: 'fincloud, low (spooled, batched commit), 64 callers, until all committed',
        rate: r.recordsPerSecond,
        p50: l.p50,
        p99: l.p99,
        note: `${fmt(r.records)} records; calls done after ${fmt(
          r.appendSeconds,
          2,
        )} s, all committed after ${fmt(r.seconds, 2)} s`,
      });
    });

    // 3. fincloud, high severity: committed before each call returns.
    await withStore(knex, { batchSize: 1000 }, async (_store, auditor) => {
      const r = await drive({
        auditor,
        severity: 'high',
        actions: args.highActions,
        concurrency: 32,
      });
      const l = await drive({
        auditor,
        severity: 'high',
        actions: latencyActions,
        concurrency: 1,
      });
      rows.push({
        what: 'fincloud, high (durable before return), 32 callers',
        rate: r.recordsPerSecond,
        p50: l.p50,
        p99: l.p99,
        note: `${fmt(r.records)} records; with 32 callers p50 ${fmt(
          r.p50,
          2,
        )} / p99 ${fmt(r.p99, 2)} ms (group commit)`,
      });
    });

    // 4. Several processes, each its own pool and store (replicas), Postgres only.
    if (engine === 'pg' && args.writers > 1) {
      const before = await countRows(knex);
      const recordsEach = Math.floor(args.actions / args.writers) * 2;
      const r = await multiProcess(
        (scratch as any).connection,
        args.writers,
        recordsEach,
      );
      const seqs = await knex('audit_events')
        .where('seq', '>', before)
        .count({ n: '*' })
        .max({ max: 'seq' })
        .first();
      const gapless =
        Number(seqs?.n) === args.writers * recordsEach &&
        Number(seqs?.max) === before + args.writers * recordsEach;
      rows.push({
        what: `fincloud, low, ${args.writers} processes (own pools) × 32 callers, until all committed`,
        rate: r.rate,
        note: `${fmt(args.writers * recordsEach)} records; seq ${
          gapless ? 'gapless, no duplicates' : 'NOT GAPLESS'
        }`,
      });
    }

    // 5. Verify over --verify-records records: one thread, and two worker
    // threads (the default from 100 000 records on machines with 4+ cores).
    await fill(knex, args.verifyRecords);
    const count = await countRows(knex);
    for (const parallel of [false, true] as const) {
      const start = process.hrtime.bigint();
      const result = await verifyAuditTrail(knex, signer, { parallel });
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      rows.push({
        what: `verify ${fmt(count)} records, ${
          parallel ? '2 worker threads' : 'one thread'
        }`,
        rate: result.checked / seconds,
        note: `${
          result.ok ? 'intact' : `BROKEN: ${result.firstBroken?.reason}`
        }, ${fmt(seconds, 1)} s`,
      });
    }
  } finally {
    await knex.destroy();
    await scratch.drop();
  }
  return rows;
}

function table(engine: string, rows: Row[]): string {
  const lines = [
    `| ${engine} | records/s | append p50 ms (1 caller) | append p99 ms (1 caller) | notes |`,
    '| --- | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.what} | ${r.rate !== undefined ? fmt(r.rate) : ''} | ${
        r.p50 !== undefined ? fmt(r.p50, 3) : ''
      } | ${r.p99 !== undefined ? fmt(r.p99, 3) : ''} | ${r.note ?? ''} |`,
    );
  }
  return lines.join('\n');
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  process.stdout.write(
    `fincloud audit bench: ${os.cpus().length} cores, Node ${
      process.version
    }, ${fmt(args.actions)} actions (${fmt(
      args.actions * 2,
    )} records) per low run, ${fmt(args.highActions)} per high run\n\n`,
  );
  for (const engine of args.engines) {
    if (engine !== 'pg' && engine !== 'sqlite')
      throw new Error(`unknown engine ${engine}`);
    const label = engine === 'pg' ? 'PostgreSQL' : 'SQLite (file)';
    process.stderr.write(`${label}...\n`);
    const rows = await benchEngine(engine, args);
    process.stdout.write(`${table(label, rows)}\n\n`);
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
