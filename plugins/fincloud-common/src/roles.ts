/**
 * The roles fincloud derives from the catalog. The permission policy decides
 * every fincloud permission from these; see the README's permission table.
 *
 * - developer: member of the group that owns the entity
 * - team-lead: named in the owning group's `fincloud.io/team-leads` annotation
 * - platform: member of the platform group (default `group:default/platform-team`)
 * - auditor: member of the audit group (default `group:default/audit-team`), read-only
 * - reader: any other signed-in user, read-only on public information
 *
 * @public
 */
export type FincloudRole =
  | 'developer'
  | 'team-lead'
  | 'platform'
  | 'auditor'
  | 'reader';

/** @public */
export const DEFAULT_PLATFORM_GROUP = 'group:default/platform-team';

/** @public */
export const DEFAULT_AUDIT_GROUP = 'group:default/audit-team';
