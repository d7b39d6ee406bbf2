import { AuditRecord } from '@fincloud/plugin-audit-common';

/** `2026-11-29 10:34:12 UTC`: auditors compare times across offices, so UTC. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Who acted, in words. */
export function formatActor(actor: AuditRecord['actor']): string {
  if (actor.type === 'none') return 'anonymous';
  if (actor.type === 'service') return `service ${actor.ref ?? ''}`.trim();
  return actor.ref ?? 'unknown user';
}

/** `datetime-local` input value (local time) → ISO 8601, or undefined. */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** ISO 8601 → `datetime-local` input value in the browser's time zone. */
export function isoToLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(
    date.getDate(),
  )}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Entity kinds whose pages get the Audit tab and card. */
const AUDITABLE_KINDS = ['component', 'system', 'resource', 'api', 'domain'];

/** True for the entities fincloud acts on (services, systems, resources...). @public */
export function isAuditableEntity(entity: { kind: string }): boolean {
  return AUDITABLE_KINDS.includes(entity.kind.toLocaleLowerCase('en-US'));
}
