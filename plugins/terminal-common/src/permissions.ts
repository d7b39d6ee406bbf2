import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Open a restricted-mode terminal in a service's pods (and list its pods,
 * read its policy, dry-check a line). Authorized with the entity ref as
 * resource ref: developers and leads of the owning team, platform.
 *
 * @public
 */
export const terminalExecPermission = createPermission({
  name: 'terminal.exec',
  attributes: { action: 'create' },
  resourceType: 'catalog-entity',
});

/**
 * Open a break-glass shell (`/bin/sh` with a TTY, recorded): platform, and
 * team leads on their own services.
 *
 * @public
 */
export const terminalShellPermission = createPermission({
  name: 'terminal.shell',
  attributes: { action: 'create' },
  resourceType: 'catalog-entity',
});

/**
 * Read a service's terminal sessions, command logs and recordings: its
 * owners and their leads; platform and auditors for every service.
 *
 * @public
 */
export const terminalSessionsReadPermission = createPermission({
  name: 'terminal.sessions.read',
  attributes: { action: 'read' },
  resourceType: 'catalog-entity',
});

/**
 * End any live session of a service: platform.
 *
 * @public
 */
export const terminalSessionsTerminatePermission = createPermission({
  name: 'terminal.sessions.terminate',
  attributes: { action: 'update' },
  resourceType: 'catalog-entity',
});

/** Every permission of the terminal. @public */
export const terminalPermissions = [
  terminalExecPermission,
  terminalShellPermission,
  terminalSessionsReadPermission,
  terminalSessionsTerminatePermission,
];
