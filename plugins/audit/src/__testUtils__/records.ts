import { AuditRecord } from '@fincloud/plugin-audit-common';

let next = 1;

/** An audit record as the backend returns it, with overrides. */
export function record(overrides: Partial<AuditRecord> = {}): AuditRecord {
  const seq = overrides.seq ?? next++;
  return {
    seq,
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    at: '2026-11-29T10:34:12.345Z',
    plugin: 'catalog',
    eventId: 'entity-mutate',
    severity: 'medium',
    status: 'succeeded',
    actor: { type: 'user', ref: 'user:default/pete' },
    entityRef: 'component:default/payment-gateway',
    request: { method: 'POST', path: '/api/catalog/refresh', ip: '10.0.0.7' },
    meta: { queryType: 'refresh' },
    correlationId: `corr-${seq}`,
    hash: `hash-${seq}`,
    prevHash: `hash-${seq - 1}`,
    ...overrides,
  };
}
