/**
 * The fincloud permission table: one row per permission name, saying what each
 * role gets. The policy (policy.ts) reads nothing else, and the README's
 * permission table is generated from these rows (permissionTable.ts; a test
 * keeps them equal). A permission without a row is denied to everybody.
 *
 * Cells:
 * - `allow`: the role is allowed, whatever the entity.
 * - `owner`: conditional; allowed on entities owned by the user or one of
 *   their groups (catalog rule `IS_ENTITY_OWNER`, claims = the user's
 *   ownership refs).
 * - `lead`: conditional; allowed on entities owned by a group the user leads
 *   (`fincloud.io/team-leads` on the Group; claims = the led groups).
 * - `deny`: this role adds nothing (another role the user holds may allow).
 *
 * Roles (see the README): every signed-in user is a *reader*, and a
 * *developer* of what they own; *team lead* of the groups naming them in
 * `fincloud.io/team-leads`; *platform* and *auditor* by membership of the
 * configured groups. A user's decision is the most permissive of their roles,
 * except that an auditor gets only the auditor and reader columns (read-only
 * everywhere, even on something they happen to own).
 *
 * @packageDocumentation
 */

/** The catalog's resource type; every fincloud capability permission uses it. */
export const CATALOG_ENTITY = 'catalog-entity';

/** A permission about no particular entity: ALLOW or DENY by role. */
export interface BasicPermissionRule {
  resourceType?: undefined;
  developer: 'deny';
  teamLead: 'deny';
  platform: 'allow' | 'deny';
  auditor: 'allow' | 'deny';
  reader: 'allow' | 'deny';
}

/** A permission on a catalog entity: conditional for owners and leads. */
export interface EntityPermissionRule {
  resourceType: typeof CATALOG_ENTITY;
  developer: 'owner' | 'deny';
  teamLead: 'lead' | 'deny';
  platform: 'allow' | 'deny';
  auditor: 'allow' | 'deny';
  reader: 'allow' | 'deny';
}

/** @public */
export type PermissionRule = BasicPermissionRule | EntityPermissionRule;

const everybodyReads: EntityPermissionRule = {
  resourceType: CATALOG_ENTITY,
  developer: 'owner',
  teamLead: 'lead',
  platform: 'allow',
  auditor: 'allow',
  reader: 'allow',
};

const everybodyReadsBasic: BasicPermissionRule = {
  developer: 'deny',
  teamLead: 'deny',
  platform: 'allow',
  auditor: 'allow',
  reader: 'allow',
};

const platformOnly: BasicPermissionRule = {
  developer: 'deny',
  teamLead: 'deny',
  platform: 'allow',
  auditor: 'deny',
  reader: 'deny',
};

const platformOnlyOnEntity: EntityPermissionRule = {
  resourceType: CATALOG_ENTITY,
  developer: 'deny',
  teamLead: 'deny',
  platform: 'allow',
  auditor: 'deny',
  reader: 'deny',
};

/**
 * Every permission fincloud decides. Add a capability's permissions as one
 * row each, in its section.
 *
 * @public
 */
