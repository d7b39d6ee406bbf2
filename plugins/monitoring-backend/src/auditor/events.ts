/**
 * Audit event ids of the monitoring plugin. Every write is audited at
 * `medium` severity (buffered, never lost); reads are not audited: a
 * dashboard is polled every few seconds by every viewer and would flood the
 * trail with nothing an auditor needs.
 */
export const MONITORING_EVENTS = {
  /** POST .../silences: an Alertmanager silence created for an entity. */
  silenceCreate: 'silence-create',
  /** DELETE /silences/:id: a silence expired. */
  silenceExpire: 'silence-expire',
  /** PUT .../rules/:name: an alert rule written to the entity's PrometheusRule. */
  ruleWrite: 'rule-write',
  /** DELETE .../rules/:name: an alert rule removed. */
  ruleDelete: 'rule-delete',
} as const;
