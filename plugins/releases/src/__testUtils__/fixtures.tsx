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
import { signalApiRef, SignalApi } from '@backstage/plugin-signals-react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { Release, ReleaseStep } from '@fincloud/plugin-releases-common';
import { SWRConfig } from 'swr';
import { releasesApiRef, ReleasesClient } from '../api';

export const base = 'http://example.com/api/releases';
export const buildsBase = 'http://example.com/api/builds';
export const PG = 'component:default/payment-gateway';
export const PG_PATH = `${base}/entities/component/default/payment-gateway`;

export const paymentGateway: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payment-gateway',
    annotations: {
      'fincloud.io/cluster': 'sim',
      'fincloud.io/namespace': 'payments',
      'fincloud.io/workload': 'payment-gateway',
    },
  },
  spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
};

export function steps(
  weights: number[],
  currentIndex: number,
  extra: Partial<ReleaseStep> = {},
): ReleaseStep[] {
  return weights.map((weight, index) => {
    let status: ReleaseStep['status'] = 'pending';
    if (index < currentIndex) status = 'done';
    else if (index === currentIndex) status = 'active';
    return { index, weight, status, ...extra };
  });
}

export function release(overrides: Partial<Release> = {}): Release {
  return {
    id: 'rel-1',
    entityRef: PG,
    cluster: 'sim',
    namespace: 'payments',
    workload: 'payment-gateway',
    strategy: 'canary',
    image: 'registry.local/payments/payment-gateway:1.5.0',
    version: '1.5.0',
    stableVersion: '1.4.2',
    state: 'progressing',
    currentStep: 1,
    steps: steps([5, 20, 50, 100], 1),
    weights: { stable: 80, canary: 20 },
    requiredApprovals: 1,
    approvals: [],
    requestedBy: 'user:default/pete',
    createdAt: '2026-11-29T10:00:00.000Z',
    updatedAt: '2026-11-29T10:02:00.000Z',
    analyses: [],
    revision: 3,
    ...overrides,
  };
}

/** A signal API the test drives: `emit` delivers a message to subscribers. */
export function fakeSignals() {
  const subscribers = new Map<string, Set<(m: any) => void>>();
  const api: SignalApi = {
    subscribe(channel, onMessage) {
      const set = subscribers.get(channel) ?? new Set();
      set.add(onMessage as (m: any) => void);
      subscribers.set(channel, set);
      return { unsubscribe: () => set.delete(onMessage as (m: any) => void) };
    },
  };
  return {
    api,
    channels: () => [...subscribers.keys()],
    emit: (channel: string, message: object) =>
      subscribers.get(channel)?.forEach(fn => fn(message)),
  };
}

export interface RenderOptions {
  /** Permission names the user holds on payment-gateway. */
  allowed?: string[];
  user?: string;
  signals?: SignalApi;
  entity?: Entity;
}

export async function renderWithApis(
  element: JSX.Element,
  options: RenderOptions = {},
) {
  const discoveryApi = mockApis.discovery({ baseUrl: 'http://example.com' });
  const fetchApi = { fetch: (input: any, init?: any) => fetch(input, init) };
  const allowed = options.allowed ?? [];
  const asked: Array<{ name: string; resourceRef?: string }> = [];
  const apis: Array<[any, any]> = [
    [discoveryApiRef, discoveryApi],
    [fetchApiRef, fetchApi],
    [releasesApiRef, new ReleasesClient({ discoveryApi, fetchApi })],
    [
      identityApiRef,
      mockApis.identity({
        userEntityRef: options.user ?? 'user:default/pete',
      }),
    ],
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
  ];
  if (options.signals) apis.push([signalApiRef, options.signals]);
  const swrCache = new Map();
  const rendered = await renderInTestApp(
    <TestApiProvider apis={apis as any}>
      <SWRConfig value={{ provider: () => swrCache }}>
        <EntityProvider entity={options.entity ?? paymentGateway}>
          {element}
        </EntityProvider>
      </SWRConfig>
    </TestApiProvider>,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
  return { asked, rendered };
}

/** What each sample role holds on payment-gateway (team-payments). */
export const ROLES = {
  developer: [
    'releases.read',
    'releases.create',
    'releases.promote',
    'releases.rollback',
    'releases.policy.write',
  ],
  lead: [
    'releases.read',
    'releases.create',
    'releases.approve',
    'releases.promote',
    'releases.rollback',
    'releases.policy.write',
  ],
  platform: [
    'releases.read',
    'releases.create',
    'releases.approve',
    'releases.promote',
    'releases.rollback',
    'releases.policy.write',
    'releases.breakglass',
  ],
  reader: ['releases.read'],
};