export const PERMISSION_RULES: Readonly<Record<string, PermissionRule>> = {
  // --- Backstage: the catalog -------------------------------------------
  'catalog.entity.read': everybodyReads,
  'catalog.location.read': everybodyReadsBasic,
  'catalog.entity.refresh': {
    resourceType: CATALOG_ENTITY,
    developer: 'owner',
    teamLead: 'lead',
    platform: 'allow',
    auditor: 'deny',
    reader: 'deny',
  },
  'catalog.entity.create': platformOnly,
  'catalog.entity.delete': platformOnlyOnEntity,
  'catalog.location.create': platformOnly,
  'catalog.location.delete': platformOnly,

  // --- Backstage: Kubernetes views ----------------------------------------
  'kubernetes.clusters.read': everybodyReadsBasic,
  'kubernetes.resources.read': everybodyReadsBasic,
  // The proxy reaches cluster APIs with the backend's credentials.
  'kubernetes.proxy': platformOnly,

  // --- fincloud: audit trail (plugins/audit-common) -----------------------
  'audit.events.read': {
    developer: 'deny',
    teamLead: 'deny',
    platform: 'allow',
    auditor: 'allow',
    reader: 'deny',
  },
  'audit.entity.read': {
    resourceType: CATALOG_ENTITY,
    developer: 'owner',
    teamLead: 'lead',
    platform: 'allow',
    auditor: 'allow',
    reader: 'deny',
  },
  'audit.events.export': {
    developer: 'deny',
    teamLead: 'deny',
    platform: 'allow',
    auditor: 'allow',
    reader: 'deny',
  },

  // --- fincloud: builds (plugins/builds-common) ---------------------------
  // Policy choice: every signed-in user reads build history and logs (readers
  // too); the logs hold no secrets (builds never print credentials).
  'builds.read': everybodyReads,
  // Trigger / re-run (and ask for a scan waiver), cancel, and change the
  // custom Dockerfile: the owning team and the platform team.
  'builds.trigger': {
    resourceType: CATALOG_ENTITY,
    developer: 'owner',
    teamLead: 'lead',
    platform: 'allow',
    auditor: 'deny',
    reader: 'deny',
  },
  'builds.cancel': {
    resourceType: CATALOG_ENTITY,
    developer: 'owner',
    teamLead: 'lead',
    platform: 'allow',
    auditor: 'deny',
    reader: 'deny',
  },
  'builds.dockerfile.write': {
    resourceType: CATALOG_ENTITY,
    developer: 'owner',
    teamLead: 'lead',
    platform: 'allow',
    auditor: 'deny',
    reader: 'deny',
  },
  // Letting a failed scan pass: the owning team's leads and the platform team.
  'builds.waiver.approve': {
    resourceType: CATALOG_ENTITY,
    developer: 'deny',
    teamLead: 'lead',
    platform: 'allow',
    auditor: 'deny',
    reader: 'deny',
  },

  // --- fincloud: releases (plugins/releases-common) -----------------------
  // Everybody signed in sees releases, their options and traffic policies.
  'releases.read': everybodyReads,
  // Starting a release: the owning team's developers (leads who are members
  // of the team count as developers) and the platform team.
  'releases.create': {
    resourceType: CATALOG_ENTITY,
    developer: 'owner',
    teamLead: 'deny',
    platform: 'allow',
    auditor: 'deny',
    reader: 'deny',
  },
  // Approving or rejecting a release or a traffic policy: the owning team's
  // leads and the platform team; the backend adds four-eyes (never the
  // requester).
  'releases.approve': {
    resourceType: CATALOG_ENTITY,
    developer: 'deny',
    teamLead: 'lead',
    platform: 'allow',
    auditor: 'deny',
    reader: 'deny',
  },
  // Policy choice: moving traffic on (promote, pause, resume) and taking it
  // back (rollback, switch-back) belong to whoever runs the release: the
  // owning team's developers, its leads (even when not members), platform.
  'releases.promote': {
    resourceType: CATALOG_ENTITY,
    developer: 'owner',
    teamLead: 'lead',
    platform: 'allow',
    auditor: 'deny',
    reader: 'deny',
  },
  'releases.rollback': {
    resourceType: CATALOG_ENTITY,
    developer: 'owner',
    teamLead: 'lead',
    platform: 'allow',
    auditor: 'deny',
    reader: 'deny',
  },
  // Proposing and reverting circuit breaking / rate limits: the owning
  // team's developers and platform; applying needs a lead's approval.
  'releases.policy.write': {
    resourceType: CATALOG_ENTITY,
    developer: 'owner',
    teamLead: 'deny',
    platform: 'allow',
    auditor: 'deny',
    reader: 'deny',
  },
  // Releasing inside a change freeze (audited, with a justification).
  'releases.breakglass': platformOnlyOnEntity,

  // --- fincloud: terminal (plugins/terminal-common) -----------------------
  // Restricted mode (allow-listed commands), its pods, policy and dry check.
  'terminal.exec': {
    resourceType: CATALOG_ENTITY,
    developer: 'owner',
    teamLead: 'lead',
    platform: 'allow',
    auditor: 'deny',
    reader: 'deny',
  },
  // Break-glass shell: platform, and team leads on the services they lead.
  'terminal.shell': {
    resourceType: CATALOG_ENTITY,
    developer: 'deny',
    teamLead: 'lead',
    platform: 'allow',
    auditor: 'deny',
    reader: 'deny',
  },
  // Sessions, command logs and recordings.
  'terminal.sessions.read': {
    resourceType: CATALOG_ENTITY,
    developer: 'owner',
    teamLead: 'lead',
    platform: 'allow',
    auditor: 'allow',
    reader: 'deny',
  },
  'terminal.sessions.terminate': platformOnlyOnEntity,

  // --- fincloud: monitoring (plugins/monitoring-common) -------------------
  // Everybody signed in sees how a service is doing (dashboards, alerts,
  // silences, rules); the alert center filters per entity with this row.
  'monitoring.read': everybodyReads,
  // Silences and alert rules: the owning team (developers and leads) and the
  // platform team.
  'monitoring.silence': {
    resourceType: CATALOG_ENTITY,
    developer: 'owner',
    teamLead: 'lead',
    platform: 'allow',
    auditor: 'deny',
    reader: 'deny',
  },
  'monitoring.rules.write': {
    resourceType: CATALOG_ENTITY,
    developer: 'owner',
    teamLead: 'lead',
    platform: 'allow',
    auditor: 'deny',
    reader: 'deny',
  },
  // The noise report spans every team's alerts.
  'monitoring.noise.read': {
    developer: 'deny',
    teamLead: 'deny',
    platform: 'allow',
    auditor: 'allow',
    reader: 'deny',
  },
};
