import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Knex } from 'knex';
import {
  DatabaseService,
  LoggerService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  InputError,
  ServiceUnavailableError,
  stringifyError,
} from '@backstage/errors';
import {
  AUDIT_DEFAULT_PAGE_SIZE,
  AUDIT_MAX_PAGE_SIZE,
  AuditPage,
  AuditQuery,
  AuditVerifyResult,
} from '@fincloud/plugin-audit-common';
import {
  AUDIT_GENESIS_HASH,
  chainHashOf,
  contentHashOf,
} from '../chain/canonical';
import { AuditCheckpoint, CheckpointSigner } from '../chain/signer';
import { prepareRecord } from './prepare';
import {
  CheckpointRow,
  EVENT_COLUMNS,
  EventRow,
  HeadRow,
  contentToRow,
  rowToCheckpoint,
  rowToExportRecord,
  rowToRecord,
} from './rows';
import { Spool, SpoolSegment } from './Spool';
import { verifyAuditTrail } from './verify';
import {
  AuditArchive,
  AuditEventInput,
  AuditExportItem,
  AuditExportOptions,
  AuditStore,
  AuditWriterStatus,
  PreparedRecord,
} from './types';

const migrationsDir = resolvePackagePath(
  '@fincloud/plugin-audit-node',
  'migrations',
);

/** The message of the error a refused high/critical event raises. @public */
export const AUDIT_UNAVAILABLE_MESSAGE =
  'audit trail unavailable; action refused';

/**
 * Tuning and wiring of a {@link DatabaseAuditStore}.
 *
 * @public
 */
export interface DatabaseAuditStoreOptions {
  database: DatabaseService | Knex;
  logger: LoggerService;
  signer: CheckpointSigner;
  /** Sign a checkpoint at least every this many records (default 1000). */
  checkpointEvery?: number;
  /** ... or when the newest checkpoint is older than this (default 60 s). */
  checkpointIntervalMs?: number;
  /** Directory of the local spool; without it low/medium events live in memory only (tests). */
  spoolDirectory?: string;
  /** Most buffered low/medium events held in memory (default 50 000); beyond, they wait in the spool. */
  maxQueuedEvents?: number;
  /** Most records per database transaction (default 500). */
  batchSize?: number;
  /** First retry delay after a failed write (default 200 ms), doubling up to retryMaxMs. */
  retryInitialMs?: number;
  /** Longest retry delay (default 5 s). */
  retryMaxMs?: number;
  /** A high/critical event not committed within this time is refused (default 5 s). */
  failClosedTimeoutMs?: number;
  /** A write transaction taking longer is treated as failed (default 10 s). */
  commitTimeoutMs?: number;
  /** Replaying the spool at start waits at most this long before serving (default 30 s). */
  startupReplayTimeoutMs?: number;
  clock?: () => Date;
}

interface Pending {
  rec: PreparedRecord;
  /** May already be in the table (replayed, retried, or with a caller's id): check ids first. */
  maybeDuplicate: boolean;
  /** Spool segment the record was written to by this process. */
  seg?: SpoolSegment;
  /** Segment being replayed that this record was read from. */
  replay?: ReplayState;
  /** Failures of this record alone while the database answered and took other records. */
  strikes?: number;
  strikeMark?: number;
  durable?: {
    resolve: () => void;
    reject: (e: Error) => void;
    /** The outcome of a high event: on failure spool it rather than reject. */
    fallbackToSpool: boolean;
    timer?: NodeJS.Timeout;
    taken: boolean;
  };
}

interface ReplayState {
  seg: SpoolSegment;
  remaining: number;
}

/** A FIFO with O(1) push / shift / unshift-many. */
class Queue<T> {
  private items: T[] = [];
  private head = 0;
  get length() {
    return this.items.length - this.head;
  }
  push(item: T) {
    this.items.push(item);
  }
  take(n: number): T[] {
    const out = this.items.slice(this.head, this.head + n);
    this.head += out.length;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }
  putBack(front: T[]) {
    if (!front.length) return;
    this.items = front.concat(this.items.slice(this.head));
    this.head = 0;
  }
  remove(item: T): boolean {
    const i = this.items.indexOf(item, this.head);
    if (i < 0) return false;
    this.items.splice(i, 1);
    return true;
  }
}

function isHigh(severity: string) {
  return severity === 'high' || severity === 'critical';
}

/**
 * knex puts the whole statement, values included, in front of the
 * database's message; keep the database's message (and the error code).
 */
