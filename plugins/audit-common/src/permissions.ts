import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Read every audit event (auditors, platform team).
 *
 * @public
 */
export const auditEventsReadPermission = createPermission({
  name: 'audit.events.read',
  attributes: { action: 'read' },
});

/**
 * Read the audit events of one catalog entity (its owners). Authorized with
 * the entity ref as resource ref.
 *
 * @public
 */
export const auditEntityEventsReadPermission = createPermission({
  name: 'audit.entity.read',
  attributes: { action: 'read' },
  resourceType: 'catalog-entity',
});

/**
 * Export audit events with their chain proof (CSV / JSON Lines).
 *
 * @public
 */
export const auditExportPermission = createPermission({
  name: 'audit.events.export',
  attributes: { action: 'read' },
});

/**
 * Every permission of the audit plugin.
 *
 * @public
 */
export const auditPermissions = [
  auditEventsReadPermission,
  auditEntityEventsReadPermission,
  auditExportPermission,
];
