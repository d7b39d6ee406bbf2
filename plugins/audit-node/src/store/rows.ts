import { AuditRecord } from '@fincloud/plugin-audit-common';
import { AuditRecordContent } from '../chain/canonical';
import { AuditCheckpoint, CheckpointAlgorithm } from '../chain/signer';
import { searchTextOf } from './prepare';

/** A row of `audit_events`. */
export interface EventRow {
  seq: number | string;
  id: string;
  at: string;
  plugin: string;
  event_id: string;
  severity: string;
  status: string;
  actor_type: string;
  actor_ref: string | null;
  entity_ref: string | null;
  request_method: string | null;
  request_path: string | null;
  request_ip: string | null;
  meta: string;
  error: string | null;
  correlation_id: string;
  content_hash: string;
  prev_hash: string;
  hash: string;
  search_text?: string;
}

export interface HeadRow {
  seq: number | string;
  hash: string;
  checkpoint_seq: number | string;
  checkpoint_at: string | null;
}

export interface CheckpointRow {
  seq: number | string;
  at: string;
  hash: string;
  algorithm: string;
  key_id: string;
  signature: string;
}

/** Columns a verify or an export reads (everything but the search index). */
export const EVENT_COLUMNS = [
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
] as const;

export function contentToRow(
  c: AuditRecordContent,
  contentHash: string,
  prevHash: string,
  hash: string,
): EventRow {
  return {
    seq: c.seq,
    id: c.id,
    at: c.at,
    plugin: c.plugin,
    event_id: c.eventId,
    severity: c.severity,
    status: c.status,
    actor_type: c.actorType,
    actor_ref: c.actorRef,
    entity_ref: c.entityRef,
    request_method: c.requestMethod,
    request_path: c.requestPath,
    request_ip: c.requestIp,
    meta: c.meta,
    error: c.error,
    correlation_id: c.correlationId,
    content_hash: contentHash,
    prev_hash: prevHash,
    hash,
    search_text: searchTextOf(c),
  };
}

export function rowToContent(r: EventRow): AuditRecordContent {
  return {
    seq: Number(r.seq),
    id: r.id,
    at: r.at,
    plugin: r.plugin,
    eventId: r.event_id,
    severity: r.severity,
    status: r.status,
    actorType: r.actor_type,
    actorRef: r.actor_ref,
    entityRef: r.entity_ref,
    requestMethod: r.request_method,
    requestPath: r.request_path,
    requestIp: r.request_ip,
    meta: r.meta,
    error: r.error,
    correlationId: r.correlation_id,
  };
}

function parseMeta(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : { value: v };
  } catch {
    return { _unparsable: text };
  }
}

export function rowToRecord(r: EventRow): AuditRecord {
  return {
    seq: Number(r.seq),
    id: r.id,
    at: r.at,
    plugin: r.plugin,
    eventId: r.event_id,
    severity: r.severity as AuditRecord['severity'],
    status: r.status as AuditRecord['status'],
    actor: {
      type: r.actor_type as AuditRecord['actor']['type'],
      ...(r.actor_ref !== null ? { ref: r.actor_ref } : {}),
    },
    ...(r.entity_ref !== null ? { entityRef: r.entity_ref } : {}),
    ...(r.request_method !== null || r.request_path !== null
      ? {
          request: {
            method: r.request_method ?? '',
            path: r.request_path ?? '',
            ...(r.request_ip !== null ? { ip: r.request_ip } : {}),
          },
        }
      : {}),
    meta: parseMeta(r.meta),
    ...(r.error !== null ? { error: r.error } : {}),
    correlationId: r.correlation_id,
    hash: r.hash,
    prevHash: r.prev_hash,
  };
}

export function rowToCheckpoint(r: CheckpointRow): AuditCheckpoint {
  return {
    seq: Number(r.seq),
    at: r.at,
    hash: r.hash,
    algorithm: r.algorithm as CheckpointAlgorithm,
    keyId: r.key_id,
    signature: r.signature,
  };
}

export function rowToExportRecord(
  r: EventRow,
): import('./types').AuditExportRecord {
  return {
    seq: Number(r.seq),
    id: r.id,
    at: r.at,
    plugin: r.plugin,
    eventId: r.event_id,
    severity: r.severity,
    status: r.status,
    actorType: r.actor_type,
    actorRef: r.actor_ref,
    entityRef: r.entity_ref,
    requestMethod: r.request_method,
    requestPath: r.request_path,
    requestIp: r.request_ip,
    meta: parseMeta(r.meta),
    error: r.error,
    correlationId: r.correlation_id,
    contentHash: r.content_hash,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
