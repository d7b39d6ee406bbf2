/**
 * fincloud builds for New Frontend System apps (discovered through
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
import { isBuildsAvailable } from '@fincloud/plugin-builds-common';
import BuildIcon from '@material-ui/icons/Build';
import { buildsApiRef, BuildsClient } from '../api';
import { hasBuildsTab } from '../components/filters';

/** @alpha */
export const buildsApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: buildsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BuildsClient({ discoveryApi, fetchApi }),
    }),
});

/**
 * The "Builds" tab on services that declare how they are built or where they
 * run (a running service without a build annotation is told which to add).
 *
 * @alpha
 */
export const entityBuildsContent = EntityContentBlueprint.make({
  params: {
    path: 'builds',
    title: 'Builds',
    filter: hasBuildsTab,
    loader: () =>
      import('../components/EntityBuildsContent').then(m => (
        <m.EntityBuildsContent />
      )),
  },
});

/** The overview's "Latest build" card. @alpha */
export const entityLatestBuildCard = EntityCardBlueprint.make({
  name: 'latest',
  params: {
    filter: isBuildsAvailable,
    loader: () =>
      import('../components/EntityLatestBuildCard').then(m => (
        <m.EntityLatestBuildCard />
      )),
  },
});

/** @alpha */
export default createFrontendPlugin({
  pluginId: 'builds',
  title: 'Builds',
  icon: <BuildIcon />,
  extensions: [buildsApi, entityBuildsContent, entityLatestBuildCard],
});
