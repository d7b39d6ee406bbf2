import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
  identityApiRef,
} from '@backstage/core-plugin-api';
import { terminalApiRef, TerminalClient } from './api';
import { rootRouteRef } from './routes';

/**
 * The terminal for legacy (non-NFS) apps. New Frontend System apps use the
 * default export of `@fincloud/plugin-terminal/alpha` instead.
 *
 * @public
 */
export const terminalPlugin = createPlugin({
  id: 'terminal',
  apis: [
    createApiFactory({
      api: terminalApiRef,
      deps: {
        discoveryApi: discoveryApiRef,
        fetchApi: fetchApiRef,
        identityApi: identityApiRef,
      },
      factory: ({ discoveryApi, fetchApi, identityApi }) =>
        new TerminalClient({ discoveryApi, fetchApi, identityApi }),
    }),
  ],
  routes: { root: rootRouteRef },
});

/** Every terminal session the user may read; mount it at `/terminal-sessions`. @public */
export const TerminalSessionsPage = terminalPlugin.provide(
  createRoutableExtension({
    name: 'TerminalSessionsPage',
    component: () =>
      import('./components/TerminalSessionsPage').then(
        m => m.TerminalSessionsPage,
      ),
    mountPoint: rootRouteRef,
  }),
);

/** The entity "Terminal" tab content (terminal, sessions, replay). @public */
export const EntityTerminalContent = terminalPlugin.provide(
  createComponentExtension({
    name: 'EntityTerminalContent',
    component: {
      lazy: () =>
        import('./components/EntityTerminalContent').then(
          m => m.EntityTerminalContent,
        ),
    },
  }),
);
