import { Entity } from '@backstage/catalog-model';
import {
  discoveryApiRef,
  fetchApiRef,
  identityApiRef,
} from '@backstage/core-plugin-api';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { SignalApi, signalApiRef } from '@backstage/plugin-signals-react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { JsonObject } from '@backstage/types';
import { SWRConfig } from 'swr';
import { buildsApiRef, BuildsClient } from '../api';
import { UP, userPortal } from './builds';

/** A signal API the test publishes on, as the backend would. */
export class FakeSignals implements SignalApi {
  private readonly subscribers = new Map<
    string,
    Set<(message: JsonObject) => void>
  >();

  subscribe<T extends JsonObject>(
    channel: string,
    onMessage: (message: T) => void,
  ) {
    const set = this.subscribers.get(channel) ?? new Set();
    set.add(onMessage as (message: JsonObject) => void);
    this.subscribers.set(channel, set);
    return {
      unsubscribe: () => set.delete(onMessage as (message: JsonObject) => void),
    };
  }

  publish(channel: string, message: JsonObject) {
    for (const fn of this.subscribers.get(channel) ?? []) fn(message);
  }

  count(channel: string) {
    return this.subscribers.get(channel)?.size ?? 0;
  }
}

export const ALL_PERMISSIONS = [
  'builds.read',
  'builds.trigger',
  'builds.cancel',
  'builds.dockerfile.write',
  'builds.waiver.approve',
];

/**
 * Renders `element` for an entity with the real BuildsClient (msw answers),
 * a permission API allowing `allowed` on that entity only, the signed-in
 * user `me` and, when given, signals.
 */
export async function renderBuilds(
  element: JSX.Element,
  options: {
    entity?: Entity;
    allowed?: string[];
    me?: string;
    signals?: FakeSignals;
    route?: string;
  } = {},
) {
  const {
    entity = userPortal,
    allowed = ALL_PERMISSIONS,
    me = 'user:default/pete',
  } = options;
  const discoveryApi = mockApis.discovery({ baseUrl: 'http://example.com' });
  const fetchApi = { fetch: (input: any, init?: any) => fetch(input, init) };
  const asked: Array<{ name: string; resourceRef?: string }> = [];
  const apis: any[] = [
    [discoveryApiRef, discoveryApi],
    [fetchApiRef, fetchApi],
    [buildsApiRef, new BuildsClient({ discoveryApi, fetchApi })],
    [identityApiRef, mockApis.identity({ userEntityRef: me })],
    [
      permissionApiRef,
      mockApis.permission({
        authorize: req => {
          const resourceRef = (req as { resourceRef?: string }).resourceRef;
          asked.push({ name: req.permission.name, resourceRef });
          return resourceRef === UP && allowed.includes(req.permission.name)
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY;
        },
      }),
    ],
  ];
  if (options.signals) apis.push([signalApiRef, options.signals]);
  // renderInTestApp renders inside act(): await it, or a quick test leaves
  // that act open and the next test's updates are never flushed.
  const rendered = await renderInTestApp(
    <TestApiProvider apis={apis as any}>
      {/* usePermission caches through SWR: a fresh cache per render. */}
      <SWRConfig value={{ provider: () => new Map() }}>
        <EntityProvider entity={entity}>{element}</EntityProvider>
      </SWRConfig>
    </TestApiProvider>,
    {
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      routeEntries: [options.route ?? '/'],
    },
  );
  return { asked, rendered };
}
