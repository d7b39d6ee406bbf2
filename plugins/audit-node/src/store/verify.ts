import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { Knex } from 'knex';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { AuditVerifyResult } from '@fincloud/plugin-audit-common';
import {
  AUDIT_CANONICAL_VERSION,
  AUDIT_GENESIS_HASH,
  chainHashOf,
  sha256Hex,
} from '../chain/canonical';
import { AuditCheckpoint, CheckpointSigner } from '../chain/signer';
import { CheckpointRow, EventRow, HeadRow, rowToCheckpoint } from './rows';

/** What verification needs of a record: the hash of its canonical content (computed here) and its stored hashes. */
export interface VerifyRow {
  seq: number;
  /** sha256 of the canonical content rebuilt from the row's columns. */
  computedContentHash: string;
  content_hash: string;
  prev_hash: string;
  hash: string;
  at: string;
}

type Broken = NonNullable<AuditVerifyResult['firstBroken']>;

/** The findings, worded the same by the sequential and the parallel walk. */
const findings = {
  gap: (expected: number, next: number): Broken => ({
    seq: expected,
    reason: `record ${expected} is missing (the next record present is ${next}): a gap in the chain`,
  }),
  outOfOrder: (seq: number): Broken => ({
    seq,
    reason: `record ${seq} appears out of order`,
  }),
  content: (seq: number): Broken => ({
    seq,
    reason: `record ${seq} was altered: its content does not match its hash`,
  }),
  link: (seq: number): Broken => ({
    seq,
    reason: `record ${seq} does not link to record ${
      seq - 1
    }: prevHash differs from that record's hash (record ${
      seq - 1
    } or ${seq} was altered)`,
  }),
  hash: (seq: number): Broken => ({
    seq,
    reason: `record ${seq} was altered: its stored hash does not match its content and prevHash`,
  }),
  checkpointMismatch: (cp: AuditCheckpoint): Broken => ({
    seq: cp.seq,
    reason: `checkpoint at record ${cp.seq} (signed ${cp.at}) does not match the chain: the chain up to ${cp.seq} was rewritten`,
  }),
  checkpointSignature: (
    cp: AuditCheckpoint,
    sig: boolean | string,
  ): Broken => ({
    seq: cp.seq,
    reason: `checkpoint at record ${cp.seq} has an invalid signature${
      typeof sig === 'string' ? `: ${sig}` : ''
    }`,
  }),
};

/** Checks a checkpoint against the chain hash computed at its seq. */
function checkCheckpoint(
  cp: AuditCheckpoint,
  computedHash: string,
  signer: CheckpointSigner,
): { valid: boolean; broken?: Broken } {
  const sig = signer.verify(cp);
  const valid = sig === true && cp.hash === computedHash;
  if (cp.hash !== computedHash) {
    return { valid, broken: findings.checkpointMismatch(cp) };
  }
  if (sig !== true) {
    return { valid, broken: findings.checkpointSignature(cp, sig) };
  }
  return { valid };
}

/** Records missing after the last one checked, shown by a checkpoint or the head. */
function tailFinding(
  expected: number,
  checkpoints: AuditCheckpoint[],
  headSeq: number | undefined,
): Broken | undefined {
  const beyond = checkpoints.find(c => c.seq >= expected);
  if (beyond) {
    return {
      seq: expected,
      reason: `records ${expected} to ${beyond.seq} are missing: a checkpoint signed ${beyond.at} covers record ${beyond.seq}`,
    };
  }
  if (headSeq !== undefined && headSeq >= expected) {
    return {
      seq: expected,
      reason: `records ${expected} to ${headSeq} are missing: the chain head says ${headSeq}`,
    };
  }
  return undefined;
}

/** The content columns in canonical order, then the three hashes. */
const VERIFY_COLUMNS = [
  'seq',
  'id',
  'at',
  'plugin',
  'event_id',
  'severity',
  'status',
  'actor_type',
  'actor_ref',
  'entity_ref',
  'request_method',
  'request_path',
  'request_ip',
  'meta',
  'error',
  'correlation_id',
  'content_hash',
  'prev_hash',
  'hash',
];

