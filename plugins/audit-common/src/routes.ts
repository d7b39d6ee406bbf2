/**
 * Paths of the audit backend, relative to its base URL
 * (`discovery.getBaseUrl('audit')`, i.e. `/api/audit`).
 *
 * @public
 */
export const AUDIT_ROUTES = {
  /** `GET` → `AuditPage`; query parameters: see {@link AuditQuery}. */
  events: '/events',
  /** `GET ?format=csv|jsonl&<filters>` → a file with the chain proof. */
  export: '/events/export',
  /** `GET` → `AuditVerifyResult`. */
  verify: '/verify',
} as const;

/** The audit plugin id (the backend is mounted at `/api/audit`). @public */
export const AUDIT_PLUGIN_ID = 'audit';

/**
 * Turns a query into URL search parameters the events and export routes
 * accept (arrays comma-separated, empty values left out).
 *
 * @public
 */
export function auditQueryToSearchParams(query: {
  [key: string]: string | number | string[] | undefined;
}): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === '') continue;
    if (Array.isArray(value)) {
      if (value.length) params.set(key, value.join(','));
    } else {
      params.set(key, String(value));
    }
  }
  return params;
}
