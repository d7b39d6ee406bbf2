/**
 * The audit explorer for New Frontend System apps (discovered through
 * `app.packages: all`).
 *
 * @packageDocumentation
 */
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
import { auditEventsReadPermission } from '@fincloud/plugin-audit-common';
import VerifiedUserIcon from '@material-ui/icons/VerifiedUser';
import { auditApiRef, AuditClient } from '../api';
import { isAuditableEntity } from '../components/format';

/** @alpha */
export const auditRootRouteRef = createRouteRef();

/** The `/audit` page and its sidebar item, for holders of `audit.events.read`. */
const mayReadAll = {
  permissions: { $contains: auditEventsReadPermission.name },
};

/** @alpha */
export const auditApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: auditApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new AuditClient({ discoveryApi, fetchApi }),
    }),
});

/**
 * The explorer at `/audit`, with the "Audit" sidebar item. The extension only
 * exists for users the permission framework allows `audit.events.read`, so
 * nobody else sees the item.
 *
 * @alpha
 */
export const auditPage = PageBlueprint.make({
  if: mayReadAll,
  params: {
    path: '/audit',
    title: 'Audit',
    icon: <VerifiedUserIcon />,
    routeRef: auditRootRouteRef,
    loader: () =>
      import('../components/AuditExplorer').then(m => (
        <m.AuditExplorerContent />
      )),
  },
});

/**
 * `/audit` for everybody else: no sidebar item (no route ref), just the
 * not-allowed state instead of "page not found".
 *
 * @alpha
 */
export const auditNotAllowedPage = PageBlueprint.make({
  name: 'not-allowed',
  if: { $not: mayReadAll },
  params: {
    path: '/audit',
    loader: () =>
      import('../components/AuditNotAllowed').then(m => (
        <m.AuditNotAllowedPage />
      )),
  },
});

/** @alpha */
export const entityAuditContent = EntityContentBlueprint.make({
  params: {
    path: 'audit',
    title: 'Audit',
    filter: isAuditableEntity,
    loader: () =>
      import('../components/EntityAudit').then(m => <m.EntityAuditContent />),
  },
});

/** @alpha */
export const entityAuditCard = EntityCardBlueprint.make({
  name: 'recent',
  params: {
    filter: isAuditableEntity,
    loader: () =>
      import('../components/EntityAudit').then(m => <m.EntityAuditCard />),
  },
});

/** @alpha */
export default createFrontendPlugin({
  pluginId: 'audit',
  title: 'Audit',
  icon: <VerifiedUserIcon />,
  routes: { root: auditRootRouteRef },
  extensions: [
    auditApi,
    auditPage,
    auditNotAllowedPage,
    entityAuditContent,
    entityAuditCard,
  ],
});