function databaseError(e: unknown): Error {
  // Duck-typed: a native driver may raise errors of another realm's Error class.
  const message = (e as { message?: unknown })?.message;
  if (typeof message !== 'string') return new Error(String(e));
  const m =
    /^\s*(insert|select|update|delete|with|begin|commit)\b[\s\S]* - ([^\n]*)$/i.exec(
      message,
    );
  const clean = new Error(m ? m[2] : message);
  clean.name = String((e as { name?: unknown }).name ?? 'Error');
  (clean as { code?: unknown }).code = (e as { code?: unknown }).code;
  return clean;
}

/**
 * Errors about a record's data (Postgres classes 22 data exception and 23
 * integrity constraint; SQLite constraint, too big, mismatch, range), as
 * opposed to the database being unavailable.
 */
export function isDataError(error: unknown): boolean {
  const code = String((error as { code?: unknown })?.code ?? '');
  if (/^(22|23)[0-9A-Z]{3}$/.test(code)) return true;
  return /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH|RANGE)/.test(code);
}

function escapeLike(text: string) {
  return text.replace(/[\\%_]/g, m => `\\${m}`);
}

export function encodeCursor(seq: number): string {
  return Buffer.from(JSON.stringify({ v: 1, before: seq }), 'utf8').toString(
    'base64url',
  );
}

export function decodeCursor(cursor: string): number {
  try {
    const parsed = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    );
    if (
      parsed?.v === 1 &&
      Number.isSafeInteger(parsed.before) &&
      parsed.before > 0
    ) {
      return parsed.before;
    }
  } catch {
    // fall through
  }
  throw new InputError('Invalid cursor');
}

/**
 * The audit store on knex (Postgres or SQLite): an append-only hash chain
 * with gapless sequence numbers assigned under a lock on one head row, a
 * group-committing writer, a local durable spool and signed checkpoints.
 *
 * @public
 */
export class DatabaseAuditStore implements AuditStore {
  private readonly highs = new Queue<Pending>();
  private readonly lows = new Queue<Pending>();
  private readonly replayBuf = new Queue<Pending>();
  private replayLoaded?: ReplayState;
  private overflow = false;
  private failures = 0;
  private lastError?: string;
  private backoffUntil = 0;
  private stopped = false;
  private wake?: () => void;
  private loopDone?: Promise<void>;
  private idleWaiters: Array<() => void> = [];
  private inFlight = 0;
  private commits = 0;
  private committedSinceCheckpoint = false;
  private lastCheckpointCheck = Date.now();
  private lastWarn = 0;

  private readonly checkpointEvery: number;
  private readonly checkpointIntervalMs: number;
  private readonly maxQueued: number;
  private readonly batchSize: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly failClosedTimeoutMs: number;
  private readonly commitTimeoutMs: number;
  private readonly now: () => Date;
  private readonly isPg: boolean;

  private constructor(
    private readonly knex: Knex,
    private readonly logger: LoggerService,
    private readonly signer: CheckpointSigner,
    private readonly spool: Spool | undefined,
    options: DatabaseAuditStoreOptions,
  ) {
    this.checkpointEvery = options.checkpointEvery ?? 1000;
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? 60_000;
    this.maxQueued = options.maxQueuedEvents ?? 50_000;
    this.batchSize = Math.min(options.batchSize ?? 500, 2000);
    this.retryInitialMs = options.retryInitialMs ?? 200;
    this.retryMaxMs = options.retryMaxMs ?? 5000;
    this.failClosedTimeoutMs = options.failClosedTimeoutMs ?? 5000;
    this.commitTimeoutMs = options.commitTimeoutMs ?? 10_000;
    this.now = options.clock ?? (() => new Date());
    this.isPg = String(knex.client.config.client).includes('pg');
  }

  /**
   * Runs the migrations (unless skipped), opens the spool, replays what an
   * earlier run left in it (idempotently, before any new event) and starts
   * the writer.
   */
  static async create(
    options: DatabaseAuditStoreOptions,
  ): Promise<DatabaseAuditStore> {
    const { database } = options;
    let knex: Knex;
    let skipMigrations = false;
    if ('getClient' in database) {
      knex = await database.getClient();
      skipMigrations = Boolean(database.migrations?.skip);
    } else {
      knex = database;
    }
    if (!skipMigrations) {
      await knex.migrate.latest({
        directory: migrationsDir,
        tableName: 'audit_knex_migrations',
      });
    }
    const spool = options.spoolDirectory
      ? Spool.open(options.spoolDirectory)
      : undefined;
    const store = new DatabaseAuditStore(
      knex,
      options.logger,
      options.signer,
      spool,
      options,
    );
    if (spool?.hasReplayWork()) {
      store.overflow = true;
      options.logger.info(
        `Replaying the audit spool left by an earlier run in ${spool.directory}`,
      );
    }
    store.loopDone = store.run();
    if (spool?.hasReplayWork()) {
      try {
        await store.flush({
          timeoutMs: options.startupReplayTimeoutMs ?? 30_000,
        });
      } catch (e) {
        options.logger.warn(
          `The audit spool could not be replayed yet (${stringifyError(
            e,
          )}); it stays on disk and is retried in the background`,
        );
      }
    }
    return store;
  }

