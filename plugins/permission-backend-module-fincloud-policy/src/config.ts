import { Config } from '@backstage/config';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  DEFAULT_AUDIT_GROUP,
  DEFAULT_PLATFORM_GROUP,
} from '@fincloud/plugin-fincloud-common';

/** The policy's settings, from `fincloud.permissions`. @public */
export interface FincloudPolicyOptions {
  /** Full, lower-case group ref whose members hold the platform role. */
  platformGroup: string;
  /** Full, lower-case group ref whose members hold the auditor role. */
  auditGroup: string;
  /** How long the team-lead lookup is cached, in milliseconds. */
  teamLeadCacheTtlMs: number;
}

export const DEFAULT_TEAM_LEAD_CACHE_SECONDS = 30;

function groupRef(config: Config, key: string, fallback: string): string {
  const raw = config.getOptionalString(key) ?? fallback;
  let ref;
  try {
    ref = parseEntityRef(raw, {
      defaultKind: 'group',
      defaultNamespace: 'default',
    });
  } catch (error) {
    throw new Error(
      `${key} must be a group entity ref, got "${raw}": ${error}`,
    );
  }
  if (ref.kind.toLocaleLowerCase('en-US') !== 'group') {
    throw new Error(`${key} must name a Group, got "${raw}"`);
  }
  return stringifyEntityRef(ref).toLocaleLowerCase('en-US');
}

/** Reads `fincloud.permissions.*`, refusing values that cannot be right. */
export function readPolicyOptions(config: Config): FincloudPolicyOptions {
  const seconds =
    config.getOptionalNumber('fincloud.permissions.teamLeadCacheSeconds') ??
    DEFAULT_TEAM_LEAD_CACHE_SECONDS;
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 3600) {
    throw new Error(
      `fincloud.permissions.teamLeadCacheSeconds must be between 0 and 3600, got ${seconds}`,
    );
  }
  return {
    platformGroup: groupRef(
      config,
      'fincloud.permissions.platformGroup',
      DEFAULT_PLATFORM_GROUP,
    ),
    auditGroup: groupRef(
      config,
      'fincloud.permissions.auditGroup',
      DEFAULT_AUDIT_GROUP,
    ),
    teamLeadCacheTtlMs: seconds * 1000,
  };
}