function verifyRowOfArray(a: any[]): VerifyRow {
  const seq = Number(a[0]);
  return {
    seq,
    // Exactly canonicalContent(), built straight from the column values.
    computedContentHash: sha256Hex(
      JSON.stringify([
        AUDIT_CANONICAL_VERSION,
        seq,
        a[1],
        a[2],
        a[3],
        a[4],
        a[5],
        a[6],
        a[7],
        a[8],
        a[9],
        a[10],
        a[11],
        a[12],
        a[13],
        a[14],
        a[15],
      ]),
    ),
    content_hash: a[16],
    prev_hash: a[17],
    hash: a[18],
    at: a[2],
  };
}

function verifyRowOfObject(r: EventRow): VerifyRow {
  const seq = Number(r.seq);
  return {
    seq,
    computedContentHash: sha256Hex(
      JSON.stringify([
        AUDIT_CANONICAL_VERSION,
        seq,
        r.id,
        r.at,
        r.plugin,
        r.event_id,
        r.severity,
        r.status,
        r.actor_type,
        r.actor_ref,
        r.entity_ref,
        r.request_method,
        r.request_path,
        r.request_ip,
        r.meta,
        r.error,
        r.correlation_id,
      ]),
    ),
    content_hash: r.content_hash,
    prev_hash: r.prev_hash,
    hash: r.hash,
    at: r.at,
  };
}

/**
 * Reads records in seq order for verification: bounded seq ranges (seq is
 * gapless; a gap is a finding, not a stop) keep the plan an index range
 * scan however stale the statistics are; on Postgres rows come as arrays
 * (the driver's row parsing is what limits the rate); two pages are in
 * flight while one is hashed.
 */
async function* verifyPages(
  knex: Knex,
  maxSeq: number,
  pageSize: number,
  signal?: AbortSignal,
): AsyncGenerator<VerifyRow[]> {
  const isPg = String(knex.client.config.client).includes('pg');
  const fetchPage = async (after: number): Promise<VerifyRow[]> => {
    const q = knex('audit_events')
      .select(VERIFY_COLUMNS)
      .where('seq', '>', after)
      .andWhere('seq', '<=', after + pageSize)
      .orderBy('seq', 'asc');
    if (isPg) {
      const rows = (await q.options({ rowMode: 'array' })) as any[][];
      return rows.map(verifyRowOfArray);
    }
    return ((await q) as EventRow[]).map(verifyRowOfObject);
  };
  const inFlight: Promise<VerifyRow[]>[] = [];
  let nextAfter = 0;
  const refill = () => {
    while (inFlight.length < 2 && nextAfter < maxSeq) {
      const p = fetchPage(nextAfter);
      // Handled here too, so a page nobody awaits (verify stopped early) cannot go unhandled.
      p.catch(() => {});
      inFlight.push(p);
      nextAfter += pageSize;
    }
  };
  refill();
  while (inFlight.length) {
    signal?.throwIfAborted();
    const rows = await inFlight.shift()!;
    refill();
    if (rows.length) yield rows;
  }
}

/**
 * Walks pages of rows in seq order from seq 1 and checks every record's
 * content hash, its link to the previous record, the gaplessness of seq,
 * and every checkpoint's hash and signature. Stops at the first broken
 * record.
 *
 * @public
 */
export async function verifyChain(options: {
  pages: AsyncIterable<VerifyRow[]>;
  checkpoints: AuditCheckpoint[];
  signer: CheckpointSigner;
  headSeq?: number;
}): Promise<AuditVerifyResult> {
  const { checkpoints, signer } = options;
  const cpBySeq = new Map(checkpoints.map(c => [c.seq, c]));
  let expected = 1;
  let prev = AUDIT_GENESIS_HASH;
  let checked = 0;
  let head: AuditVerifyResult['head'];
  let firstBroken: AuditVerifyResult['firstBroken'];
  let lastCheckpoint: AuditVerifyResult['lastCheckpoint'];

  /** Checks one row; returns why it is broken, or undefined. */
  const check = (row: VerifyRow): Broken | undefined => {
    const seq = row.seq;
    if (seq !== expected) {
      return seq > expected
        ? findings.gap(expected, seq)
        : findings.outOfOrder(seq);
    }
    const contentHash = row.computedContentHash;
    if (contentHash !== row.content_hash) return findings.content(seq);
    if (row.prev_hash !== prev) return findings.link(seq);
    const hash = chainHashOf(prev, contentHash);
    if (hash !== row.hash) return findings.hash(seq);
    const cp = cpBySeq.get(seq);
    if (cp) {
      const c = checkCheckpoint(cp, hash, signer);
      lastCheckpoint = { seq, at: cp.at, valid: c.valid };
      if (c.broken) return c.broken;
    }
    prev = hash;
    checked += 1;
    expected += 1;
    head = { seq, hash, at: row.at };
    return undefined;
  };

  for await (const rows of options.pages) {
    for (const row of rows) {
      firstBroken = check(row);
      if (firstBroken) break;
    }
    if (firstBroken) break;
  }

  firstBroken ??= tailFinding(expected, checkpoints, options.headSeq);
  return {
    ok: !firstBroken,
    checked,
    ...(head ? { head } : {}),
    ...(firstBroken ? { firstBroken } : {}),
    ...(lastCheckpoint ? { lastCheckpoint } : {}),
  };
}

