/**
 * Audit event ids of the audit plugin itself.
 *
 * Reading the trail is recorded at `low` severity (who looked at what),
 * never `high`: a read must not be refused because the trail is briefly
 * unavailable, and reading the trail must not flood it. Export is `high`
 * (fail-closed): no export leaves without its record.
 */
export const AUDIT_EVENTS = {
  /** GET /events (low). */
  eventsRead: 'events-read',
  /** GET /events/export (high, fail-closed). */
  eventsExport: 'events-export',
  /** GET /verify (low). */
  chainVerify: 'chain-verify',
  /** Scheduled verification found a broken chain (critical). */
  chainBroken: 'chain-broken',
  /** Retention archived a range (medium). */
  retentionArchive: 'retention-archive',
} as const;
