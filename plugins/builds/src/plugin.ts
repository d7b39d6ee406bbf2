import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { buildsApiRef, BuildsClient } from './api';

/**
 * fincloud builds for legacy (non-NFS) apps. New Frontend System apps use the
 * default export of `@fincloud/plugin-builds/alpha` instead.
 *
 * @public
 */
export const buildsPlugin = createPlugin({
  id: 'builds',
  apis: [
    createApiFactory({
      api: buildsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BuildsClient({ discoveryApi, fetchApi }),
    }),
  ],
});

/** The entity "Builds" tab content; mount it at `/builds` on the entity page. @public */
export const EntityBuildsContent = buildsPlugin.provide(
  createComponentExtension({
    name: 'EntityBuildsContent',
    component: {
      lazy: () =>
        import('./components/EntityBuildsContent').then(
          m => m.EntityBuildsContent,
        ),
    },
  }),
);

/** The entity "Latest build" card for the overview. @public */
export const EntityLatestBuildCard = buildsPlugin.provide(
  createComponentExtension({
    name: 'EntityLatestBuildCard',
    component: {
      lazy: () =>
        import('./components/EntityLatestBuildCard').then(
          m => m.EntityLatestBuildCard,
        ),
    },
  }),
);
