import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Read a service's builds, logs, stats, Dockerfiles and waivers. Authorized
 * with the entity ref as resource ref.
 *
 * @public
 */
export const buildsReadPermission = createPermission({
  name: 'builds.read',
  attributes: { action: 'read' },
  resourceType: 'catalog-entity',
});

/**
 * Trigger and re-run builds of a service, and request scan waivers.
 *
 * @public
 */
export const buildsTriggerPermission = createPermission({
  name: 'builds.trigger',
  attributes: { action: 'create' },
  resourceType: 'catalog-entity',
});

/**
 * Cancel a queued or running build of a service.
 *
 * @public
 */
export const buildsCancelPermission = createPermission({
  name: 'builds.cancel',
  attributes: { action: 'update' },
  resourceType: 'catalog-entity',
});

/**
 * Save a new revision of a service's custom Dockerfile.
 *
 * @public
 */
export const buildsDockerfileWritePermission = createPermission({
  name: 'builds.dockerfile.write',
  attributes: { action: 'create' },
  resourceType: 'catalog-entity',
});

/**
 * Approve or reject a scan waiver of a service (its team leads, platform).
 *
 * @public
 */
export const buildsWaiverApprovePermission = createPermission({
  name: 'builds.waiver.approve',
  attributes: { action: 'update' },
  resourceType: 'catalog-entity',
});

/**
 * Every permission of the builds plugin.
 *
 * @public
 */
export const buildsPermissions = [
  buildsReadPermission,
  buildsTriggerPermission,
  buildsCancelPermission,
  buildsDockerfileWritePermission,
  buildsWaiverApprovePermission,
];
