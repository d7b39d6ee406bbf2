import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Read an entity's monitoring: dashboard, alerts, silences, rules, rule
 * previews; and the alert center, filtered per entity. Authorized with the
 * entity ref as resource ref.
 *
 * @public
 */
export const monitoringReadPermission = createPermission({
  name: 'monitoring.read',
  attributes: { action: 'read' },
  resourceType: 'catalog-entity',
});

/**
 * Create and expire Alertmanager silences scoped to an entity (its owners and
 * the platform team).
 *
 * @public
 */
export const monitoringSilencePermission = createPermission({
  name: 'monitoring.silence',
  attributes: { action: 'update' },
  resourceType: 'catalog-entity',
});

/**
 * Write and delete the alert rules of an entity (its `PrometheusRule`).
 *
 * @public
 */
export const monitoringRulesWritePermission = createPermission({
  name: 'monitoring.rules.write',
  attributes: { action: 'update' },
  resourceType: 'catalog-entity',
});

/**
 * Read the alert-noise report across every service (platform, auditors).
 *
 * @public
 */
export const monitoringNoiseReadPermission = createPermission({
  name: 'monitoring.noise.read',
  attributes: { action: 'read' },
});

/**
 * Every permission of the monitoring plugin.
 *
 * @public
 */
export const monitoringPermissions = [
  monitoringReadPermission,
  monitoringSilencePermission,
  monitoringRulesWritePermission,
  monitoringNoiseReadPermission,
];
