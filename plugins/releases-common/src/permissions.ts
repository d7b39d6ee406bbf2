import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Every releases permission is a resource permission on `catalog-entity`:
 * the backend authorizes it with the service's entity ref as resource ref,
 * so the fincloud policy can decide by ownership and team leadership.
 */
const RESOURCE_TYPE = 'catalog-entity';

/**
 * See a service's releases, options and traffic policy (everybody signed in).
 *
 * @public
 */
export const releasesReadPermission = createPermission({
  name: 'releases.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE,
});

/**
 * Start a release (developers of the owning team, platform).
 *
 * @public
 */
export const releasesCreatePermission = createPermission({
  name: 'releases.create',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE,
});

/**
 * Approve or reject a release or a traffic policy (team leads of the owning
 * team, platform). The requester never approves their own (four-eyes), which
 * the backend enforces on top of this permission.
 *
 * @public
 */
export const releasesApprovePermission = createPermission({
  name: 'releases.approve',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE,
});

/**
 * Promote, pause and resume a running release.
 *
 * @public
 */
export const releasesPromotePermission = createPermission({
  name: 'releases.promote',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE,
});

/**
 * Roll back a release, or switch a blue-green release back.
 *
 * @public
 */
export const releasesRollbackPermission = createPermission({
  name: 'releases.rollback',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE,
});

/**
 * Propose and revert traffic policies (circuit breaking, rate limiting).
 *
 * @public
 */
export const releasesPolicyWritePermission = createPermission({
  name: 'releases.policy.write',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE,
});

/**
 * Start a release inside a change-freeze window, with a justification
 * (platform only; always audited at high severity).
 *
 * @public
 */
export const releasesBreakGlassPermission = createPermission({
  name: 'releases.breakglass',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE,
});

/**
 * Every permission of the releases plugin.
 *
 * @public
 */
export const releasesPermissions = [
  releasesReadPermission,
  releasesCreatePermission,
  releasesApprovePermission,
  releasesPromotePermission,
  releasesRollbackPermission,
  releasesPolicyWritePermission,
  releasesBreakGlassPermission,
];
