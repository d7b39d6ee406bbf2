import { InputError } from '@backstage/errors';
import {
  AUDIT_DEFAULT_PAGE_SIZE,
  AUDIT_MAX_PAGE_SIZE,
  AUDIT_SEVERITIES,
  AUDIT_STATUSES,
  AuditExportFormat,
  AuditQuery,
  AuditSeverity,
  AuditStatus,
} from '@fincloud/plugin-audit-common';
import { z } from 'zod';
import { decodeCursor } from '@fincloud/plugin-audit-node';

const FILTER_KEYS = [
  'entityRef',
  'actor',
  'eventId',
  'plugin',
  'severity',
  'status',
  'from',
  'to',
  'q',
] as const;

const ENTITY_REF =
  /^[a-z0-9][a-z0-9._-]*:[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/;

const isoDate = z
  .string()
  .max(40)
  .refine(v => /^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(Date.parse(v)), {
    message: 'must be an ISO 8601 date or date-time',
  })
  .transform(v => new Date(v).toISOString());

function listOf<T extends string>(allowed: readonly T[], name: string) {
  return z
    .string()
    .max(100)
    .transform((v, ctx) => {
      const items = v
        .split(',')
        .map(s => s.trim())
        .filter(Boolean);
      const bad = items.filter(i => !allowed.includes(i as T));
      if (bad.length) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown ${name} ${bad
            .map(b => `'${b}'`)
            .join(', ')}; expected one of ${allowed.join(', ')}`,
        });
        return z.NEVER;
      }
      return [...new Set(items)] as T[];
    });
}

const filterSchema = z.object({
  entityRef: z
    .string()
    .max(512)
    .transform(v => v.toLocaleLowerCase('en-US'))
    .refine(v => ENTITY_REF.test(v), {
      message: "must be a full entity ref 'kind:namespace/name'",
    })
    .optional(),
  actor: z.string().min(1).max(512).optional(),
  eventId: z.string().min(1).max(255).optional(),
  plugin: z.string().min(1).max(128).optional(),
  severity: listOf<AuditSeverity>(AUDIT_SEVERITIES, 'severity').optional(),
  status: listOf<AuditStatus>(AUDIT_STATUSES, 'status').optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  q: z.string().min(1).max(200).optional(),
});

const pageSchema = filterSchema.extend({
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine(n => n >= 1 && n <= AUDIT_MAX_PAGE_SIZE, {
      message: `must be between 1 and ${AUDIT_MAX_PAGE_SIZE}`,
    })
    .optional(),
  cursor: z.string().min(1).max(200).optional(),
});

const exportSchema = filterSchema.extend({
  format: z.enum(['csv', 'jsonl']).optional(),
});

function parse<S extends z.ZodType>(
  schema: S,
  allowed: readonly string[],
  raw: Record<string, unknown>,
): z.output<S> {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (!allowed.includes(key)) {
      problems.push(`unknown parameter '${key}'`);
    } else if (typeof value !== 'string') {
      problems.push(`'${key}' must be given once`);
    }
  }
  if (problems.length) {
    throw new InputError(`Invalid query: ${problems.join('; ')}`);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new InputError(
      `Invalid query: ${result.error.issues
        .map(i => `'${i.path.join('.')}' ${i.message}`)
        .join('; ')}`,
    );
  }
  const out = result.data as { from?: string; to?: string };
  if (out.from && out.to && out.from >= out.to) {
    throw new InputError("Invalid query: 'from' must be before 'to'");
  }
  return result.data;
}

/** Reads the query of `GET /events`; throws InputError (400) on anything odd. */
export function parseEventsQuery(raw: Record<string, unknown>): AuditQuery {
  const parsed = parse(pageSchema, [...FILTER_KEYS, 'limit', 'cursor'], raw);
  // Refuse a bad cursor here, before anything is audited or read.
  if (parsed.cursor) decodeCursor(parsed.cursor);
  return { ...parsed, limit: parsed.limit ?? AUDIT_DEFAULT_PAGE_SIZE };
}

/** Reads the query of `GET /events/export`. */
export function parseExportQuery(raw: Record<string, unknown>): {
  format: AuditExportFormat;
  query: Omit<AuditQuery, 'limit' | 'cursor'>;
} {
  const { format, ...query } = parse(
    exportSchema,
    [...FILTER_KEYS, 'format'],
    raw,
  );
  return { format: format ?? 'jsonl', query };
}
