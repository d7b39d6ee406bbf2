import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { auditApiRef, AuditClient } from './api';
import { rootRouteRef } from './routes';

/**
 * The audit explorer for legacy (non-NFS) apps. New Frontend System apps use
 * the default export of `@fincloud/plugin-audit/alpha` instead.
 *
 * @public
 */
export const auditPlugin = createPlugin({
  id: 'audit',
  apis: [
    createApiFactory({
      api: auditApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new AuditClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: { root: rootRouteRef },
});

/** The audit explorer page; mount it at `/audit`. @public */
export const AuditPage = auditPlugin.provide(
  createRoutableExtension({
    name: 'AuditPage',
    component: () =>
      import('./components/AuditExplorer').then(m => m.AuditPage),
    mountPoint: rootRouteRef,
  }),
);

/** The entity "Audit" tab content. @public */
export const EntityAuditContent = auditPlugin.provide(
  createComponentExtension({
    name: 'EntityAuditContent',
    component: {
      lazy: () =>
        import('./components/EntityAudit').then(m => m.EntityAuditContent),
    },
  }),
);

/** The entity "Audit" card (latest events). @public */
export const EntityAuditCard = auditPlugin.provide(
  createComponentExtension({
    name: 'EntityAuditCard',
    component: {
      lazy: () =>
        import('./components/EntityAudit').then(m => m.EntityAuditCard),
    },
  }),
);