  // ------------------------------------------------------------------ writes

  async append(event: AuditEventInput): Promise<void> {
    if (this.stopped) {
      throw new ServiceUnavailableError(
        `${AUDIT_UNAVAILABLE_MESSAGE} (the audit store is shutting down)`,
      );
    }
    const rec = prepareRecord(event, this.now);
    const maybeDuplicate = event.id !== undefined;
    if (isHigh(rec.severity)) {
      return this.appendDurable(rec, maybeDuplicate, false);
    }
    this.appendBuffered(rec, maybeDuplicate);
    return undefined;
  }

  async appendOutcome(event: AuditEventInput): Promise<void> {
    const rec = prepareRecord(event, this.now);
    if (isHigh(rec.severity)) {
      return this.appendDurable(rec, event.id !== undefined, true);
    }
    this.appendBuffered(rec, event.id !== undefined);
    return undefined;
  }

  private appendBuffered(rec: PreparedRecord, maybeDuplicate: boolean) {
    if (this.overflow || this.lows.length >= this.maxQueued) {
      if (!this.spool) {
        throw new ServiceUnavailableError(
          `${AUDIT_UNAVAILABLE_MESSAGE} (${this.lows.length} events wait for the database and no spool is configured)`,
        );
      }
      if (!this.overflow) {
        this.logger.warn(
          `Audit memory bound of ${this.maxQueued} buffered events reached; new events wait in the spool ${this.spool.directory}`,
        );
      }
      this.overflow = true;
      this.spool.write(rec, { dropped: true });
    } else {
      const seg = this.spool?.write(rec);
      this.lows.push({ rec, maybeDuplicate, seg });
    }
    this.signal();
  }

