/**
 * The monitoring UI for New Frontend System apps (discovered through
 * `app.packages: all`).
 *
 * @packageDocumentation
 */
import { Entity } from '@backstage/catalog-model';
import {
  ApiBlueprint,
  createFrontendPlugin,
  createRouteRef,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { isMonitoringAvailable } from '@fincloud/plugin-monitoring-common';
import NotificationsActiveIcon from '@material-ui/icons/NotificationsActive';
import { monitoringApiRef, MonitoringClient } from '../api';

/** Services (Components) that say where they run. */
const isMonitorable = (entity: Entity) =>
  entity.kind.toLocaleLowerCase('en-US') === 'component' &&
  isMonitoringAvailable(entity);

/** @alpha */
export const alertCenterRouteRef = createRouteRef();

/** @alpha */
export const monitoringApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: monitoringApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new MonitoringClient({ discoveryApi, fetchApi }),
    }),
});

/**
 * `/alert-center` with its sidebar item (a page's title and icon make the
 * nav item; `NavItemBlueprint` is gone in this frontend-plugin-api). Every
 * signed-in user: the backend shows each only the alerts of the services
 * they may read.
 *
 * @alpha
 */
export const alertCenterPage = PageBlueprint.make({
  params: {
    path: '/alert-center',
    title: 'Alert center',
    icon: <NotificationsActiveIcon />,
    routeRef: alertCenterRouteRef,
    loader: () =>
      import('../components/AlertCenter').then(m => <m.AlertCenterContent />),
  },
});

/** @alpha */
export const entityMonitoringContent = EntityContentBlueprint.make({
  params: {
    path: 'monitoring',
    title: 'Monitoring',
    filter: isMonitorable,
    loader: () =>
      import('../components/EntityMonitoring').then(m => (
        <m.EntityMonitoringContent />
      )),
  },
});

/** @alpha */
export const entityMonitoringCard = EntityCardBlueprint.make({
  name: 'golden-signals',
  params: {
    filter: isMonitorable,
    loader: () =>
      import('../components/EntityMonitoringCard').then(m => (
        <m.EntityMonitoringCard />
      )),
  },
});

/** @alpha */
export default createFrontendPlugin({
  pluginId: 'monitoring',
  title: 'Monitoring',
  icon: <NotificationsActiveIcon />,
  routes: { root: alertCenterRouteRef },
  extensions: [
    monitoringApi,
    alertCenterPage,
    entityMonitoringContent,
    entityMonitoringCard,
  ],
});
