import { Entity } from '@backstage/catalog-model';
import {
  FINCLOUD_ANNOTATIONS,
  isWorkloadAvailable,
  readFincloudAnnotation,
} from '@fincloud/plugin-fincloud-common';
import { Strategy, STRATEGIES } from './types';

/**
 * True when the entity names a workload (`fincloud.io/cluster` and
 * `fincloud.io/namespace`): releases can act on it.
 *
 * @public
 */
export function isReleasesAvailable(entity: Entity): boolean {
  return isWorkloadAvailable(entity);
}

/**
 * The entity's default strategy from `fincloud.io/release-strategy`;
 * undefined when absent or not a known strategy.
 *
 * @public
 */
export function getReleaseStrategy(entity: Entity): Strategy | undefined {
  const value = readFincloudAnnotation(
    entity,
    FINCLOUD_ANNOTATIONS.releaseStrategy,
  );
  return STRATEGIES.find(s => s === value);
}

/**
 * Parses `fincloud.io/release-approvals`: `N` (N approvals) or `N-of-M`
 * (N approvals out of M eligible leads; M is informative). Undefined when
 * absent; throws on anything else so a typo is reported, not ignored.
 *
 * @public
 */
export function parseReleaseApprovals(
  value: string | undefined,
): { required: number; of?: number } | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const match = /^\s*(\d{1,2})(?:\s*-\s*of\s*-\s*(\d{1,2}))?\s*$/i.exec(value);
  if (!match) {
    throw new Error(
      `fincloud.io/release-approvals must be "N" or "N-of-M" (e.g. "1" or "2-of-3"), got "${value}"`,
    );
  }
  const required = Number(match[1]);
  const of = match[2] === undefined ? undefined : Number(match[2]);
  if (of !== undefined && of < required) {
    throw new Error(
      `fincloud.io/release-approvals "${value}": N cannot exceed M`,
    );
  }
  return of === undefined ? { required } : { required, of };
}