/** A page's summary from a verify worker (workers/verifyWorker.cjs). */
interface PageSummary {
  after: number;
  count: number;
  firstSeq?: number;
  firstPrev?: string;
  lastSeq?: number;
  lastHash?: string;
  lastAt?: string;
  cpHashes: Array<[number, string]>;
  problem?: {
    seq: number;
    kind: 'gap' | 'content' | 'link' | 'hash';
    next?: number;
  };
}

/** What a worker needs to open its own connection, or undefined when it cannot. */
function workerDatabase(
  knex: Knex,
): { client: string; connection: unknown } | undefined {
  const config = knex.client.config as Knex.Config;
  const client = String(config.client);
  const connection = config.connection;
  if (!connection || typeof connection === 'function') return undefined;
  if (client !== 'pg' && client !== 'better-sqlite3') return undefined;
  if (client === 'better-sqlite3') {
    const filename = (connection as { filename?: string }).filename;
    if (!filename || filename === ':memory:' || filename.startsWith('file:')) {
      return undefined;
    }
  }
  try {
    return { client, connection: structuredClone(connection) };
  } catch {
    return undefined;
  }
}

/**
 * The same walk with the reading and hashing split across worker threads,
 * each with its own connection and every other page; this thread stitches
 * the pages in order (gaps and links between pages, checkpoints).
 */
async function verifyParallel(options: {
  database: { client: string; connection: unknown };
  maxSeq: number;
  pageSize: number;
  workers: number;
  checkpoints: AuditCheckpoint[];
  signer: CheckpointSigner;
  headSeq?: number;
  signal?: AbortSignal;
}): Promise<AuditVerifyResult> {
  const { maxSeq, pageSize, checkpoints, signer } = options;
  const starts: number[] = [];
  for (let after = 0; after < maxSeq; after += pageSize) starts.push(after);
  const results = new Map<
    number,
    {
      promise: Promise<PageSummary>;
      resolve: (s: PageSummary) => void;
      reject: (e: Error) => void;
    }
  >();
  for (const after of starts) {
    let resolve!: (s: PageSummary) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<PageSummary>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {});
    results.set(after, { promise, resolve, reject });
  }
  const failAll = (e: Error) => {
    for (const r of results.values()) r.reject(e);
  };
  const script = resolvePackagePath(
    '@fincloud/plugin-audit-node',
    'workers/verifyWorker.cjs',
  );
  const workers = Array.from(
    { length: Math.min(options.workers, starts.length) },
    (_, w) => {
      const worker = new Worker(script, {
        workerData: {
          ...options.database,
          pages: starts.filter((_s, i) => i % options.workers === w),
          pageSize,
          checkpointSeqs: checkpoints.map(c => c.seq),
        },
        // The worker is plain JavaScript; no TypeScript loader needed.
        execArgv: [],
      });
      worker.on('message', (m: { summary?: PageSummary; error?: string }) => {
        if (m.summary) results.get(m.summary.after)?.resolve(m.summary);
        if (m.error) failAll(new Error(`verify worker failed: ${m.error}`));
      });
      worker.on('error', e => failAll(e as Error));
      return worker;
    },
  );

  const cpBySeq = new Map(checkpoints.map(c => [c.seq, c]));
  let expected = 1;
  let prev = AUDIT_GENESIS_HASH;
  let checked = 0;
  let head: AuditVerifyResult['head'];
  let firstBroken: Broken | undefined;
  let lastCheckpoint: AuditVerifyResult['lastCheckpoint'];

  try {
    for (const after of starts) {
      options.signal?.throwIfAborted();
      const s = await results.get(after)!.promise;
      if (s.firstSeq === undefined) continue; // no rows in this range at all
      const first = s.firstSeq!;
      if (first !== expected) {
        firstBroken =
          first > expected
            ? findings.gap(expected, first)
            : findings.outOfOrder(first);
        break;
      }
      // At the page's first record the content is checked before its link, as in the walk.
      if (s.problem?.seq === first && s.problem.kind === 'content') {
        firstBroken = findings.content(first);
        break;
      }
      if (s.firstPrev !== prev) {
        firstBroken = findings.link(first);
        break;
      }
      const until = s.problem ? s.problem.seq : Infinity;
      for (const [seq, hash] of s.cpHashes) {
        if (seq >= until) break;
        const cp = cpBySeq.get(seq)!;
        const c = checkCheckpoint(cp, hash, signer);
        lastCheckpoint = { seq, at: cp.at, valid: c.valid };
        if (c.broken) {
          firstBroken = c.broken;
          break;
        }
      }
      if (firstBroken) {
        checked += firstBroken.seq - first;
        break;
      }
      checked += s.count;
      if (s.count) {
        head = { seq: s.lastSeq!, hash: s.lastHash!, at: s.lastAt! };
        prev = s.lastHash!;
        expected = s.lastSeq! + 1;
      }
      if (s.problem) {
        const p = s.problem;
        if (p.kind === 'gap') firstBroken = findings.gap(p.seq, p.next!);
        else if (p.kind === 'content') firstBroken = findings.content(p.seq);
        else if (p.kind === 'link') firstBroken = findings.link(p.seq);
        else firstBroken = findings.hash(p.seq);
        break;
      }
    }
  } finally {
    await Promise.all(workers.map(w => w.terminate()));
  }

  firstBroken ??= tailFinding(expected, checkpoints, options.headSeq);
  return {
    ok: !firstBroken,
    checked,
    ...(head ? { head } : {}),
    ...(firstBroken ? { firstBroken } : {}),
    ...(lastCheckpoint ? { lastCheckpoint } : {}),
  };
}

