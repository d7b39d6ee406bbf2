import { ReactElement } from 'react';
import { Entity } from '@backstage/catalog-model';
import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { SWRConfig } from 'swr';
import { terminalApiRef, TerminalClient } from '../api';
import { TerminalScreenProvider } from '../components/screen/TerminalScreen';
import { HeadlessScreen } from './HeadlessScreen';
import { PG } from './fakeBackend';

export const paymentGateway: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payment-gateway',
    annotations: {
      'fincloud.io/cluster': 'sim',
      'fincloud.io/namespace': 'payments',
    },
  },
  spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
};

/** What each sample role may do on payment-gateway (team-payments' service). */
export const ROLES: Record<string, string[]> = {
  pete: ['terminal.exec', 'terminal.sessions.read'],
  paula: ['terminal.exec', 'terminal.shell', 'terminal.sessions.read'],
  oscar: [
    'terminal.exec',
    'terminal.shell',
    'terminal.sessions.read',
    'terminal.sessions.terminate',
  ],
  amy: ['terminal.sessions.read'],
  gary: [],
};

/**
 * Renders `element` as the portal would: the real TerminalClient (msw
 * answers its HTTP calls and WebSocket), the permission decisions of `role`
 * on payment-gateway, and a headless xterm.js as the terminal screen.
 */
export function renderTerminal(
  element: ReactElement,
  options: {
    role?: keyof typeof ROLES;
    entity?: Entity;
    routeEntries?: string[];
  } = {},
) {
  const allowed = ROLES[options.role ?? 'pete'];
  const discoveryApi = mockApis.discovery({ baseUrl: 'http://example.com' });
  const fetchApi = { fetch: (input: any, init?: any) => fetch(input, init) };
  const asked: Array<{ name: string; resourceRef?: string }> = [];
  const swrCache = new Map();
  const api = new TerminalClient({
    discoveryApi,
    fetchApi,
    identityApi: { getCredentials: async () => ({ token: 'user-token' }) },
  });
  const rendered = renderInTestApp(
    <TestApiProvider
      apis={[
        [discoveryApiRef, discoveryApi],
        [fetchApiRef, fetchApi],
        [terminalApiRef, api],
        [
          permissionApiRef,
          mockApis.permission({
            authorize: req => {
              const resourceRef = (req as { resourceRef?: string }).resourceRef;
              asked.push({ name: req.permission.name, resourceRef });
              return resourceRef === PG && allowed.includes(req.permission.name)
                ? AuthorizeResult.ALLOW
                : AuthorizeResult.DENY;
            },
          }),
        ],
      ]}
    >
      {/* usePermission caches decisions in SWR: one cache per render, so each test sees its role's. */}
      <SWRConfig value={{ provider: () => swrCache }}>
        <TerminalScreenProvider value={HeadlessScreen}>
          <EntityProvider entity={options.entity ?? paymentGateway}>
            {element}
          </EntityProvider>
        </TerminalScreenProvider>
      </SWRConfig>
    </TestApiProvider>,
    {
      routeEntries: options.routeEntries,
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
  return { asked, rendered };
}
