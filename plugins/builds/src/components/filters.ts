import { Entity } from '@backstage/catalog-model';
import { isBuildsAvailable } from '@fincloud/plugin-builds-common';
import { isWorkloadAvailable } from '@fincloud/plugin-fincloud-common';

/**
 * Whether an entity gets the Builds tab: it declares how it is built, or it
 * runs in a cluster (then the tab says which annotation switches builds on).
 *
 * @public
 */
export function hasBuildsTab(entity: Entity): boolean {
  return isBuildsAvailable(entity) || isWorkloadAvailable(entity);
}