/** Chains at least this long are verified by worker threads when the database allows and the machine has 4+ cores. */
export const AUDIT_PARALLEL_VERIFY_MIN_RECORDS = 100_000;

/**
 * Verifies the audit trail straight from its tables (read only): the
 * store's `verify`, the CLI and the scheduled check use it. Long chains on
 * Postgres or an SQLite file are read and hashed by two worker threads on
 * machines with 4+ cores (`parallel: 'auto'`); `true` / `false` force
 * either walk.
 *
 * @public
 */
export async function verifyAuditTrail(
  knex: Knex,
  signer: CheckpointSigner,
  options?: {
    signal?: AbortSignal;
    pageSize?: number;
    parallel?: boolean | 'auto';
    workers?: number;
  },
): Promise<AuditVerifyResult> {
  const checkpoints = (
    (await knex<CheckpointRow>('audit_checkpoints').orderBy(
      'seq',
      'asc',
    )) as CheckpointRow[]
  ).map(rowToCheckpoint);
  const headRow = (await knex<HeadRow>('audit_head')
    .where({ id: 1 } as any)
    .first()) as HeadRow | undefined;
  const headSeq = headRow ? Number(headRow.seq) : undefined;
  const top = (await knex('audit_events').max({ max: 'seq' }).first()) as
    | { max: unknown }
    | undefined;
  const maxSeq = Number(top?.max ?? 0);
  const parallel = options?.parallel ?? 'auto';
  const database = workerDatabase(knex);
  // Worth it only with cores to spare: on two cores the database server and
  // this thread already keep both busy (see the audit backend's figures).
  const spareCores = os.availableParallelism() >= 4;
  if (
    database &&
    (parallel === true ||
      (parallel === 'auto' &&
        spareCores &&
        maxSeq >= AUDIT_PARALLEL_VERIFY_MIN_RECORDS))
  ) {
    return verifyParallel({
      database,
      maxSeq,
      pageSize: options?.pageSize ?? 20_000,
      workers: options?.workers ?? 2,
      checkpoints,
      signer,
      headSeq,
      signal: options?.signal,
    });
  }
  return verifyChain({
    pages: verifyPages(
      knex,
      maxSeq,
      options?.pageSize ?? 10_000,
      options?.signal,
    ),
    checkpoints,
    signer,
    headSeq,
  });
}
