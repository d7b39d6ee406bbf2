/**
 * The terminal for New Frontend System apps (discovered through
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
  identityApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import ComputerIcon from '@material-ui/icons/Computer';
import { terminalApiRef, TerminalClient } from '../api';
import { isTerminalTabAvailable } from '../components/isTerminalTabAvailable';

/** @alpha */
export const terminalRootRouteRef = createRouteRef();

/** @alpha */
export const terminalApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: terminalApiRef,
      deps: {
        discoveryApi: discoveryApiRef,
        fetchApi: fetchApiRef,
        identityApi: identityApiRef,
      },
      factory: ({ discoveryApi, fetchApi, identityApi }) =>
        new TerminalClient({ discoveryApi, fetchApi, identityApi }),
    }),
});

/**
 * `/terminal-sessions` with its sidebar item: every session the user may
 * read (the backend scopes the list: all for platform and auditors, their
 * services' for developers and leads).
 *
 * @alpha
 */
export const terminalSessionsPage = PageBlueprint.make({
  params: {
    path: '/terminal-sessions',
    // Short enough for the sidebar; the page lists terminal sessions.
    title: 'Terminals',
    icon: <ComputerIcon />,
    routeRef: terminalRootRouteRef,
    loader: () =>
      import('../components/TerminalSessionsPage').then(m => (
        <m.TerminalSessionsContent />
      )),
  },
});

/** @alpha */
export const entityTerminalContent = EntityContentBlueprint.make({
  params: {
    path: 'terminal',
    title: 'Terminal',
    filter: isTerminalTabAvailable,
    loader: () =>
      import('../components/EntityTerminalContent').then(m => (
        <m.EntityTerminalContent />
      )),
  },
});

/** @alpha */
export default createFrontendPlugin({
  pluginId: 'terminal',
  title: 'Terminal',
  icon: <ComputerIcon />,
  routes: { root: terminalRootRouteRef },
  extensions: [terminalApi, terminalSessionsPage, entityTerminalContent],
});
