import {
  AuditPage,
  AuditQuery,
  AuditSeverity,
  AuditStatus,
  AuditVerifyResult,
} from '@fincloud/plugin-audit-common';
import { AuditCheckpoint } from '../chain/signer';

/**
 * One event handed to the store. `id` and `at` default to a new UUID and
 * the current time.
 *
 * @public
 */
export interface AuditEventInput {
  id?: string;
  at?: Date | string;
  plugin: string;
  eventId: string;
  severity: AuditSeverity;
  status: AuditStatus;
  actor: { type: 'user' | 'service' | 'none'; ref?: string };
  entityRef?: string;
  request?: { method: string; path: string; ip?: string };
  meta?: Record<string, unknown>;
  error?: string;
  correlationId: string;
}

/**
 * A record as it is hashed, spooled and stored, before it has a place in
 * the chain: redacted, canonical, every string well-formed.
 *
 * @public
 */
export interface PreparedRecord {
  id: string;
  at: string;
  plugin: string;
  eventId: string;
  severity: AuditSeverity;
  status: AuditStatus;
  actorType: 'user' | 'service' | 'none';
  actorRef: string | null;
  entityRef: string | null;
  requestMethod: string | null;
  requestPath: string | null;
  requestIp: string | null;
  /** Canonical JSON of the redacted meta. */
  meta: string;
  error: string | null;
  correlationId: string;
}

/**
 * One line of an export or archive file (JSON Lines form).
 *
 * @public
 */
export type AuditExportItem =
  | {
      type: 'header';
      format: 'fincloud-audit-export/1';
      exportedAt: string;
      genesis: string;
      canonical: string;
      query: Record<string, unknown>;
      fromSeq: number | null;
      toSeq: number | null;
    }
  | { type: 'anchor'; seq: number; hash: string }
  | ({ type: 'record' } & AuditExportRecord)
  | { type: 'link'; seq: number; contentHash: string }
  | ({ type: 'checkpoint' } & AuditCheckpoint)
  | { type: 'end'; records: number; links: number };

/**
 * A record in an export: every hashed field as stored (absent values are
 * `null`, meta as an object whose canonical JSON is the hashed text) plus
 * its hashes.
 *
 * @public
 */
export interface AuditExportRecord {
  seq: number;
  id: string;
  at: string;
  plugin: string;
  eventId: string;
  severity: string;
  status: string;
  actorType: string;
  actorRef: string | null;
  entityRef: string | null;
  requestMethod: string | null;
  requestPath: string | null;
  requestIp: string | null;
  meta: Record<string, unknown>;
  error: string | null;
  correlationId: string;
  contentHash: string;
  prevHash: string;
  hash: string;
}

/** Options of an export. @public */
export interface AuditExportOptions {
  query: Omit<AuditQuery, 'limit' | 'cursor'>;
  /** Only records with seq ≥ fromSeq (retention archives use it). */
  fromSeq?: number;
  /** Only records with seq ≤ toSeq. */
  toSeq?: number;
  /** Write a checkpoint at the head first so the proof reaches a signature. */
  checkpointFirst?: boolean;
}

/** An archive range written by retention. @public */
export interface AuditArchive {
  fromSeq: number;
  toSeq: number;
  anchorHash: string;
  lastHash: string;
  file: string;
  fileSha256: string;
  createdAt: string;
}

/** What the writer is doing, for health checks and tests. @public */
export interface AuditWriterStatus {
  /** Buffered low/medium events held in memory. */
  queued: number;
  /** Events in the local spool not yet known to be in the database. */
  spooledPending: number;
  /** True while new low/medium events go to the spool only (memory bound hit or replay running). */
  overflow: boolean;
  /** Consecutive failed database writes (0 when healthy). */
  failures: number;
  lastError?: string;
}

/**
 * The audit store: a tamper-evident, append-only hash chain.
 *
 * @public
 */
export interface AuditStore {
  /**
   * Appends an event. For `high` and `critical` the record is committed to
   * the database before the promise resolves; when it cannot be, the
   * promise rejects with a `ServiceUnavailableError` and nothing is
   * written. For `low` and `medium` the record is written to the local
   * spool (durable against a killed process) and delivered to the
   * database in batches, with retries, in the background.
   */
  append(event: AuditEventInput): Promise<void>;
  /**
   * Like {@link AuditStore.append} for the outcome (succeeded / failed) of
   * a `high` or `critical` event, whose action has already happened: when
   * the database cannot be written the record goes to the fsynced spool
   * and is delivered later instead of failing.
   */
  appendOutcome(event: AuditEventInput): Promise<void>;
  query(query: AuditQuery): Promise<AuditPage>;
  verify(options?: { signal?: AbortSignal }): Promise<AuditVerifyResult>;
  export(options: AuditExportOptions): AsyncGenerator<AuditExportItem>;
  /** Signs a checkpoint at the current head (if it has none yet) and returns it. */
  checkpointNow(): Promise<AuditCheckpoint | undefined>;
  /** Archives records older than `olderThan` to JSON Lines files under `directory`. */
  archive(options: {
    olderThan: Date;
    directory: string;
    maxRecordsPerFile?: number;
  }): Promise<AuditArchive[]>;
  listArchives(): Promise<AuditArchive[]>;
  /** Resolves when every buffered event has reached the database. */
  flush(options?: { timeoutMs?: number }): Promise<void>;
  status(): AuditWriterStatus;
  /** Stops the writer after a best-effort flush; the spool keeps the rest. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}
