import { randomUUID } from 'node:crypto';
import {
  AUDIT_SEVERITIES,
  AUDIT_STATUSES,
} from '@fincloud/plugin-audit-common';
import { canonicalJson, sha256Hex } from '../chain/canonical';
import { redact, redactPath, redactText } from '../chain/redact';
import { AuditEventInput, PreparedRecord } from './types';

/** Meta larger than this (canonical JSON, characters) is replaced by a digest and a preview. @public */
export const AUDIT_MAX_META_CHARS = 64 * 1024;

const LIMITS = {
  plugin: 128,
  eventId: 255,
  actorRef: 512,
  entityRef: 512,
  requestMethod: 16,
  requestPath: 4096,
  requestIp: 64,
  error: 8192,
};

/** Well-formed UTF-16 without NUL (Postgres text cannot hold it), cut to `max` characters. */
export function cleanText(value: string, max: number): string {
  let s = value
    .split('\u0000')
    .join('\uFFFD')
    .replace(
      /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      '\uFFFD',
    );
  if (s.length > max) {
    s = `${s.slice(0, max - 1)}…`;
    // do not leave half a surrogate pair at the cut
    s = s.replace(/[\uD800-\uDBFF]…$/, '…');
  }
  return s;
}

function optional(value: unknown, max: number): string | null {
  if (value === undefined || value === null || value === '') return null;
  return cleanText(String(value), max);
}

/**
 * Turns an event into the record that is hashed and stored: redaction,
 * canonical meta (size-capped), well-formed strings within column sizes.
 *
 * @public
 */
export function prepareRecord(
  input: AuditEventInput,
  now: () => Date = () => new Date(),
): PreparedRecord {
  if (!AUDIT_SEVERITIES.includes(input.severity)) {
    throw new TypeError(`Unknown audit severity '${input.severity}'`);
  }
  if (!AUDIT_STATUSES.includes(input.status)) {
    throw new TypeError(`Unknown audit status '${input.status}'`);
  }
  let at: string;
  if (input.at instanceof Date) at = input.at.toISOString();
  else if (typeof input.at === 'string') at = new Date(input.at).toISOString();
  else at = now().toISOString();

  let meta = canonicalJson(redact(input.meta ?? {}));
  if (meta === undefined || !meta.startsWith('{')) meta = '{}';
  if (meta.length > AUDIT_MAX_META_CHARS) {
    meta = canonicalJson({
      _truncated: true,
      _originalChars: meta.length,
      _sha256: sha256Hex(meta),
      preview: cleanText(meta.slice(0, 1024), 1024),
    });
  }
  const actorType =
    input.actor?.type === 'user' || input.actor?.type === 'service'
      ? input.actor.type
      : 'none';

  return {
    id: input.id ?? randomUUID(),
    at,
    plugin: cleanText(input.plugin || 'unknown', LIMITS.plugin),
    eventId: cleanText(input.eventId || 'unknown', LIMITS.eventId),
    severity: input.severity,
    status: input.status,
    actorType,
    actorRef: optional(input.actor?.ref, LIMITS.actorRef),
    // The catalog compares entity refs case-insensitively; store its comparison form.
    entityRef: optional(
      input.entityRef?.toLocaleLowerCase('en-US'),
      LIMITS.entityRef,
    ),
    requestMethod: optional(input.request?.method, LIMITS.requestMethod),
    requestPath: input.request?.path
      ? cleanText(redactPath(input.request.path), LIMITS.requestPath)
      : null,
    requestIp: optional(input.request?.ip, LIMITS.requestIp),
    meta,
    error:
      input.error === undefined || input.error === null
        ? null
        : cleanText(redactText(String(input.error)), LIMITS.error),
    correlationId: input.correlationId,
  };
}

/** The free-text index of a record: lower-cased event id, error and meta. */
export function searchTextOf(r: {
  eventId: string;
  error: string | null;
  meta: string;
}): string {
  return `${r.eventId}\n${r.error ?? ''}\n${r.meta}`.toLowerCase();
}
