/**
 * The releases UI for New Frontend System apps (discovered through
 * `app.packages: all`).
 *
 * @packageDocumentation
 */
import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { isReleasesAvailable } from '@fincloud/plugin-releases-common';
import { Entity } from '@backstage/catalog-model';
import { releasesApiRef, ReleasesClient } from '../api';

/** Services (Components) with a workload; others have nothing to release. */
const isReleasable = (entity: Entity) =>
  entity.kind.toLocaleLowerCase('en-US') === 'component' &&
  isReleasesAvailable(entity);

/** @alpha */
export const releasesApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: releasesApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new ReleasesClient({ discoveryApi, fetchApi }),
    }),
});

/** @alpha */
export const entityReleasesContent = EntityContentBlueprint.make({
  params: {
    path: 'releases',
    title: 'Releases',
    filter: isReleasable,
    loader: () =>
      import('../components/EntityReleases').then(m => (
        <m.EntityReleasesContent />
      )),
  },
});

/** @alpha */
export const entityReleaseCard = EntityCardBlueprint.make({
  name: 'live',
  params: {
    filter: isReleasable,
    loader: () =>
      import('../components/EntityReleases').then(m => <m.EntityReleaseCard />),
  },
});

/** @alpha */
export default createFrontendPlugin({
  pluginId: 'releases',
  title: 'Releases',
  extensions: [releasesApi, entityReleasesContent, entityReleaseCard],
});
