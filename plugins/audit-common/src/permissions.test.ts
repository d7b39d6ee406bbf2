import {
  auditEntityEventsReadPermission,
  auditEventsReadPermission,
  auditExportPermission,
  auditPermissions,
  auditQueryToSearchParams,
} from './index';

describe('audit permissions', () => {
  it('names the permissions the policy maps', () => {
    expect(auditPermissions.map(p => p.name)).toEqual([
      'audit.events.read',
      'audit.entity.read',
      'audit.events.export',
    ]);
    expect(auditEventsReadPermission.type).toBe('basic');
    expect(auditExportPermission.type).toBe('basic');
    expect(auditEntityEventsReadPermission).toMatchObject({
      type: 'resource',
      resourceType: 'catalog-entity',
      attributes: { action: 'read' },
    });
  });

  it('builds query strings the routes accept', () => {
    expect(
      auditQueryToSearchParams({
        entityRef: 'component:default/payment-gateway',
        severity: ['high', 'critical'],
        status: [],
        q: '',
        limit: 20,
      }).toString(),
    ).toBe(
      'entityRef=component%3Adefault%2Fpayment-gateway&severity=high%2Ccritical&limit=20',
    );
  });
});
