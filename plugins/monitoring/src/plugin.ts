import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { monitoringApiRef, MonitoringClient } from './api';
import { rootRouteRef } from './routes';

/**
 * The monitoring UI for legacy (non-NFS) apps. New Frontend System apps use
 * the default export of `@fincloud/plugin-monitoring/alpha` instead.
 *
 * @public
 */
export const monitoringPlugin = createPlugin({
  id: 'monitoring',
  apis: [
    createApiFactory({
      api: monitoringApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new MonitoringClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: { root: rootRouteRef },
});

/** The entity "Monitoring" tab content; mount it at `monitoring`. @public */
export const EntityMonitoringContent = monitoringPlugin.provide(
  createComponentExtension({
    name: 'EntityMonitoringContent',
    component: {
      lazy: () =>
        import('./components/EntityMonitoring').then(
          m => m.EntityMonitoringContent,
        ),
    },
  }),
);

/** The entity overview card: four golden signals and the firing count. @public */
export const EntityMonitoringCard = monitoringPlugin.provide(
  createComponentExtension({
    name: 'EntityMonitoringCard',
    component: {
      lazy: () =>
        import('./components/EntityMonitoringCard').then(
          m => m.EntityMonitoringCard,
        ),
    },
  }),
);

/** The alert center page; mount it at `/alert-center`. @public */
export const AlertCenterPage = monitoringPlugin.provide(
  createRoutableExtension({
    name: 'AlertCenterPage',
    component: () =>
      import('./components/AlertCenter').then(m => m.AlertCenterPage),
    mountPoint: rootRouteRef,
  }),
);
