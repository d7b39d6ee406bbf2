import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { releasesApiRef, ReleasesClient } from './api';

/**
 * The releases UI for legacy (non-NFS) apps. New Frontend System apps use the
 * default export of `@fincloud/plugin-releases/alpha` instead.
 *
 * @public
 */
export const releasesPlugin = createPlugin({
  id: 'releases',
  apis: [
    createApiFactory({
      api: releasesApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new ReleasesClient({ discoveryApi, fetchApi }),
    }),
  ],
});

/** The entity "Releases" tab content. @public */
export const EntityReleasesContent = releasesPlugin.provide(
  createComponentExtension({
    name: 'EntityReleasesContent',
    component: {
      lazy: () =>
        import('./components/EntityReleases').then(
          m => m.EntityReleasesContent,
        ),
    },
  }),
);

/** The entity overview card: the live release or the last outcome. @public */
export const EntityReleaseCard = releasesPlugin.provide(
  createComponentExtension({
    name: 'EntityReleaseCard',
    component: {
      lazy: () =>
        import('./components/EntityReleases').then(m => m.EntityReleaseCard),
    },
  }),
);