  private appendDurable(
    rec: PreparedRecord,
    maybeDuplicate: boolean,
    fallbackToSpool: boolean,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const item: Pending = {
        rec,
        maybeDuplicate,
        durable: { resolve, reject, fallbackToSpool, taken: false },
      };
      item.durable!.timer = setTimeout(() => {
        if (!item.durable!.taken && this.highs.remove(item)) {
          this.failDurable(
            item,
            new Error(
              `not committed within ${this.failClosedTimeoutMs} ms (${
                this.lastError ?? 'writer busy'
              })`,
            ),
          );
        }
      }, this.failClosedTimeoutMs);
      this.highs.push(item);
      this.signal();
    });
  }

  private failDurable(item: Pending, cause: Error) {
    const d = item.durable!;
    clearTimeout(d.timer);
    if (d.fallbackToSpool && this.spool) {
      try {
        const seg = this.spool.write(item.rec);
        this.spool.syncNow();
        this.lows.push({ rec: item.rec, maybeDuplicate: true, seg });
        this.logger.warn(
          `Audit outcome ${item.rec.plugin}.${item.rec.eventId} (${item.rec.status}) kept in the spool until the database is back: ${cause.message}`,
        );
        d.resolve();
        return;
      } catch (e) {
        this.logger.error(
          `Audit outcome could not be spooled either: ${stringifyError(e)}`,
        );
      }
    }
    d.reject(
      new ServiceUnavailableError(
        `${AUDIT_UNAVAILABLE_MESSAGE}: ${cause.message}`,
      ),
    );
  }

  private signal() {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private waitFor(ms: number | undefined): Promise<void> {
    return new Promise(resolve => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      // The writer idling never keeps a process alive on its own.
      if (ms !== undefined) timer = setTimeout(done, Math.max(0, ms)).unref();
      this.wake = done;
    });
  }

  private hasWork(): boolean {
    return (
      this.highs.length > 0 ||
      this.lows.length > 0 ||
      this.replayBuf.length > 0 ||
      Boolean(this.spool?.hasReplayWork()) ||
      (this.overflow && Boolean(this.spool))
    );
  }

  private async run(): Promise<void> {
    for (;;) {
      if (this.stopped && (this.failures > 0 || !this.hasWork())) break;
      if (!this.hasWork()) {
        this.notifyIdle();
        if (this.stopped) break;
        await this.maybeCheckpoint();
        if (this.hasWork() || this.stopped) continue;
        await this.waitFor(
          this.committedSinceCheckpoint ? this.checkpointIntervalMs : undefined,
        );
        continue;
      }
      const now = Date.now();
      const inBackoff = now < this.backoffUntil;
      if (inBackoff && this.highs.length === 0) {
        await this.waitFor(this.backoffUntil - now);
        continue;
      }
      if (!inBackoff && this.lows.length === 0 && this.replayBuf.length === 0) {
        this.loadReplay();
      }
      const batch: Pending[] = this.highs.take(this.batchSize);
      for (const h of batch) h.durable!.taken = true;
      if (!inBackoff && batch.length < this.batchSize) {
        const room = this.batchSize - batch.length;
        const fromLows = this.lows.take(room);
        batch.push(...fromLows);
        if (fromLows.length < room && this.lows.length === 0) {
          batch.push(...this.replayBuf.take(room - fromLows.length));
        }
      }
      if (batch.length === 0) {
        if (
          this.overflow &&
          !this.spool?.hasReplayWork() &&
          this.replayBuf.length === 0
        ) {
          // Overflow ended between two checks: nothing left to replay.
          this.loadReplay();
        }
        if (!this.hasWork()) continue;
        await this.waitFor(this.retryInitialMs);
        continue;
      }
      await this.attempt(batch);
    }
    this.notifyIdle();
  }

  /** Starts replaying the oldest spool segment that needs it, or ends overflow. */
  private loadReplay() {
    const spool = this.spool;
    if (!spool) return;
    if (this.replayLoaded) return;
    if (!spool.nextToReplay() && spool.currentSegment.dropped > 0) {
      spool.rotate();
    }
    const seg = spool.nextToReplay();
    if (!seg) {
      if (this.overflow && spool.currentSegment.dropped === 0) {
        this.overflow = false;
        this.logger.info('Audit spool replayed; buffering in memory again');
      }
      return;
    }
    const records = Spool.readRecords(seg.file);
    if (records.length === 0) {
      spool.finishReplay(seg);
      return;
    }
    const state: ReplayState = { seg, remaining: records.length };
    this.replayLoaded = state;
    for (const rec of records) {
      this.replayBuf.push({ rec, maybeDuplicate: true, replay: state });
    }
  }

  private async attempt(batch: Pending[]) {
    this.inFlight = batch.length;
    const sync = this.spool
      ? this.spool.sync().catch(e => {
          this.logger.error(`Audit spool fsync failed: ${stringifyError(e)}`);
        })
      : Promise.resolve();
    const { retry, error } = await this.commitOrIsolate(batch, 0);
    await sync;
    this.inFlight = 0;
    if (!error) {
      if (this.failures > 0) {
        this.logger.info(
          `Audit store reachable again after ${this.failures} failed writes`,
        );
      }
      this.failures = 0;
      this.lastError = undefined;
      this.backoffUntil = 0;
      return;
    }
    this.failures += 1;
    this.lastError = error.message;
    const delay = Math.min(
      this.retryMaxMs,
      this.retryInitialMs * 2 ** Math.min(this.failures - 1, 16),
    );
    this.backoffUntil = Date.now() + delay * (0.75 + Math.random() * 0.5);
    if (Date.now() - this.lastWarn > 10_000 || this.failures === 1) {
      this.lastWarn = Date.now();
      this.logger.warn(
        `Audit store write failed (${this.failures} in a row, ${
          this.lows.length + retry.length
        } events waiting, retry in ${delay} ms): ${this.lastError}`,
      );
    }
    const lows: Pending[] = [];
    const replays: Pending[] = [];
    for (const item of retry) {
      if (item.durable) {
        this.failDurable(item, error);
      } else {
        (item.replay ? replays : lows).push(item);
      }
    }
    this.lows.putBack(lows);
    this.replayBuf.putBack(replays);
  }

  /**
   * Commits a batch. When it fails although the database answers, the
   * batch itself is at fault: it is split to find the record the database
   * refuses, which is set aside after three tries (logged, written to
   * `rejected.jsonl` in the spool) so one bad record cannot stop the trail.
   */
  private async commitOrIsolate(
    batch: Pending[],
    depth: number,
  ): Promise<{ retry: Pending[]; error?: Error }> {
    try {
      await this.commitWithTimeout(batch);
      this.commits += 1;
      this.committedSinceCheckpoint = true;
      for (const item of batch) this.settleOk(item);
      return { retry: [] };
    } catch (e) {
      const error = databaseError(e);
      // The transaction may have committed before the failure was seen.
      for (const item of batch) item.maybeDuplicate = true;
      // Only an error about the data itself, from a database that answers, makes the batch
      // suspect; unavailability (connections, locks, timeouts) is retried as a whole.
      if (!isDataError(error) || !(await this.databaseAnswers())) {
        return { retry: batch, error };
      }
      if (batch.length > 1 && depth < 16) {
        const mid = batch.length >> 1;
        const left = await this.commitOrIsolate(batch.slice(0, mid), depth + 1);
        if (left.error && !isDataError(left.error)) {
          // The database went away meanwhile: keep the order, retry the rest later.
          return {
            retry: left.retry.concat(batch.slice(mid)),
            error: left.error,
          };
        }
        const right = await this.commitOrIsolate(batch.slice(mid), depth + 1);
        return {
          retry: left.retry.concat(right.retry),
          error: left.error ?? right.error,
        };
      }
      const item = batch[0];
      // A strike counts only when other records were committed since the last one: the
      // database demonstrably accepts writes, just not this record.
      if (batch.length === 1 && this.commits > (item.strikeMark ?? -1)) {
        item.strikes = (item.strikes ?? 0) + 1;
        item.strikeMark = this.commits;
      }
      if (batch.length > 1 || (item.strikes ?? 0) < 3)
        return { retry: batch, error };
      this.quarantine(item, error);
      return { retry: [] };
    }
  }

  private async commitWithTimeout(batch: Pending[]) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.commitBatch(batch),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `audit write took longer than ${this.commitTimeoutMs} ms`,
                ),
              ),
            this.commitTimeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async databaseAnswers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.knex.raw('select 1'),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), 2000);
        }),
      ]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private quarantine(item: Pending, error: Error) {
    this.logger.error(
      `Audit record ${item.rec.id} (${item.rec.plugin}.${item.rec.eventId}) is refused by the database and set aside: ${error.message}`,
    );
    if (this.spool) {
      try {
        fs.appendFileSync(
          path.join(this.spool.directory, 'rejected.jsonl'),
          `${JSON.stringify({ error: error.message, record: item.rec })}\n`,
          { mode: 0o600 },
        );
      } catch (e) {
        this.logger.error(
          `Could not write rejected.jsonl: ${stringifyError(e)}`,
        );
      }
    }
    if (item.durable) {
      clearTimeout(item.durable.timer);
      item.durable.reject(
        new ServiceUnavailableError(
          `${AUDIT_UNAVAILABLE_MESSAGE}: ${error.message}`,
        ),
      );
    }
    this.settleOk({ ...item, durable: undefined });
  }

  private settleOk(item: Pending) {
    if (item.durable) {
      clearTimeout(item.durable.timer);
      item.durable.resolve();
    }
    if (item.seg) this.spool?.markCommitted(item.seg);
    if (item.replay) {
      item.replay.remaining -= 1;
      if (item.replay.remaining === 0) {
        this.spool?.finishReplay(item.replay.seg);
        if (this.replayLoaded === item.replay) this.replayLoaded = undefined;
      }
    }
  }

  private async lockHead(tx: Knex.Transaction): Promise<{
    seq: number;
    hash: string;
    checkpointSeq: number;
    checkpointAt: string | null;
  }> {
    let q = tx<HeadRow>('audit_head')
      .where({ id: 1 } as any)
      .first();
    if (this.isPg) q = q.forUpdate();
    const head = (await q) as HeadRow | undefined;
    if (!head) throw new Error('audit_head row is missing');
    return {
      seq: Number(head.seq),
      hash: head.hash,
      checkpointSeq: Number(head.checkpoint_seq),
      checkpointAt: head.checkpoint_at,
    };
  }

  private async commitBatch(items: Pending[]): Promise<void> {
    await this.knex.transaction(async tx => {
      const head = await this.lockHead(tx);
      const existing = new Set<string>();
      const check = items.filter(i => i.maybeDuplicate).map(i => i.rec.id);
      for (let i = 0; i < check.length; i += 500) {
        const found = await tx('audit_events')
          .whereIn('id', check.slice(i, i + 500))
          .select('id');
        for (const r of found) existing.add(r.id);
      }
      let seq = head.seq;
      let prev = head.hash;
      const rows: EventRow[] = [];
      for (const item of items) {
        const id = item.rec.id;
        if (existing.has(id)) continue;
        existing.add(id);
        seq += 1;
        const content = { ...item.rec, seq };
        const contentHash = contentHashOf(content);
        const hash = chainHashOf(prev, contentHash);
        rows.push(contentToRow(content, contentHash, prev, hash));
        prev = hash;
      }
      if (rows.length === 0) return;
      // 20 columns a row: 400 rows stay below SQLite's 32 766 bind variables.
      for (let i = 0; i < rows.length; i += 400) {
        await tx('audit_events').insert(rows.slice(i, i + 400));
      }
      const at = this.now().toISOString();
      const checkpointAge = head.checkpointAt
        ? Date.parse(at) - Date.parse(head.checkpointAt)
        : Infinity;
      const update: Record<string, unknown> = { seq, hash: prev };
      if (
        this.signer.canSign() &&
        (seq - head.checkpointSeq >= this.checkpointEvery ||
          checkpointAge >= this.checkpointIntervalMs)
      ) {
        const cp = this.signer.sign({ seq, hash: prev, at });
        await tx('audit_checkpoints').insert(checkpointToRow(cp));
        update.checkpoint_seq = seq;
        update.checkpoint_at = at;
      }
      await tx('audit_head').where({ id: 1 }).update(update);
    });
  }

  private async maybeCheckpoint() {
    if (!this.committedSinceCheckpoint) return;
    if (Date.now() - this.lastCheckpointCheck < this.checkpointIntervalMs)
      return;
    this.lastCheckpointCheck = Date.now();
    try {
      await this.checkpointNow();
      this.committedSinceCheckpoint = false;
    } catch (e) {
      this.logger.warn(`Audit checkpoint failed: ${stringifyError(e)}`);
    }
  }

  async checkpointNow(): Promise<AuditCheckpoint | undefined> {
    if (!this.signer.canSign()) {
      throw new Error('No audit checkpoint signing key is configured');
    }
    return this.knex.transaction(async tx => {
      const head = await this.lockHead(tx);
      if (head.seq === 0) return undefined;
      if (head.checkpointSeq === head.seq) {
        const row = await tx<CheckpointRow>('audit_checkpoints')
          .where({ seq: head.seq } as any)
          .first();
        if (row) return rowToCheckpoint(row);
      }
      const at = this.now().toISOString();
      const cp = this.signer.sign({ seq: head.seq, hash: head.hash, at });
      await tx('audit_checkpoints').insert(checkpointToRow(cp));
      await tx('audit_head')
        .where({ id: 1 })
        .update({ checkpoint_seq: head.seq, checkpoint_at: at });
      return cp;
    });
  }

  private notifyIdle() {
    if (this.hasWork() || this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  async flush(options?: { timeoutMs?: number }): Promise<void> {
    if (!this.hasWork() && this.inFlight === 0) return;
    const timeoutMs = options?.timeoutMs ?? 30_000;
    await new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined = undefined;
      function done() {
        clearTimeout(timer);
        resolve();
      }
      timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter(w => w !== done);
        reject(
          new Error(
            `audit events not delivered within ${timeoutMs} ms (${
              this.lastError ?? 'still writing'
            })`,
          ),
        );
      }, timeoutMs);
      this.idleWaiters.push(done);
      this.signal();
    });
  }

  status(): AuditWriterStatus {
    return {
      queued: this.lows.length + this.highs.length + this.inFlight,
      spooledPending: this.spool?.pending() ?? 0,
      overflow: this.overflow,
      failures: this.failures,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  async stop(options?: { timeoutMs?: number }): Promise<void> {
    if (this.stopped) return;
    try {
      await this.flush({ timeoutMs: options?.timeoutMs ?? 10_000 });
    } catch (e) {
      this.logger.warn(
        `Audit store stopping with undelivered events; they stay in the spool: ${stringifyError(
          e,
        )}`,
      );
    }
    this.stopped = true;
    this.signal();
    await this.loopDone;
    for (const item of this.highs.take(Number.MAX_SAFE_INTEGER)) {
      this.failDurable(item, new Error('the audit store is shutting down'));
    }
    this.spool?.close();
  }

  // ------------------------------------------------------------------ reads

  private applyFilters(
    qb: Knex.QueryBuilder,
    q: Omit<AuditQuery, 'limit' | 'cursor'>,
  ): Knex.QueryBuilder {
    if (q.entityRef) qb.where('entity_ref', q.entityRef);
    if (q.actor) qb.where('actor_ref', q.actor);
    if (q.eventId) qb.where('event_id', q.eventId);
    if (q.plugin) qb.where('plugin', q.plugin);
    if (q.severity?.length) qb.whereIn('severity', q.severity);
    if (q.status?.length) qb.whereIn('status', q.status);
    if (q.from) qb.where('at', '>=', new Date(q.from).toISOString());
    if (q.to) qb.where('at', '<', new Date(q.to).toISOString());
    if (q.q) {
      qb.whereRaw(`search_text LIKE ? ESCAPE '\\'`, [
        `%${escapeLike(q.q.toLowerCase())}%`,
      ]);
    }
    return qb;
  }

  async query(query: AuditQuery): Promise<AuditPage> {
    const limit = Math.min(
      Math.max(1, Math.floor(query.limit ?? AUDIT_DEFAULT_PAGE_SIZE)),
      AUDIT_MAX_PAGE_SIZE,
    );
    const qb = this.knex<EventRow>('audit_events').select([...EVENT_COLUMNS]);
    this.applyFilters(qb, query);
    if (query.cursor) qb.where('seq', '<', decodeCursor(query.cursor));
    const rows = (await qb
      .orderBy('seq', 'desc')
      .limit(limit + 1)) as EventRow[];
    const items = rows.slice(0, limit).map(rowToRecord);
    return rows.length > limit
      ? { items, nextCursor: encodeCursor(items[items.length - 1].seq) }
      : { items };
  }

  async verify(options?: { signal?: AbortSignal }): Promise<AuditVerifyResult> {
    return verifyAuditTrail(this.knex, this.signer, options);
  }

  async *export(options: AuditExportOptions): AsyncGenerator<AuditExportItem> {
    const q = options.query;
    const checkpoint = options.checkpointFirst
      ? await this.checkpointNow()
      : undefined;
    const bounded = (qb: Knex.QueryBuilder) => {
      this.applyFilters(qb, q);
      if (options.fromSeq !== undefined) qb.where('seq', '>=', options.fromSeq);
      if (options.toSeq !== undefined) qb.where('seq', '<=', options.toSeq);
      if (checkpoint) qb.where('seq', '<=', checkpoint.seq);
      return qb;
    };
    const range = (await bounded(this.knex('audit_events'))
      .min({ first: 'seq' })
      .max({ last: 'seq' })
      .first()) as { first: unknown; last: unknown } | undefined;
    const first =
      range?.first === null || range?.first === undefined
        ? null
        : Number(range.first);
    const last =
      range?.last === null || range?.last === undefined
        ? null
        : Number(range.last);

    yield {
      type: 'header',
      format: 'fincloud-audit-export/1',
      exportedAt: this.now().toISOString(),
      genesis: AUDIT_GENESIS_HASH,
      canonical:
        'contentHash = sha256(JSON.stringify(["fincloud-audit/1", seq, id, at, plugin, eventId, severity, status, actorType, actorRef, entityRef, requestMethod, requestPath, requestIp, canonicalJson(meta), error, correlationId])); hash = sha256(prevHash + contentHash)',
      query: { ...q },
      fromSeq: first,
      toSeq: last,
    };
    if (first === null || last === null) {
      if (checkpoint) yield { type: 'checkpoint', ...checkpoint };
      yield { type: 'end', records: 0, links: 0 };
      return;
    }
    // The proof ends at the first checkpoint at or after the last record.
    const cpRow = (await this.knex<CheckpointRow>('audit_checkpoints')
      .where('seq', '>=', last)
      .orderBy('seq', 'asc')
      .first()) as CheckpointRow | undefined;
    const proofEnd = cpRow ? Number(cpRow.seq) : last;

    const anchor =
      first === 1
        ? AUDIT_GENESIS_HASH
        : (
            (await this.knex('audit_events')
              .where('seq', first - 1)
              .first('hash')) as { hash: string } | undefined
          )?.hash;
    yield {
      type: 'anchor',
      seq: first - 1,
      hash: anchor ?? 'missing',
    };

    let records = 0;
    let links = 0;
    const step = 2000;
    for (let from = first; from <= proofEnd; from += step) {
      const to = Math.min(proofEnd, from + step - 1);
      const matching: EventRow[] =
        from <= last
          ? await bounded(
              this.knex<EventRow>('audit_events').select([...EVENT_COLUMNS]),
            )
              .whereBetween('seq', [from, to])
              .orderBy('seq', 'asc')
          : [];
      const bySeq = new Map(matching.map(r => [Number(r.seq), r]));
      const all: Array<{ seq: number | string; content_hash: string }> =
        bySeq.size === to - from + 1
          ? matching.map(r => ({ seq: r.seq, content_hash: r.content_hash }))
          : await this.knex('audit_events')
              .select('seq', 'content_hash')
              .whereBetween('seq', [from, to])
              .orderBy('seq', 'asc');
      for (const r of all) {
        const seq = Number(r.seq);
        const full = bySeq.get(seq);
        if (full) {
          records += 1;
          yield { type: 'record', ...rowToExportRecord(full) };
        } else {
          links += 1;
          yield { type: 'link', seq, contentHash: r.content_hash };
        }
      }
    }
    if (cpRow) yield { type: 'checkpoint', ...rowToCheckpoint(cpRow) };
    yield { type: 'end', records, links };
  }

  async listArchives(): Promise<AuditArchive[]> {
    const rows = await this.knex('audit_archives').orderBy('from_seq', 'asc');
    return rows.map((r: any) => ({
      fromSeq: Number(r.from_seq),
      toSeq: Number(r.to_seq),
      anchorHash: r.anchor_hash,
      lastHash: r.last_hash,
      file: r.file,
      fileSha256: r.file_sha256,
      createdAt: r.created_at,
    }));
  }

  async archive(options: {
    olderThan: Date;
    directory: string;
    maxRecordsPerFile?: number;
  }): Promise<AuditArchive[]> {
    const max = options.maxRecordsPerFile ?? 100_000;
    const cutoff = options.olderThan.toISOString();
    fs.mkdirSync(options.directory, { recursive: true, mode: 0o700 });
    const written: AuditArchive[] = [];
    for (;;) {
      const lastArchived = await this.knex('audit_archives')
        .max({ to: 'to_seq' })
        .first();
      const start = lastArchived?.to ? Number(lastArchived.to) + 1 : 1;
      // Archive ranges are contiguous: stop at the first record that is young enough to keep.
      const firstYoung = await this.knex('audit_events')
        .where('seq', '>=', start)
        .where('at', '>=', cutoff)
        .min({ seq: 'seq' })
        .first();
      const headRow = (await this.knex<HeadRow>('audit_head')
        .where({ id: 1 } as any)
        .first()) as HeadRow;
      const limitSeq =
        firstYoung?.seq !== null && firstYoung?.seq !== undefined
          ? Number(firstYoung.seq) - 1
          : Number(headRow.seq);
      const end = Math.min(limitSeq, start + max - 1);
      if (end < start) break;
      const hasCheckpoint = await this.knex('audit_checkpoints')
        .where('seq', '>=', end)
        .first('seq');
      if (!hasCheckpoint) await this.checkpointNow();

      const file = path.join(
        options.directory,
        `audit-${String(start).padStart(12, '0')}-${String(end).padStart(
          12,
          '0',
        )}.jsonl`,
      );
      const tmp = `${file}.partial`;
      const fd = fs.openSync(tmp, 'w', 0o600);
      const digest = createHash('sha256');
      let anchorHash = '';
      let lastHash = '';
      try {
        for await (const item of this.export({
          query: {},
          fromSeq: start,
          toSeq: end,
        })) {
          if (item.type === 'anchor') anchorHash = item.hash;
          if (item.type === 'record') lastHash = item.hash;
          const line = Buffer.from(`${JSON.stringify(item)}\n`, 'utf8');
          digest.update(line);
          fs.writeSync(fd, line);
        }
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
      const dirFd = fs.openSync(options.directory, 'r');
      try {
        fs.fsyncSync(dirFd);
      } finally {
        fs.closeSync(dirFd);
      }
      const archive: AuditArchive = {
        fromSeq: start,
        toSeq: end,
        anchorHash,
        lastHash,
        file,
        fileSha256: digest.digest('hex'),
        createdAt: this.now().toISOString(),
      };
      await this.knex('audit_archives').insert({
        from_seq: archive.fromSeq,
        to_seq: archive.toSeq,
        anchor_hash: archive.anchorHash,
        last_hash: archive.lastHash,
        file: archive.file,
        file_sha256: archive.fileSha256,
        created_at: archive.createdAt,
      });
      written.push(archive);
    }
    return written;
  }
}

function checkpointToRow(cp: AuditCheckpoint): CheckpointRow {
  return {
    seq: cp.seq,
    at: cp.at,
    hash: cp.hash,
    algorithm: cp.algorithm,
    key_id: cp.keyId,
    signature: cp.signature,
  };
}
