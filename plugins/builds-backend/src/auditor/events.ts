/**
 * Audit event ids of the builds plugin (`coreServices.auditor`). Every event
 * carries `meta.entityRef` so the audit explorer's entity tab finds it.
 *
 * Writes are `medium` (buffered, never lost); deciding a waiver is `high`
 * (fail-closed: no decision without its record). A denied attempt is recorded
 * as the event's failure.
 */
export const BUILDS_AUDIT_EVENTS = {
  /** POST /entities/:kind/:namespace/:name/builds (medium). */
  buildTrigger: 'build-trigger',
  /** POST /builds/:id/rerun (medium). */
  buildRerun: 'build-rerun',
  /** POST /builds/:id/cancel (medium). */
  buildCancel: 'build-cancel',
  /** GET /builds/:id/log/download (low): who took a whole log away. */
  buildLogDownload: 'build-log-download',
  /** POST /entities/:kind/:namespace/:name/dockerfiles (medium). */
  dockerfileWrite: 'dockerfile-write',
  /** POST /entities/:kind/:namespace/:name/waivers (medium). */
  waiverRequest: 'waiver-request',
  /** POST /waivers/:id/approve (high). */
  waiverApprove: 'waiver-approve',
  /** POST /waivers/:id/reject (high). */
  waiverReject: 'waiver-reject',
  /** The controller let a failed scan pass because of an approved waiver (medium). */
  scanWaived: 'scan-waived',
} as const;
