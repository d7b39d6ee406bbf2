import type { Entity } from '@backstage/catalog-model';
import { isWorkloadAvailable } from '@fincloud/plugin-fincloud-common';

/**
 * Whether the Terminal tab applies: the entity names its cluster(s) and
 * namespace (`fincloud.io/cluster`, `fincloud.io/namespace`).
 *
 * @public
 */
export function isTerminalAvailable(entity: Entity): boolean {
  return isWorkloadAvailable(entity);
}
