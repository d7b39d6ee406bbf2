/**
 * How much an audited action matters. `high` and `critical` events are
 * written durably before the action proceeds (fail-closed); `low` and
 * `medium` events are buffered and delivered without loss.
 *
 * @public
 */
export type AuditSeverity = 'low' | 'medium' | 'high' | 'critical';

/**
 * Where one audited action is: `initiated` when it starts, then `succeeded`
 * or `failed`. The three records of one action share a `correlationId`.
 *
 * @public
 */
export type AuditStatus = 'initiated' | 'succeeded' | 'failed';

/** All severities, lowest first. @public */
export const AUDIT_SEVERITIES: readonly AuditSeverity[] = [
  'low',
  'medium',
  'high',
  'critical',
];

/** All statuses. @public */
export const AUDIT_STATUSES: readonly AuditStatus[] = [
  'initiated',
  'succeeded',
  'failed',
];

/**
 * One record of the audit trail, as stored and as returned by the API.
 *
 * @public
 */
export interface AuditRecord {
  /** Gapless, strictly increasing position in the chain, from 1. */
  seq: number;
  /** Unique id of this record (a UUID). */
  id: string;
  /** When the record was created, ISO 8601 UTC with milliseconds. */
  at: string;
  /** The plugin that emitted the event, e.g. `catalog`, `releases`. */
  plugin: string;
  /** The event id within that plugin, kebab-case, e.g. `entity-mutate`. */
  eventId: string;
  severity: AuditSeverity;
  status: AuditStatus;
  /** Who acted: a user (ref = user entity ref), a service (ref = subject) or nobody. */
  actor: { type: 'user' | 'service' | 'none'; ref?: string };
  /** The catalog entity the action concerns, when there is one. */
  entityRef?: string;
  request?: { method: string; path: string; ip?: string };
  /** Event details, with secrets redacted before hashing. */
  meta: Record<string, unknown>;
  /** The error message of a `failed` record. */
  error?: string;
  /** Links the initiated / succeeded / failed records of one event. */
  correlationId: string;
  /** SHA-256 (hex) of this record's canonical form, which includes prevHash. */
  hash: string;
  /** The previous record's hash (the genesis value for seq 1). */
  prevHash: string;
}

/**
 * Filters of `GET /api/audit/events` and of the export. All are optional;
 * those given are combined with AND.
 *
 * @public
 */
export interface AuditQuery {
  /** Events concerning this entity (full ref, e.g. `component:default/payment-gateway`). */
  entityRef?: string;
  /** Events by this actor (user entity ref or service subject). */
  actor?: string;
  eventId?: string;
  plugin?: string;
  severity?: AuditSeverity[];
  status?: AuditStatus[];
  /** Inclusive lower bound on `at`, ISO 8601. */
  from?: string;
  /** Exclusive upper bound on `at`, ISO 8601. */
  to?: string;
  /** Free text, matched case-insensitively inside meta, error and event id. */
  q?: string;
  /** Page size, 1..500, default 50. */
  limit?: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
}

/**
 * One page of events, newest first.
 *
 * @public
 */
export interface AuditPage {
  items: AuditRecord[];
  /** Present when there are more (older) events; pass it back as `cursor`. */
  nextCursor?: string;
}

/**
 * The result of walking the chain.
 *
 * @public
 */
export interface AuditVerifyResult {
  /** True when every record and every checkpoint checked out. */
  ok: boolean;
  /** How many records were checked. */
  checked: number;
  /** The newest record. */
  head?: { seq: number; hash: string; at: string };
  /** The first record that failed, and why (hash mismatch, broken link, gap, bad checkpoint). */
  firstBroken?: { seq: number; reason: string };
  /** The newest signed checkpoint and whether its signature and hash matched. */
  lastCheckpoint?: { seq: number; at: string; valid: boolean };
}

/** Largest page size of the events API. @public */
export const AUDIT_MAX_PAGE_SIZE = 500;
/** Default page size of the events API. @public */
export const AUDIT_DEFAULT_PAGE_SIZE = 50;
/** Formats of the export route. @public */
export type AuditExportFormat = 'csv' | 'jsonl';
